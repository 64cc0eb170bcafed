/**
 * docs/production.md's app (docs/production/app.ts): its server limits are set where Node reads them,
 * its tokens carry the issuer and audience and are signed by its key, the client's address comes
 * through the trusted proxy, no secret reaches the logs; with Redis (a private server, when
 * installed), two instances share sessions: a token refreshed on one is dead on the other.
 */
import type { FastifyInstance } from 'fastify'
import { generateKeyPairSync } from 'node:crypto'
import { Writable } from 'node:stream'
import t from 'tap'
import { buildApp, type ProductionOptions } from '../../docs/production/app.js'
import { hashPassword, type StoredUser } from '../../lib/index.js'
import { redisSkip, startRedis } from '../helpers/redis.js'

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const privateKeyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

async function options (): Promise<ProductionOptions> {
  const alice: StoredUser = { id: '1', username: 'alice', passwordHash: await hashPassword('s3cret-passw0rd', CHEAP) }
  return {
    users: { findByUsername: (u) => u === 'alice' ? alice : null },
    privateKeyPem,
    issuer: 'https://auth.example.com',
    audience: 'https://api.example.com',
    proxies: ['127.0.0.1']
  }
}

function decode (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
}

const login = (app: FastifyInstance, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/token', headers: { ...FORM, ...headers }, payload: 'grant_type=password&username=alice&password=s3cret-passw0rd' })

t.test('one instance: limits, claims, key, proxy, logs', async (t) => {
  const lines: string[] = []
  const app = await buildApp({ ...await options(), logLevel: 'trace' })
  // The logger's stream cannot be passed in without changing the page's code: read what pino writes.
  const stream = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
  const symbols = Object.getOwnPropertySymbols(app.log)
  const streamSym = symbols.find((s) => String(s) === 'Symbol(pino.stream)')!
  ;(app.log as unknown as Record<symbol, unknown>)[streamSym] = stream
  t.teardown(() => app.close())
  await app.ready()

  t.equal(app.server.headersTimeout, 10_000)
  t.equal(app.server.requestTimeout, 30_000)
  t.equal(app.server.keepAliveTimeout, 5_000)
  t.equal(app.server.maxConnections, 1_000)

  const res = await login(app, { 'x-forwarded-for': '198.51.100.7' })
  t.equal(res.statusCode, 200)
  const { access_token: token, refresh_token: refresh } = res.json()
  t.ok(refresh, 'sessions on')
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())
  t.equal(header.alg, 'EdDSA', 'signed by the Ed25519 key')
  t.match(decode(token), { iss: 'https://auth.example.com', aud: 'https://api.example.com' })
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).json().keys.length, 1, 'its public key published')

  const logged = lines.join('')
  t.match(logged, /"event":"login"/, 'the login event is logged')
  t.notOk(logged.includes('s3cret-passw0rd'), 'never the password')
  t.notOk(logged.includes(token), 'never the token')
  t.notOk(logged.includes(refresh), 'never the refresh token')
})

t.test('two instances on one Redis act as one', { skip: redisSkip() }, async (t) => {
  const redis = await startRedis(t)
  const one = await buildApp({ ...await options(), redisUrl: redis.url, logLevel: 'silent' })
  const two = await buildApp({ ...await options(), redisUrl: redis.url, logLevel: 'silent' })
  t.teardown(async () => { await one.close(); await two.close() })
  const { refresh_token: refresh } = (await login(one)).json()
  const refreshOn = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `grant_type=refresh_token&refresh_token=${refresh}` })
  t.equal((await refreshOn(two)).statusCode, 200, 'a session started on one instance refreshes on the other')
  t.equal((await refreshOn(one)).json().error, 'invalid_grant', 'and the used token is dead on both')
})
