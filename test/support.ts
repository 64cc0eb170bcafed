// Shared test helpers: a small app with an in-memory user store.
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import fastifyPasswordBearer, { hashPassword, type FastifyPasswordBearerOptions, type StoredUser } from '../lib/index.js'

export const SECRET = 'test-secret-test-secret-test-secret!'
export const SCOPES = { 'items:read': 'Read items', 'items:write': 'Create items' }

let cachedHash: string | undefined
/** argon2id hash of 'secret' with the default parameters (computed once per file). */
export async function secretHash (): Promise<string> {
  cachedHash ??= await hashPassword('secret')
  return cachedHash
}

export async function demoUsers (): Promise<Map<string, StoredUser>> {
  const passwordHash = await secretHash()
  return new Map<string, StoredUser>([
    ['alice', { id: 'u-alice', username: 'alice', passwordHash, scopes: ['items:read', 'items:write'] }],
    ['carol', { id: 'u-carol', username: 'carol', passwordHash, scopes: ['items:read'] }],
    ['bob', { id: 'u-bob', username: 'bob', passwordHash, disabled: true, scopes: ['items:read'] }],
    ['nohash', { id: 'u-nohash', username: 'nohash', passwordHash: null }]
  ])
}

export interface TestApp {
  app: FastifyInstance
  users: Map<string, StoredUser>
}

/** An app with the plugin and a few routes; `configure` runs before ready(). */
export async function buildApp (
  options: Partial<FastifyPasswordBearerOptions> = {},
  configure?: (app: FastifyInstance) => void | Promise<void>,
  server: FastifyServerOptions = {}
): Promise<TestApp> {
  const users = await demoUsers()
  const app = Fastify(server)
  await app.register(fastifyPasswordBearer, {
    secret: SECRET,
    scopes: SCOPES,
    users: { findByUsername: async (username) => users.get(username) ?? null },
    ...options
  })
  app.get('/me', { preHandler: app.authenticate }, async (request) => request.currentUser)
  app.get('/items', { preHandler: app.requireScopes('items:read') }, async () => ['a'])
  app.post('/items', { onRequest: app.requireScopes('items:write') }, async () => ({ ok: true }))
  app.get('/hello', { onRequest: app.authenticateOptional }, async (request) => ({
    message: `Hello ${request.currentUser?.username ?? 'guest'}`
  }))
  if (configure !== undefined) await configure(app)
  await app.ready()
  return { app, users }
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

export function tokenRequest (app: FastifyInstance, body: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/token', payload: body, headers: { ...FORM, ...headers } })
}

/** A password-grant request from `remoteAddress` (the throttle counts per address); any answer. */
export function passwordRequest (app: FastifyInstance, username: string, password: string, remoteAddress = '127.0.0.1'): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/token',
    remoteAddress,
    headers: FORM,
    payload: `grant_type=password&username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`
  })
}

export async function login (app: FastifyInstance, username = 'alice', extra = ''): Promise<string> {
  const res = await tokenRequest(app, `grant_type=password&username=${username}&password=secret${extra}`)
  const body = res.json() as { access_token?: string }
  if (res.statusCode !== 200 || typeof body.access_token !== 'string') throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return body.access_token
}

export function decodeSegment (token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString('utf8')) as Record<string, unknown>
}
