/**
 * A verify-only service (the plugin with `remoteKeys`) in front of an issuer in the same process: the
 * issuer signs with a fresh asymmetric key and serves its JWKS on its own port, idle while the load
 * runs against the service, whose keys were fetched once at its start.
 */
import Fastify from 'fastify'
import { createKeySet, fastifyPasswordBearer, hashPassword } from '../../lib/index.js'
import { BARE_PATH, BODY, PASSWORD, USERNAME, type Built, type ServerConfig, TOKEN_TTL } from './common.js'
import { privateKeyFor } from './plugin.js'

const ISSUER = 'https://issuer.bench.example'

export async function resource (config: ServerConfig): Promise<Built> {
  const algorithm = config.algorithm === 'ES256' ? 'ES256' : 'EdDSA'
  const user = { id: 'u1', username: USERNAME, passwordHash: await hashPassword(PASSWORD), scopes: ['items:read'] }
  const issuer = Fastify({ logger: false })
  await issuer.register(fastifyPasswordBearer, {
    keys: createKeySet([{ privateKey: privateKeyFor(algorithm) }]),
    issuer: ISSUER,
    accessTokenTtl: TOKEN_TTL,
    users: { findByUsername: (username) => (username === USERNAME ? user : null) },
    scopes: { 'items:read': 'Read items' },
    rateLimit: false
  })
  await issuer.listen({ host: '127.0.0.1', port: 0 })
  const address = issuer.server.address()
  if (address === null || typeof address === 'string') throw new Error('the issuer has no port')

  const app = Fastify({ logger: false })
  await app.register(fastifyPasswordBearer, {
    issuer: ISSUER,
    resource: 'https://reports.bench.example',
    remoteKeys: { jwksUri: `http://127.0.0.1:${address.port}/.well-known/jwks.json` },
    scopes: { 'items:read': 'Read items' }
  })
  app.get('/resource', { [config.hook ?? 'preHandler']: app.authenticate }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  app.addHook('onClose', async () => { await issuer.close() })
  await app.ready()

  const login = await issuer.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username: USERNAME, password: PASSWORD }).toString()
  })
  const token = (login.json() as { access_token?: string }).access_token
  if (login.statusCode !== 200 || token === undefined) throw new Error(`issuer login failed with ${login.statusCode}`)
  return { app, headers: { valid: `Bearer ${token}` } }
}
