/**
 * One benchmark server, run in its own process by bench/run.ts (so the load generator never shares
 * its event loop). Every variant answers GET /resource with the same JSON, and GET /bare with the
 * same JSON and no hook at all: the reference each scenario is compared with inside its own process.
 * The kind of server and its options arrive as a JSON argument. It reports its port and the tokens
 * a load generator needs over IPC, and its RSS when asked.
 */
import bearerAuth from '@fastify/bearer-auth'
import fastifyJwt from '@fastify/jwt'
import { createSigner } from 'fast-jwt'
import Fastify, { type FastifyInstance } from 'fastify'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../examples/app.js'
import { fastifyPasswordBearer, hashPassword, type FastifyPasswordBearerOptions, type StoredUser } from '../lib/index.js'
import { knownUsers, sameShape, signTokens } from './tokens.js'

export type ServerKind = 'bare' | 'noop-hook' | 'plugin' | 'fastify-jwt' | 'bearer-auth' | 'bare-hmac' | 'example'

export interface ServerConfig {
  kind: ServerKind
  /** Plugin only: where the hook runs. */
  hook?: 'onRequest' | 'preHandler'
  /** Plugin only: `verifyCacheSize`. */
  verifyCacheSize?: number
  /** Plugin only: `maxConcurrentHashes`. */
  maxConcurrentHashes?: number
  /** Plugin only: a `loadUser` that re-loads the user from a Map, returning it or a promise of it. */
  loadUser?: 'sync' | 'async'
  /**
   * Hand out this many distinct live access tokens (`ReadyMessage.tokens`), signed as the plugin
   * signs them, one per user of as many users the server knows.
   */
  tokens?: number
}

/** What the server tells the runner once it listens. */
export interface ReadyMessage {
  type: 'ready'
  port: number
  /** The path under load. */
  path: string
  /** The bare route of this process: the same JSON, no hook. */
  barePath: string
  /** Authorization header values for each path the runner can exercise. */
  headers: Record<string, string>
  /** A form body that logs in (plugin only). */
  loginBody?: string
  /** With `ServerConfig.tokens`: Authorization header values, each a distinct live token. */
  tokens?: string[]
}

export const BODY = { hello: 'world' }
export const BARE_PATH = '/bare'
export const USERNAME = 'alice'
export const PASSWORD = 'correct horse battery staple'
const SECRET = randomBytes(32)
const STATIC_KEY = randomBytes(24).toString('base64url')

/** Flips a character in the middle of the signature: same length, wrong bytes. */
function tamper (token: string): string {
  const i = token.lastIndexOf('.') + 10
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)
}

async function bare (): Promise<Built> {
  const app = Fastify({ logger: false })
  app.get('/resource', async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: {} }
}

/** The floor of any auth hook: a preHandler that does nothing. */
async function noopHook (): Promise<Built> {
  const app = Fastify({ logger: false })
  app.get('/resource', { preHandler: (_request, _reply, done) => { done() } }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: {} }
}

// What an app's loadUser does at the least: look the token's subject up and hand back the record.
const users = new Map<string, StoredUser & { disabled: boolean }>()
const loaders = {
  sync: (claims: { sub: string }) => users.get(claims.sub) ?? null,
  async: async (claims: { sub: string }) => users.get(claims.sub) ?? null
}

async function plugin (config: ServerConfig): Promise<Built> {
  const app = Fastify({ logger: false })
  const passwordHash = await hashPassword(PASSWORD)
  const byName = new Map<string, StoredUser>()
  for (const { id, username } of knownUsers(config.tokens ?? 1, USERNAME)) {
    const user: StoredUser = { id, username, passwordHash, scopes: ['items:read'] }
    byName.set(username, user)
    users.set(id, { ...user, disabled: false })
  }
  const options: FastifyPasswordBearerOptions & Record<string, unknown> = {
    secret: SECRET,
    users: { findByUsername: (username) => byName.get(username) ?? null },
    scopes: { 'items:read': 'Read items' },
    verifyCacheSize: config.verifyCacheSize ?? 1000,
    maxConcurrentHashes: config.maxConcurrentHashes ?? 2,
    ...(config.loadUser === undefined ? {} : { loadUser: loaders[config.loadUser] }),
    // The login flood measures argon2, not a per-address throttle (ignored where the option is absent).
    rateLimit: false
  }
  await app.register(fastifyPasswordBearer, options)
  const hook = config.hook ?? 'preHandler'
  app.get('/resource', { [hook]: app.authenticate }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  await app.ready()

  const loginBody = new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD }).toString()
  const login = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: loginBody
  })
  const token = (login.json() as { access_token?: string }).access_token
  if (login.statusCode !== 200 || token === undefined) throw new Error(`login failed with ${login.statusCode}`)
  // An expired token signed with the right key and the same header and claims as a real one.
  const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>
  const iat = Math.floor(Date.now() / 1000) - 3600
  const sign = createSigner({ key: SECRET, algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt' } })
  const expired = sign({ ...claims, iat, exp: iat + 900 })
  return {
    app,
    loginBody,
    headers: {
      valid: `Bearer ${token}`,
      malformed: 'Bearer abc def',
      'bad-signature': `Bearer ${tamper(token)}`,
      expired: `Bearer ${expired}`
    }
  }
}

/** The peer a user would write by hand: @fastify/jwt and a preHandler that calls jwtVerify(). */
async function fastifyJwtPeer (): Promise<Built> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwt, { secret: SECRET })
  app.decorate('authenticate', async function (request: { jwtVerify: () => Promise<unknown> }, reply: { send: (e: unknown) => void }) {
    try {
      await request.jwtVerify()
    } catch (err) {
      reply.send(err)
    }
  })
  app.get('/resource', { preHandler: (app as unknown as { authenticate: never }).authenticate }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  await app.ready()
  const token = app.jwt.sign({ sub: 'u1', scope: 'items:read' }, { expiresIn: 900 })
  return { app, headers: { valid: `Bearer ${token}`, 'bad-signature': `Bearer ${tamper(token)}` } }
}

async function bearerAuthPeer (): Promise<Built> {
  const app = Fastify({ logger: false })
  // In its own context, as its README shows for protecting some routes: the bare route stays bare.
  await app.register(async (scope) => {
    await scope.register(bearerAuth, { keys: new Set([STATIC_KEY]) })
    scope.get('/resource', async () => BODY)
  })
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: { valid: `Bearer ${STATIC_KEY}` } }
}

/**
 * The physical limit of checking a token, hand-written and without a cache: split it, HMAC-SHA256
 * of header.payload compared with the signature, JSON.parse of the payload, `exp` in the future.
 */
async function bareHmac (): Promise<Built> {
  const app = Fastify({ logger: false })
  const check = (header: string | undefined): boolean => {
    const parts = header?.startsWith('Bearer ') === true ? header.slice(7).split('.') : []
    if (parts.length !== 3) return false
    const [head, payload, signature] = parts as [string, string, string]
    if (createHmac('sha256', SECRET).update(`${head}.${payload}`).digest('base64url') !== signature) return false
    try {
      const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: unknown }).exp
      return typeof exp === 'number' && exp > Date.now() / 1000
    } catch {
      return false
    }
  }
  app.get('/resource', {
    preHandler: (request, reply, done) => {
      if (check(request.headers.authorization)) done()
      else reply.code(401).send({ error: 'invalid_token' })
    }
  }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: {} }
}

/**
 * The bundled example app (examples/app.ts) as `npm run example` builds it, without its log lines:
 * GET /hello answers guests and users alike, and with a token re-loads the user from SQLite. Its
 * own guest request is the reference of the request with a token; the bare route is added for the
 * guest request's.
 */
async function example (): Promise<Built> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-example-'))
  const app = await build({ dbPath: join(dir, 'example.db'), secret: SECRET, logger: false, rateLimit: false })
  app.addHook('onClose', async () => { rmSync(dir, { recursive: true, force: true }) })
  app.get(BARE_PATH, { schema: { hide: true } }, async () => BODY)
  const login = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'secret' }).toString()
  })
  const token = (login.json() as { access_token?: string }).access_token
  if (login.statusCode !== 200 || token === undefined) throw new Error(`example login failed with ${login.statusCode}`)
  return { app, headers: { valid: `Bearer ${token}` }, path: '/hello' }
}

interface Built { app: FastifyInstance, headers: Record<string, string>, loginBody?: string, path?: string }

async function main (): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{"kind":"bare"}') as ServerConfig
  const builders: Record<ServerKind, (config: ServerConfig) => Promise<Built>> = {
    bare, 'noop-hook': noopHook, plugin, 'fastify-jwt': fastifyJwtPeer, 'bearer-auth': bearerAuthPeer, 'bare-hmac': bareHmac, example
  }
  const built = await builders[config.kind](config)
  const { app } = built
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const ready: ReadyMessage = { type: 'ready', port, path: built.path ?? '/resource', barePath: BARE_PATH, headers: built.headers }
  if (built.loginBody !== undefined) ready.loginBody = built.loginBody
  if (config.tokens !== undefined) {
    ready.tokens = signTokens(SECRET, knownUsers(config.tokens, USERNAME))
    // The plugin's own token (alice's, from its login) has the same header and claims as alice's here.
    const issued = built.headers.valid
    if (config.kind === 'plugin' && issued !== undefined) sameShape(issued, ready.tokens[0] as string)
  }
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'rss') process.send?.({ type: 'rss', rss: process.memoryUsage().rss })
    if (message.type === 'close') {
      app.close().then(() => process.exit(0), () => process.exit(1))
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.(ready)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
