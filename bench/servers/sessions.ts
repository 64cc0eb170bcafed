/**
 * The plugin with sessions on (refresh tokens and revocation), its token store in this process
 * (`MemoryTokenStore`) or in the private redis-server the runner started (`RedisTokenStore` through
 * an ioredis client of this process). It serves two kinds of rows:
 *
 * - GET /resource with a valid token: `authenticate` also looks the token up in the local
 *   revocation list, which holds {@link REVOKED_TOKENS} revoked access tokens and
 *   {@link REVOKED_USERS} users' "log out everywhere" times (none of them the measured token's), so
 *   the lookups are not skipped by the empty-list shortcut. No store call on this path.
 * - POST /token with `grant_type=refresh_token`, against POST /bare-form: a bare route that parses
 *   the same form body with @fastify/formbody and answers a refresh answer of the same size.
 *
 * Live refresh tokens come from real password logins of the token route, on demand: the runner
 * sends `{ type: 'refresh-tokens', count }` and gets `{ type: 'refresh-tokens', tokens }`, each
 * token the first of a new family. The users' hashes are argon2id at the least cost, so that a
 * login costs about a millisecond here (the refresh rows measure refreshes, not logins).
 */
import fastifyFormbody from '@fastify/formbody'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import {
  fastifyPasswordBearer, hashPassword, MemoryTokenStore, RedisTokenStore,
  type FastifyPasswordBearerOptions, type StoredUser, type TokenStore
} from '../../lib/index.js'
import { knownUsers, sameShape, signTokens } from '../tokens.js'
import { BARE_PATH, BODY, PASSWORD, SECRET, USERNAME, type Built, type ServerConfig, TOKEN_TTL } from './common.js'

/** Revoked access tokens in the revocation list while the valid-token row runs. */
export const REVOKED_TOKENS = 1000
/** Users whose sessions were ended ("log out everywhere") in that list. */
export const REVOKED_USERS = 100
/** Users who log in for refresh families, round-robin: alice, user2, user3... */
const LOGIN_USERS = 1000
const BARE_FORM_PATH = '/bare-form'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

function openStore (config: ServerConfig): { store: TokenStore, close: () => Promise<void> } {
  if (config.tokenStore !== 'redis') return { store: new MemoryTokenStore(), close: async () => {} }
  if (config.redisUrl === undefined) throw new Error('a Redis token store needs the redisUrl of the runner\'s private redis-server')
  const client = new Redis(config.redisUrl)
  // A prefix of this process: two servers on the same redis-server share nothing.
  const store = new RedisTokenStore({ client, prefix: `bench-${process.pid}:` })
  return { store, close: async () => { store.close(); await client.quit() } }
}

async function post (app: FastifyInstance, url: string, form: Record<string, string>): Promise<{ status: number, body: string }> {
  const response = await app.inject({ method: 'POST', url, headers: FORM, payload: new URLSearchParams(form).toString() })
  return { status: response.statusCode, body: response.body }
}

/** A login's refresh token; throws unless the login succeeded and answered one. */
async function login (app: FastifyInstance, username: string): Promise<{ access: string, refresh: string }> {
  const { status, body } = await post(app, '/token', { grant_type: 'password', username, password: PASSWORD })
  const answer = JSON.parse(body) as { access_token?: string, refresh_token?: string }
  if (status !== 200 || answer.access_token === undefined || answer.refresh_token === undefined) throw new Error(`login of ${username} answered ${status} ${body}`)
  return { access: answer.access_token, refresh: answer.refresh_token }
}

/** Fills the revocation list through the revocation route and `revokeUserSessions`, and checks it refuses. */
async function revokeOthers (app: FastifyInstance): Promise<void> {
  // Users beyond those who log in: their tokens and sessions are not the ones under load.
  const others = knownUsers(LOGIN_USERS + REVOKED_TOKENS + REVOKED_USERS, USERNAME).slice(LOGIN_USERS)
  const tokens = signTokens(SECRET, others.slice(0, REVOKED_TOKENS)).map((header) => header.slice('Bearer '.length))
  for (const token of tokens) {
    const { status } = await post(app, '/revoke', { token })
    if (status !== 200) throw new Error(`the revocation route answered ${status}`)
  }
  for (const user of others.slice(REVOKED_TOKENS)) await app.revokeUserSessions(user.id)
  const refused = await app.inject({ url: '/resource', headers: { authorization: `Bearer ${tokens[0] as string}` } })
  if (refused.statusCode !== 401) throw new Error(`a revoked token answered ${refused.statusCode}, not 401`)
}

/** Answers the runner's requests for live refresh tokens (new families, by real logins). */
function handOutRefreshTokens (app: FastifyInstance): void {
  let next = 0
  process.on('message', (message: { type?: string, count?: number }) => {
    if (message.type !== 'refresh-tokens') return
    const mint = async (): Promise<string[]> => {
      const tokens: string[] = []
      for (let i = 0; i < (message.count ?? 0); i++) {
        tokens.push((await login(app, next === 0 ? USERNAME : `user${next + 1}`)).refresh)
        next = (next + 1) % LOGIN_USERS
      }
      return tokens
    }
    mint().then((tokens) => process.send?.({ type: 'refresh-tokens', tokens }), (err: unknown) => {
      console.error(err)
      process.exit(1)
    })
  })
}

export async function sessions (config: ServerConfig): Promise<Built> {
  const app = Fastify({ logger: false })
  // The least argon2id cost (1 MiB, one pass): logins here only start refresh families.
  const passwordHash = await hashPassword(PASSWORD, { memoryCost: 1024, timeCost: 1 })
  const byName = new Map<string, StoredUser>()
  for (const { id, username } of knownUsers(LOGIN_USERS, USERNAME)) byName.set(username, { id, username, passwordHash, scopes: ['items:read'] })
  const { store, close } = openStore(config)
  app.addHook('onClose', close)
  const options: FastifyPasswordBearerOptions = {
    secret: SECRET,
    accessTokenTtl: TOKEN_TTL,
    users: { findByUsername: (username) => byName.get(username) ?? null },
    scopes: { 'items:read': 'Read items' },
    verifyCacheSize: config.verifyCacheSize ?? 1000,
    maxConcurrentHashes: 2,
    refreshTokens: true,
    tokenStore: store,
    // The refresh rows measure refreshes, not the per-address throttle that also counts them.
    rateLimit: false
  }
  await app.register(fastifyPasswordBearer, options)
  app.get('/resource', { [config.hook ?? 'preHandler']: app.authenticate }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  // Filled below with a real refresh answer once the app runs.
  const answer: Record<string, unknown> = {}
  await app.register(async (child) => {
    await child.register(fastifyFormbody)
    child.post(BARE_FORM_PATH, async (request) => {
      if (typeof (request.body as { refresh_token?: unknown }).refresh_token !== 'string') throw new Error('no refresh_token in the form')
      return answer
    })
  })
  await app.ready()

  const first = await login(app, USERNAME)
  sameShape(`Bearer ${first.access}`, signTokens(SECRET, knownUsers(1, USERNAME))[0] as string)
  // A real refresh answer: what the bare form route answers, so both send bodies of one size.
  const refreshed = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: first.refresh })
  if (refreshed.status !== 200) throw new Error(`refresh answered ${refreshed.status} ${refreshed.body}`)
  Object.assign(answer, JSON.parse(refreshed.body))
  await revokeOthers(app)
  handOutRefreshTokens(app)
  return { app, headers: { valid: `Bearer ${first.access}` }, refresh: { path: '/token', barePath: BARE_FORM_PATH } }
}
