/**
 * The brute-force throttle (`rateLimit.redis`) on real Redis servers started by the test: two app
 * instances, each with its own ioredis client, share lockouts through one Redis and through a
 * 3-master Redis Cluster; a lock holds for its full length whatever other traffic comes; a Redis
 * that is down or frozen during a login gets 503 temporarily_unavailable (never a token for an
 * unthrottled attempt, never a 500), and logins recover without a restart once Redis is back.
 */
import type { FastifyInstance } from 'fastify'
import { Cluster, Redis } from 'ioredis'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { hashPassword, type FastifyPasswordBearerOptions } from '../../lib/index.js'
import { redisSkip, startRedis, startRedisCluster } from '../helpers/redis.js'
import { buildApp, passwordRequest } from '../support.js'

const skip = redisSkip()

// Cheap argon2 parameters: some tests make thousands of logins.
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const passwordHash = hashPassword('secret', CHEAP)

type Res = Awaited<ReturnType<FastifyInstance['inject']>>
type Client = Redis | Cluster

const login = passwordRequest

/** An ioredis client for `t`, disconnected when it ends; connection errors are expected in some tests. */
function client (t: Test, make: () => Client): Client {
  const redis = make()
  redis.on('error', () => {})
  t.teardown(() => { redis.disconnect() })
  return redis
}

/** One app instance with the plugin, its throttle on `redis`; log lines collected in `logs`. */
async function instance (t: Test, redis: Client, rateLimit: FastifyPasswordBearerOptions['rateLimit'] = {}) {
  const logs: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb() } })
  const user = { id: 'u-alice', username: 'alice', passwordHash: await passwordHash, scopes: ['items:read'] }
  const { app } = await buildApp(
    { hash: CHEAP, users: { findByUsername: (name) => (name === 'alice' ? user : null) }, rateLimit: { ...rateLimit, redis } },
    undefined,
    { logger: { level: 'info', stream } }
  )
  t.teardown(() => app.close())
  return { app, logs }
}

function assertLocked (t: Test, res: Res, message: string): void {
  t.equal(res.statusCode, 429, message)
  t.equal((res.json() as { error?: string }).error, 'slow_down')
  t.match(res.headers['retry-after'], /^[1-9]\d*$/)
  t.notOk('access_token' in (res.json() as object), 'no token')
}

const USERNAME = { username: { max: 3, timeWindow: 60_000 }, address: false } as const

async function sharedLockouts (t: Test, makeClient: () => Client): Promise<void> {
  const a = await instance(t, client(t, makeClient), USERNAME)
  const b = await instance(t, client(t, makeClient), USERNAME)
  t.equal((await login(a.app, 'alice', 'wrong')).statusCode, 400)
  t.equal((await login(b.app, 'alice', 'wrong')).statusCode, 400)
  t.equal((await login(a.app, 'alice', 'wrong')).statusCode, 400, 'three failures across both instances')
  assertLocked(t, await login(a.app, 'alice', 'wrong'), 'the fourth locks the username on A')
  assertLocked(t, await login(b.app, 'alice', 'secret'), 'B refuses the right password during the lock')
  assertLocked(t, await login(b.app, 'ALICE', 'secret'), 'also for a variant spelling')
  t.equal((await login(b.app, 'carol', 'wrong')).statusCode, 400, 'other usernames are not locked')

  const addressLimit = { username: false, address: { max: 2, timeWindow: 60_000 } } as const
  const c = await instance(t, client(t, makeClient), addressLimit)
  const d = await instance(t, client(t, makeClient), addressLimit)
  t.equal((await login(c.app, 'x', 'wrong', '203.0.113.9')).statusCode, 400)
  t.equal((await login(d.app, 'y', 'wrong', '203.0.113.9')).statusCode, 400)
  assertLocked(t, await login(c.app, 'alice', 'secret', '203.0.113.9'), 'the address is locked on C')
  assertLocked(t, await login(d.app, 'alice', 'secret', '203.0.113.9'), 'and on D')
  t.equal((await login(d.app, 'alice', 'secret', '203.0.113.10')).statusCode, 200, 'another address logs in on D')
}

t.test('a lockout earned on one instance holds on another that shares the Redis server', { skip }, async (t) => {
  const redis = await startRedis(t)
  await sharedLockouts(t, () => new Redis(redis.url))
})

t.test('a lockout earned on one instance holds on another that shares a 3-master Redis Cluster', { skip }, async (t) => {
  const cluster = await startRedisCluster(t)
  await sharedLockouts(t, () => new Cluster(cluster.startupNodes))
  // The throttle's keys landed on more than one master: the counters really are spread out.
  let nodesWithKeys = 0
  for (const node of cluster.nodes) {
    const direct = client(t, () => new Redis(node.url))
    if ((await direct.dbsize()) > 0) nodesWithKeys++
  }
  t.ok(nodesWithKeys >= 2, `keys on ${nodesWithKeys} of 3 masters`)
})

t.test('a lock holds for its full length whatever comes: a spray of other usernames, its count of lockouts forgotten', { skip }, async (t) => {
  const server = await startRedis(t)
  const redis = client(t, () => new Redis(server.url))
  const { app } = await instance(t, redis, { username: { max: 2, timeWindow: 60_000 }, address: false, cache: 100 })
  for (let i = 0; i < 2; i++) t.equal((await login(app, 'alice', 'wrong')).statusCode, 400)
  assertLocked(t, await login(app, 'alice', 'wrong'), 'locked')
  // Twenty times the in-memory counters' size in new usernames, from as many addresses.
  for (let i = 0; i < 2000; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => login(app, `junk-${i + j}`, 'x', `10.9.${(i + j) >> 8}.${(i + j) & 255}`)))
  }
  assertLocked(t, await login(app, 'alice', 'secret'), 'the lock survives the spray')

  const lockKeys = await redis.keys('*:lock')
  t.equal(lockKeys.length, 1, 'one lock key')
  const left = await redis.pttl(lockKeys[0] as string)
  t.ok(left > 50_000 && left <= 60_000, `the lock key expires when the lock ends (${left} ms left)`)
  // The count of consecutive lockouts may be forgotten before a lock ends (it is remembered for a
  // day after the last lockout, a lock can start just before that), and the attempts' window ends
  // before a doubled lock does: the lock depends on neither.
  for (const key of [...await redis.keys('*:lockouts'), ...await redis.keys('*:attempts')]) await redis.del(key)
  assertLocked(t, await login(app, 'alice', 'secret'), 'the lock holds without its count of lockouts and its attempts')
})

t.test('a full Redis (maxmemory reached, noeviction) refuses new counts: logins get 503 and the lock stays', { skip }, async (t) => {
  const server = await startRedis(t)
  const redis = client(t, () => new Redis(server.url))
  const { app } = await instance(t, redis, { username: { max: 1, timeWindow: 60_000 }, address: false })
  t.equal((await login(app, 'alice', 'wrong')).statusCode, 400)
  assertLocked(t, await login(app, 'alice', 'wrong'), 'locked')
  await redis.config('SET', 'maxmemory', '1') // every write is now over the limit
  const other = await login(app, 'carol', 'secret')
  t.equal(other.statusCode, 503, 'a login that cannot be counted is refused')
  t.equal((other.json() as { error?: string }).error, 'temporarily_unavailable')
  assertLocked(t, await login(app, 'alice', 'secret'), 'the lock is still read and enforced')
  await redis.config('SET', 'maxmemory', '0')
  t.equal((await login(app, 'carol', 'wrong')).statusCode, 400, 'counting resumes with room')
})

t.test('the count of consecutive lockouts is remembered for a day after the last lockout, and doubles the next lock', { skip }, async (t) => {
  const server = await startRedis(t)
  const redis = client(t, () => new Redis(server.url))
  const { app } = await instance(t, redis, { username: { max: 1, timeWindow: 1000 }, address: false })
  t.equal((await login(app, 'alice', 'wrong')).statusCode, 400)
  const first = await login(app, 'alice', 'wrong')
  assertLocked(t, first, 'first lock')
  t.equal(first.headers['retry-after'], '1', 'the first lock lasts the window')
  const [countKey] = await redis.keys('*:lockouts')
  await redis.pexpire(countKey as string, 5000) // as if the first lockout were nearly a day old
  await new Promise((resolve) => setTimeout(resolve, 1100))
  t.equal((await login(app, 'alice', 'wrong')).statusCode, 400, 'the lock has ended')
  const second = await login(app, 'alice', 'wrong')
  assertLocked(t, second, 'second lock')
  t.equal(second.headers['retry-after'], '2', 'the second consecutive lock lasts twice as long')
  const remembered = await redis.pttl(countKey as string)
  t.ok(remembered > 86_000_000, `the count is remembered for a day from the last lockout (${remembered} ms)`)
})

t.test('a Redis that evicts keys before they expire is reported at startup', { skip }, async (t) => {
  const evicting = await startRedis(t, { args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] })
  const safe = await startRedis(t)
  const warned = await instance(t, client(t, () => new Redis(evicting.url)))
  const quiet = await instance(t, client(t, () => new Redis(safe.url)))
  const find = (logs: Array<Record<string, unknown>>) => logs.find((l) => l.event === 'rate_limit_config')
  for (let i = 0; i < 50 && find(warned.logs) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(find(warned.logs), { level: 40, maxmemoryPolicy: 'allkeys-lru', msg: /noeviction/ })
  t.equal(find(quiet.logs), undefined, 'noeviction (the default) says nothing')
})

t.test('Redis stopped during logins: 503 temporarily_unavailable within rateLimit.timeout, never a token; logins recover without a restart', { skip }, async (t) => {
  const server = await startRedis(t)
  const { app, logs } = await instance(t, client(t, () => new Redis(server.url)), { timeout: 500 })
  t.equal((await login(app, 'alice', 'secret')).statusCode, 200, 'logins work while Redis is up')
  await server.halt()
  for (const [password, what] of [['secret', 'the right password'], ['wrong', 'a wrong one']]) {
    const started = Date.now()
    const res = await login(app, 'alice', password as string)
    const took = Date.now() - started
    t.equal(res.statusCode, 503, `${what}: 503`)
    t.same(res.json(), { error: 'temporarily_unavailable', error_description: 'The server cannot count login attempts right now: retry after the Retry-After delay' })
    t.equal(res.headers['retry-after'], '5')
    t.equal(res.headers['cache-control'], 'no-store')
    t.ok(took < 2000, `answered in ${took} ms`)
  }
  t.match(logs.find((l) => l.event === 'login' && l.outcome === 'error'), { level: 40, reason: 'rate_limit_store', code: String })

  await server.start()
  const deadline = Date.now() + 20_000
  let res = await login(app, 'alice', 'secret')
  while (res.statusCode === 503 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    res = await login(app, 'alice', 'secret')
  }
  t.equal(res.statusCode, 200, 'the same app logs in again once Redis is back')
})

t.test('Redis frozen (it accepts connections, answers nothing): 503 after rateLimit.timeout; skipOnError lets logins through', { skip }, async (t) => {
  const server = await startRedis(t)
  const strict = await instance(t, client(t, () => new Redis(server.url)), { timeout: 300 })
  const lenient = await instance(t, client(t, () => new Redis(server.url)), { timeout: 300, skipOnError: true })
  t.equal((await login(strict.app, 'alice', 'secret')).statusCode, 200)
  t.equal((await login(lenient.app, 'alice', 'secret')).statusCode, 200)
  server.pause()
  t.teardown(() => server.resume())
  const started = Date.now()
  const res = await login(strict.app, 'alice', 'secret')
  t.equal(res.statusCode, 503)
  t.equal((res.json() as { error?: string }).error, 'temporarily_unavailable')
  t.ok(Date.now() - started < 1500, `answered in ${Date.now() - started} ms`)
  t.match(strict.logs.find((l) => l.event === 'login' && l.outcome === 'error'), { reason: 'rate_limit_store', code: 'FST_PWB_RATE_LIMIT_TIMEOUT' })
  t.equal((await login(lenient.app, 'alice', 'secret')).statusCode, 200, 'skipOnError: the login goes through unthrottled')
  server.resume()
  t.equal((await login(strict.app, 'alice', 'secret')).statusCode, 200, 'answers again once Redis does')
})
