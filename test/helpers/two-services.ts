/**
 * An issuing app and a verify-only app of the plugin on loopback, for the split-service tests: the
 * issuer counts the requests its discovery routes get, and can be stopped and started again on the
 * same port with the same keys.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import { createServer } from 'node:net'
import { Writable } from 'node:stream'
import fastifyPasswordBearer, { type FastifyPasswordBearerOptions, type KeySet } from '../../lib/index.js'
import { demoUsers, FORM, SCOPES } from '../support.js'

/** A free TCP port on 127.0.0.1 (the issuer's URL must be known before it listens: it is the tokens' iss). */
export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

export interface Issuer {
  url: string
  app: FastifyInstance
  /** Requests to each path, counted from the issuer's start (e.g. '/.well-known/jwks.json'). */
  hits: Map<string, number>
  login: (username?: string) => Promise<string>
  stop: () => Promise<void>
}

/** The issuing app on `port`, its issuer `http://127.0.0.1:<port>`, signing with `keys`. */
export async function startIssuer (port: number, keys: KeySet, extra: Partial<FastifyPasswordBearerOptions> = {}): Promise<Issuer> {
  const users = await demoUsers()
  const url = `http://127.0.0.1:${port}`
  const app = Fastify()
  const hits = new Map<string, number>()
  app.addHook('onRequest', async (request) => { hits.set(request.url, (hits.get(request.url) ?? 0) + 1) })
  await app.register(fastifyPasswordBearer, {
    keys,
    issuer: url,
    users: { findByUsername: (u) => users.get(u) },
    scopes: SCOPES,
    rateLimit: false,
    ...extra
  })
  await app.listen({ host: '127.0.0.1', port })
  return {
    url,
    app,
    hits,
    login: async (username = 'alice') => {
      const res = await fetch(`${url}/token`, { method: 'POST', headers: FORM, body: `grant_type=password&username=${username}&password=secret` })
      const body = await res.json() as { access_token?: string }
      if (res.status !== 200 || body.access_token === undefined) throw new Error(`login at the issuer failed: ${res.status}`)
      return body.access_token
    },
    stop: () => app.close()
  }
}

export interface Resource {
  url: string
  app: FastifyInstance
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>
  get: (path: string, token?: string) => Promise<{ status: number, headers: Headers, body: Record<string, unknown> }>
}

/**
 * The verify-only app: no users, no secret, the issuer's keys from `remoteKeys`; GET /reports needs
 * items:read, GET /me a token, GET /hello none.
 */
export async function startResource (issuerUrl: string, options: Partial<FastifyPasswordBearerOptions> = {}, configure?: (app: FastifyInstance) => Promise<void>): Promise<Resource> {
  const logs: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb() } })
  const app = Fastify({ logger: { level: 'debug', stream } })
  if (configure !== undefined) await configure(app)
  await app.register(fastifyPasswordBearer, {
    issuer: issuerUrl,
    resource: 'http://127.0.0.1/reports-api',
    remoteKeys: { cooldown: 60_000 },
    scopes: SCOPES,
    ...options
  })
  app.get('/reports', { onRequest: app.requireScopes('items:read') }, async (request) => ({ user: request.currentUser?.username, reports: ['q1'] }))
  app.get('/me', { preHandler: app.authenticate }, async (request) => request.currentUser)
  app.get('/hello', { onRequest: app.authenticateOptional }, async (request) => ({ hello: request.currentUser?.username ?? 'guest' }))
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const url = `http://127.0.0.1:${address.port}`
  return {
    url,
    app,
    logs,
    get: async (path, token) => {
      const res = await fetch(`${url}${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
      return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> }
    }
  }
}

/** Waits until `check` holds, polling every 20 ms, at most `ms`. */
export async function until (check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
