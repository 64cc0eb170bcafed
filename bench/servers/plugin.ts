/**
 * The servers under test: the plugin (with the options a scenario asks for) and the bundled example app.
 */
import Fastify from 'fastify'
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../../examples/app.js'
import { readKey, type SigningKey } from '../../lib/access-token/keys.js'
import { createKeySet, fastifyPasswordBearer, hashPassword, type FastifyPasswordBearerOptions, type StoredUser } from '../../lib/index.js'
import { knownUsers } from '../tokens.js'
import { BARE_PATH, BODY, LIMIT_PATH, PASSWORD, SECRET, tamper, USERNAME, type Built, type ServerConfig, TOKEN_TTL } from './common.js'
import { limitCheck } from './peers.js'

// What an app's loadUser does at the least: look the token's subject up and hand back the record.
const users = new Map<string, StoredUser & { disabled: boolean }>()
const loaders = {
  sync: (claims: { sub: string }) => users.get(claims.sub) ?? null,
  async: async (claims: { sub: string }) => users.get(claims.sub) ?? null
}

/** A fresh private key for an asymmetric algorithm. */
export function privateKeyFor (algorithm: 'EdDSA' | 'ES256'): KeyObject {
  return algorithm === 'EdDSA' ? generateKeyPairSync('ed25519').privateKey : generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
}

/** The key options of a scenario: the HS256 secret, or a key set of one fresh asymmetric key. */
function keyOptions (config: ServerConfig): { options: Partial<FastifyPasswordBearerOptions>, key: SigningKey } {
  const algorithm = config.algorithm ?? 'HS256'
  if (algorithm === 'HS256') return { options: { secret: SECRET }, key: readKey({ secret: SECRET }) as SigningKey }
  const privateKey = privateKeyFor(algorithm)
  return { options: { keys: createKeySet([{ privateKey }]) }, key: readKey({ privateKey }) as SigningKey }
}

export async function plugin (config: ServerConfig): Promise<Built> {
  const app = Fastify({ logger: false })
  const passwordHash = await hashPassword(PASSWORD)
  const byName = new Map<string, StoredUser>()
  for (const { id, username } of knownUsers(config.tokens ?? 1, USERNAME)) {
    const user: StoredUser = { id, username, passwordHash, scopes: ['items:read'] }
    byName.set(username, user)
    users.set(id, { ...user, disabled: false })
  }
  const keys = keyOptions(config)
  const options: FastifyPasswordBearerOptions & Record<string, unknown> = {
    ...keys.options,
    accessTokenTtl: TOKEN_TTL,
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
  // With many tokens, the hand-written check of the same tokens beside the plugin's route.
  if (config.tokens !== undefined) app.get(LIMIT_PATH, { preHandler: limitCheck }, async () => BODY)
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
  const expired = keys.key.sign({ ...claims, iat, exp: iat + 900 })
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

/**
 * The bundled example app (examples/app.ts) as `npm run example` builds it, without its log lines:
 * GET /hello answers guests and users alike, and with a token re-loads the user from SQLite. Its
 * own guest request is the reference of the request with a token; the bare route is added for the
 * guest request's.
 */
export async function example (): Promise<Built> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-example-'))
  const app = await build({ dbPath: join(dir, 'example.db'), secret: SECRET, logger: false, rateLimit: false, accessTokenTtl: TOKEN_TTL })
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
