/**
 * Two app instances sharing one Redis (a private server, and a private 3-master Redis Cluster),
 * each with its own ioredis client and RedisTokenStore: revocations, refresh-token rotation, reuse
 * detection and concurrent refreshes behave as one service; a Redis outage gets refreshes a 503
 * while protected routes keep checking tokens against the last known revocations.
 */
import type { FastifyInstance } from 'fastify'
import { Cluster, Redis } from 'ioredis'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import type { FastifyPasswordBearerOptions, TokenResponse } from '../../lib/index.js'
import { RedisTokenStore } from '../../lib/stores/redis-token-store.js'
import { redisSkip, startRedis, startRedisCluster } from '../helpers/redis.js'
import { freshPrefix } from '../helpers/redis-token-stores.js'
import { me, passwordLogin, refresh, revoke } from '../helpers/sessions.js'
import { buildApp } from '../support.js'

const skip = redisSkip()

type Connect = () => Redis | Cluster

interface Instance {
  app: FastifyInstance
  logs: Array<Record<string, unknown>>
}

/** An app instance with refresh tokens on, its token store on its own client to the shared Redis. */
async function instance (t: Test, connect: Connect, prefix: string, options: Partial<FastifyPasswordBearerOptions> = {}): Promise<Instance> {
  const client = connect()
  client.on('error', () => {})
  const logs: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb() } })
  const store = new RedisTokenStore({ client, prefix, timeout: 500, logger: { info: (f, m) => logs.push({ ...f, msg: m }), warn: (f, m) => logs.push({ ...f, msg: m }) } })
  const built = await buildApp({ refreshTokens: true, rateLimit: false, ...options, tokenStore: store }, undefined, { logger: { level: 'info', stream } })
  t.teardown(async () => {
    await built.app.close()
    store.close()
    client.disconnect()
  })
  return { app: built.app, logs }
}

async function eventually (check: () => Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now()
  while (!await check()) {
    if (Date.now() - started > ms) return Infinity
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return Date.now() - started
}

async function sharedSessions (t: Test, connect: Connect): Promise<void> {
  const prefix = freshPrefix()
  const a = await instance(t, connect, prefix)
  const b = await instance(t, connect, prefix)

  const alice = await passwordLogin(a.app)
  t.equal((await me(b.app, alice.access_token)).statusCode, 200, 'a token issued on A works on B')
  t.equal((await revoke(a.app, `token=${alice.access_token}`)).statusCode, 200)
  t.equal((await me(a.app, alice.access_token)).statusCode, 401, 'revoked on A: refused on A at once')
  const took = await eventually(async () => (await me(b.app, alice.access_token)).statusCode === 401, 1000)
  t.ok(took <= 1000, `and on B within 1 s (${took} ms)`)

  const carol = await passwordLogin(b.app, 'carol')
  await a.app.revokeUserSessions('u-carol')
  t.ok(await eventually(async () => (await me(b.app, carol.access_token)).statusCode === 401, 1000) <= 1000, '"log out everywhere" on A: B refuses the user\'s tokens')
  t.equal((await refresh(b.app, carol.refresh_token as string)).json().error, 'invalid_grant', 'and their refresh tokens')

  const first = await passwordLogin(a.app)
  const rotated = await refresh(a.app, first.refresh_token as string)
  t.equal(rotated.statusCode, 200, 'refreshed on A')
  const second = rotated.json() as TokenResponse
  t.equal((await refresh(b.app, first.refresh_token as string)).json().error, 'invalid_grant', 'the used refresh token is dead on B')
  t.match(b.logs.find((l) => l.event === 'refresh_token_reuse'), { level: 40 }, 'B saw a reuse')
  for (const [name, app] of [['A', a.app], ['B', b.app]] as const) {
    t.equal((await refresh(app, second.refresh_token as string)).json().error, 'invalid_grant', `the reuse on B killed the newest refresh token, on ${name}`)
  }

  const shared = await passwordLogin(a.app)
  const answers = await Promise.all([a.app, a.app, b.app, b.app].map((app) => refresh(app, shared.refresh_token as string)))
  t.same(answers.map((r) => r.statusCode).sort(), [200, 400, 400, 400], '2+2 simultaneous refreshes of one token on A and B: exactly one 200')
  for (const res of answers) t.notOk(res.statusCode !== 200 && 'access_token' in res.json(), 'no token with a refusal')
}

t.test('two instances on one Redis server behave as one service', { skip }, async (t) => {
  const server = await startRedis(t)
  await sharedSessions(t, () => new Redis(server.url))
})

t.test('two instances on a 3-master Redis Cluster behave as one service', { skip }, async (t) => {
  const cluster = await startRedisCluster(t)
  await sharedSessions(t, () => new Cluster(cluster.startupNodes))
})

t.test('Redis down: refreshes and logins with refresh tokens get 503, protected routes keep the last known revocations; no restart needed', { skip }, async (t) => {
  const server = await startRedis(t)
  const prefix = freshPrefix()
  const a = await instance(t, () => new Redis(server.url), prefix)
  const alice = await passwordLogin(a.app)
  const carol = await passwordLogin(a.app, 'carol')
  await revoke(a.app, `token=${carol.access_token}`)
  await server.halt()

  const started = Date.now()
  const res = await refresh(a.app, alice.refresh_token as string)
  t.equal(res.statusCode, 503, 'a refresh gets 503')
  t.equal(res.json().error, 'temporarily_unavailable')
  t.ok(res.headers['retry-after'], 'with Retry-After')
  t.notOk('access_token' in res.json(), 'and no token')
  t.ok(Date.now() - started < 2500, `answered within the time limits (${Date.now() - started} ms)`)
  const login = await a.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=alice&password=secret' })
  t.equal(login.statusCode, 503, 'a login (which starts a refresh family) gets 503')
  t.notOk('access_token' in login.json(), 'and no token')
  t.equal((await revoke(a.app, `token=${alice.refresh_token as string}`)).statusCode, 503, 'a revocation gets 503')
  t.equal((await me(a.app, alice.access_token)).statusCode, 200, 'a valid access token still works')
  t.equal((await me(a.app, carol.access_token)).statusCode, 401, 'a revoked one is still refused')
  t.ok(await eventually(async () => a.logs.some((l) => l.event === 'token_store' && l.outcome === 'disconnected'), 3000) < Infinity, 'the outage is logged')

  await server.start() // restarted empty: no persistence
  t.ok(await eventually(async () => (await passwordLogin(a.app).then(() => true, () => false)), 10_000) < Infinity, 'logins work again without a restart')
  const again = await passwordLogin(a.app)
  t.equal((await refresh(a.app, again.refresh_token as string)).statusCode, 200, 'and refreshes')
})
