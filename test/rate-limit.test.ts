import Fastify from 'fastify'
import fastifyRateLimit from '@fastify/rate-limit'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { Writable } from 'node:stream'
import fastifyPasswordBearer, { hashPassword, type FastifyPasswordBearerOptions } from '../lib/index.js'
import type { RateLimitStore } from '../lib/endpoint/throttle-options.js'
import { buildApp, passwordRequest, SCOPES, SECRET, secretHash } from './support.js'

type Res = { statusCode: number, headers: Record<string, unknown>, body: string, json: () => unknown }

const login = passwordRequest

function assertSlowDown (t: Test, res: Res, retryAfter?: number): void {
  t.equal(res.statusCode, 429, 'status 429')
  const body = res.json() as Record<string, unknown>
  t.same(Object.keys(body).sort(), ['error', 'error_description'], 'an OAuth body, not Fastify\'s')
  t.equal(body.error, 'slow_down')
  t.match(body.error_description, /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/)
  t.notOk('access_token' in body, 'no token issued')
  t.match(res.headers['retry-after'], /^[1-9]\d*$/, 'Retry-After in seconds')
  if (retryAfter !== undefined) t.equal(Number(res.headers['retry-after']), retryAfter, 'Retry-After value')
  t.equal(res.headers['cache-control'], 'no-store')
}

function assertNoToken (t: Test, res: Res, status: number): void {
  t.equal(res.statusCode, status)
  t.notOk('access_token' in (res.json() as object), 'no token issued')
}

/** Moves Date.now (which the in-memory counters read) forward for the rest of the test. */
function clock (t: Test): (ms: number) => void {
  const real = Date.now
  let offset = 0
  Date.now = () => real() + offset
  t.teardown(() => { Date.now = real })
  return (ms) => { offset += ms }
}

const USERNAME_ONLY: FastifyPasswordBearerOptions['rateLimit'] = { username: { max: 3, timeWindow: 60_000 }, address: false }

t.test('after max failed logins for a username it is locked: 429 slow_down, even for the right password', async (t) => {
  const { app } = await buildApp({ rateLimit: USERNAME_ONLY })
  t.teardown(() => app.close())
  for (let i = 0; i < 3; i++) assertNoToken(t, await login(app, 'alice', 'wrong'), 400)
  assertSlowDown(t, await login(app, 'alice', 'wrong'), 60)
  assertSlowDown(t, await login(app, 'alice', 'secret'))
  t.equal((await login(app, 'carol', 'secret')).statusCode, 200, 'other usernames are not affected')
})

t.test('unknown usernames are counted and locked exactly like existing ones', async (t) => {
  const { app } = await buildApp({ rateLimit: USERNAME_ONLY })
  t.teardown(() => app.close())
  const answers: string[] = []
  for (const username of ['alice', 'ghost']) {
    for (let i = 0; i < 3; i++) assertNoToken(t, await login(app, username, 'wrong'), 400)
    const locked = await login(app, username, 'wrong')
    assertSlowDown(t, locked, 60)
    answers.push(locked.body)
  }
  t.equal(answers[0], answers[1], 'the lock reveals nothing about the user')
})

t.test('the username counter is shared by case, width and surrounding-space variants', async (t) => {
  const { app } = await buildApp({ rateLimit: USERNAME_ONLY })
  t.teardown(() => app.close())
  for (const variant of ['Alice', ' alice', 'ＡＬＩＣＥ']) assertNoToken(t, await login(app, variant, 'wrong'), 400)
  assertSlowDown(t, await login(app, 'alice', 'secret'))
})

t.test('successful logins are credited back: a user who logs in often is never locked', async (t) => {
  const { app } = await buildApp({ rateLimit: { username: { max: 2, timeWindow: 60_000 }, address: { max: 2, timeWindow: 60_000 } } })
  t.teardown(() => app.close())
  for (let i = 0; i < 8; i++) t.equal((await login(app, 'alice', 'secret')).statusCode, 200, `login ${i + 1}`)
})

t.test('lockouts double for each consecutive lockout, up to maxLockout', async (t) => {
  const advance = clock(t)
  const { app } = await buildApp({ rateLimit: { username: { max: 2, timeWindow: 10_000 }, address: false, maxLockout: 35_000 } })
  t.teardown(() => app.close())
  const seen: number[] = []
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 2; i++) assertNoToken(t, await login(app, 'alice', 'wrong'), 400)
    const locked = await login(app, 'alice', 'wrong')
    assertSlowDown(t, locked)
    const retryAfter = Number(locked.headers['retry-after'])
    seen.push(retryAfter)
    advance(retryAfter * 1000 - 1000)
    assertSlowDown(t, await login(app, 'alice', 'secret'), 1)
    advance(1001)
  }
  t.same(seen, [10, 20, 35, 35], 'window, double, then the cap')
  t.equal((await login(app, 'alice', 'secret')).statusCode, 200, 'the lock ends')
})

t.test('per-address limit: refused in onRequest, before the body is read; other addresses and routes unaffected', async (t) => {
  const { app } = await buildApp({ rateLimit: { username: false, address: { max: 3, timeWindow: 60_000 } } })
  t.teardown(() => app.close())
  for (let i = 0; i < 3; i++) assertNoToken(t, await login(app, `user${i}`, 'wrong', '203.0.113.7'), 400)
  assertSlowDown(t, await login(app, 'alice', 'secret', '203.0.113.7'), 60)
  const unreadable = await app.inject({ method: 'POST', url: '/token', remoteAddress: '203.0.113.7', headers: { 'content-type': 'application/json' }, payload: '{' })
  assertSlowDown(t, unreadable)
  t.equal((await login(app, 'alice', 'secret', '203.0.113.8')).statusCode, 200, 'another address logs in')
  const other = await app.inject({ method: 'GET', url: '/hello', remoteAddress: '203.0.113.7' })
  t.equal(other.statusCode, 200, 'the app\'s other routes are not throttled')
  t.notOk(other.headers['x-ratelimit-limit'], 'and carry no rate-limit headers')
  const wrongMethod = await app.inject({ method: 'GET', url: '/token', remoteAddress: '203.0.113.7' })
  t.equal(wrongMethod.statusCode, 405)
})

t.test('IPv6 clients are counted per /64', async (t) => {
  const { app } = await buildApp({ rateLimit: { username: false, address: { max: 2, timeWindow: 60_000 } } })
  t.teardown(() => app.close())
  assertNoToken(t, await login(app, 'x', 'wrong', '2001:db8:1:2::1'), 400)
  assertNoToken(t, await login(app, 'x', 'wrong', '2001:db8:1:2::ffff'), 400)
  assertSlowDown(t, await login(app, 'alice', 'secret', '2001:db8:1:2:abcd::9'))
  t.equal((await login(app, 'alice', 'secret', '2001:db8:1:3::1')).statusCode, 200)
})

t.test('rateLimit: false turns throttling off', async (t) => {
  const { app } = await buildApp({ rateLimit: false })
  t.teardown(() => app.close())
  for (let i = 0; i < 12; i++) assertNoToken(t, await login(app, 'alice', 'wrong'), 400)
  t.equal((await login(app, 'alice', 'secret')).statusCode, 200)
})

t.test('the defaults allow 10 failures per username, then lock', async (t) => {
  const { app } = await buildApp()
  t.teardown(() => app.close())
  for (let i = 0; i < 10; i++) assertNoToken(t, await login(app, 'alice', 'wrong'), 400)
  assertSlowDown(t, await login(app, 'alice', 'secret'), 900)
})

/** A shared in-memory store, as a Redis-backed one would be for several instances. */
function sharedStore (): { Store: new (options: Record<string, unknown>) => RateLimitStore, keys: Set<string>, fail: { on: boolean }, data: Map<string, { current: number, start: number, window: number }> } {
  const data = new Map<string, { current: number, start: number, window: number }>()
  const keys = new Set<string>()
  const fail = { on: false }
  class Store implements RateLimitStore {
    incr (key: string, cb: (err: Error | null, res?: { current: number, ttl: number }) => void, window: number): void {
      if (fail.on) { cb(new Error('connect ECONNREFUSED 10.0.0.5:6379')); return }
      keys.add(key)
      const now = Date.now()
      let item = data.get(key)
      if (item === undefined || item.start + item.window <= now) item = { current: 0, start: now, window }
      item.current++
      data.set(key, item)
      cb(null, { current: item.current, ttl: item.start + item.window - now })
    }

    read (key: string, cb: (err: Error | null, res?: { current: number, ttl: number }) => void): void {
      if (fail.on) { cb(new Error('connect ECONNREFUSED 10.0.0.5:6379')); return }
      const now = Date.now()
      const item = data.get(key)
      if (item === undefined || item.start + item.window <= now) cb(null, { current: 0, ttl: 0 })
      else cb(null, { current: item.current, ttl: item.start + item.window - now })
    }

    child (): RateLimitStore { return new Store() }
  }
  return { Store, keys, fail, data }
}

t.test('a custom store is passed through: two instances share counters, and keys hold no username in clear', async (t) => {
  const { Store, keys } = sharedStore()
  const rateLimit = { username: { max: 3, timeWindow: 60_000 }, address: false as const, store: Store }
  const a = await buildApp({ rateLimit })
  const b = await buildApp({ rateLimit })
  t.teardown(() => Promise.all([a.app.close(), b.app.close()]))
  assertNoToken(t, await login(a.app, 'alice', 'wrong'), 400)
  assertNoToken(t, await login(b.app, 'alice', 'wrong'), 400)
  assertNoToken(t, await login(a.app, 'alice', 'wrong'), 400)
  assertSlowDown(t, await login(b.app, 'alice', 'secret'), 60)
  t.ok(keys.size > 0, 'the store was used')
  for (const key of keys) t.notMatch(key, /alice/i, `key ${key} does not name the user`)
})

t.test('a failing store answers 503 temporarily_unavailable without internals; skipOnError lets logins through', async (t) => {
  const failing = sharedStore()
  failing.fail.on = true
  const strict = await buildApp({ rateLimit: { store: failing.Store } })
  const lenient = await buildApp({ rateLimit: { store: failing.Store, skipOnError: true } })
  t.teardown(() => Promise.all([strict.app.close(), lenient.app.close()]))
  const res = await login(strict.app, 'alice', 'secret')
  assertNoToken(t, res, 503)
  t.equal((res.json() as Record<string, unknown>).error, 'temporarily_unavailable')
  t.ok(res.headers['retry-after'])
  t.notMatch(res.body, /ECONNREFUSED|10\.0\.0\.5/)
  t.equal((await login(lenient.app, 'alice', 'secret')).statusCode, 200)
})

t.test('a store that does not answer within rateLimit.timeout: 503 temporarily_unavailable; skipOnError lets logins through', async (t) => {
  class Hanging implements RateLimitStore {
    incr (): void {}
    read (): void {}
    child (): RateLimitStore { return new Hanging() }
  }
  const strict = await buildApp({ rateLimit: { store: Hanging, timeout: 200 } })
  const lenient = await buildApp({ rateLimit: { store: Hanging, timeout: 200, skipOnError: true } })
  t.teardown(() => Promise.all([strict.app.close(), lenient.app.close()]))
  const started = Date.now()
  const res = await login(strict.app, 'alice', 'secret')
  assertNoToken(t, res, 503)
  t.equal((res.json() as Record<string, unknown>).error, 'temporarily_unavailable')
  t.equal(res.headers['retry-after'], '5')
  t.ok(Date.now() - started < 1000, `answered after the time limit (${Date.now() - started} ms)`)
  t.equal((await login(lenient.app, 'alice', 'secret')).statusCode, 200)
})

t.test('in a shared store, a lock holds for its full length even when its count of lockouts is forgotten first', async (t) => {
  const advance = clock(t)
  const { Store } = sharedStore()
  const HOUR = 3_600_000
  const { app } = await buildApp({ rateLimit: { username: { max: 1, timeWindow: HOUR }, address: false, maxLockout: 2 * HOUR, store: Store } })
  t.teardown(() => app.close())
  assertNoToken(t, await login(app, 'alice', 'wrong'), 400)
  assertSlowDown(t, await login(app, 'alice', 'wrong'), 3600)
  // The store remembers the count of lockouts for a day from the first one; a lock that starts
  // half an hour before that day ends must still last its two hours.
  advance(23.5 * HOUR)
  assertNoToken(t, await login(app, 'alice', 'wrong'), 400)
  assertSlowDown(t, await login(app, 'alice', 'wrong'), 7200)
  advance(HOUR)
  assertSlowDown(t, await login(app, 'alice', 'secret'))
  advance(HOUR)
  t.equal((await login(app, 'alice', 'secret')).statusCode, 200, 'the lock ends on time')
})

t.test('an app that registers @fastify/rate-limit itself keeps its own limits, and the token route keeps its', async (t) => {
  const passwordHash = await secretHash()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyRateLimit, { max: 100, timeWindow: 60_000 })
  await app.register(fastifyPasswordBearer, {
    secret: SECRET,
    scopes: SCOPES,
    users: { findByUsername: (u) => u === 'alice' ? { id: 'u-alice', username: 'alice', passwordHash } : null },
    rateLimit: { username: { max: 2, timeWindow: 60_000 }, address: false }
  })
  app.get('/open', async () => ({ ok: true }))
  await app.ready()
  const open = await app.inject('/open')
  t.equal(open.headers['x-ratelimit-limit'], '100', 'the app\'s global limit applies to its routes')
  for (let i = 0; i < 2; i++) assertNoToken(t, await login(app as never, 'alice', 'wrong'), 400)
  assertSlowDown(t, await login(app as never, 'alice', 'secret'))
})

t.test('a lockout is logged once as a structured event with the request id, without the username', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); cb() } })
  const { app } = await buildApp({ rateLimit: { username: { max: 1, timeWindow: 60_000 }, address: false } }, undefined, { logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  await login(app, 'mallory-target', 'wrong')
  await login(app, 'mallory-target', 'wrong')
  await login(app, 'mallory-target', 'wrong')
  const events = lines.filter((l) => l.event === 'login' && l.outcome === 'lockout')
  t.equal(events.length, 2, 'one event per refused request')
  t.match(events[0], { level: 40, reason: 'username', started: true, lockouts: 1, retryAfter: 60, reqId: String })
  t.match(events[1], { level: 30, reason: 'username', started: false })
  t.notOk(lines.some((l) => JSON.stringify(l).includes('mallory-target')), 'the username is never logged')
})

t.test('invalid rateLimit options fail registration with FST_PWB_INVALID_OPTION', async (t) => {
  for (const rateLimit of [
    5, null, 'on', [], { foo: 1 },
    { username: { max: 0 } }, { username: { max: 1.5 } }, { username: 'x' },
    { address: { timeWindow: 10 } }, { maxLockout: -1 }, { store: 'redis' }, { redis: 'localhost' },
    { nameSpace: '' }, { skipOnError: 'yes' }, { cache: 1 }, { timeout: 0 }, { timeout: '1s' }, { timeout: 60_001 }
  ]) {
    await t.rejects(buildApp({ rateLimit: rateLimit as never }), { code: 'FST_PWB_INVALID_OPTION' }, JSON.stringify(rateLimit))
  }
})

// Cheap argon2 parameters: these tests make hundreds of logins.
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

async function cheapApp (rateLimit: FastifyPasswordBearerOptions['rateLimit']) {
  const passwordHash = await hashPassword('secret', CHEAP)
  const user = { id: 'u-alice', username: 'alice', passwordHash, scopes: ['items:read'] }
  return buildApp({ rateLimit, hash: CHEAP, users: { findByUsername: (name) => (name === 'alice' ? user : null) } })
}

t.test('successes credit failures of their own window only: credits earned before a window ends do not carry over', async (t) => {
  const advance = clock(t)
  const { app } = await cheapApp({ address: { max: 5, timeWindow: 10_000 }, username: false })
  t.teardown(() => app.close())
  t.equal((await login(app, 'alice', 'wrong')).statusCode, 400, 'a failure starts the window')
  advance(8_000)
  for (let i = 0; i < 4; i++) t.equal((await login(app, 'alice', 'secret')).statusCode, 200, `success ${i + 1} just before the window ends`)
  advance(2_500) // the next window
  for (let i = 0; i < 5; i++) t.equal((await login(app, 'alice', 'wrong')).statusCode, 400, `failure ${i + 1} of the new window`)
  assertSlowDown(t, await login(app, 'alice', 'wrong'))
})

t.test('property: no sequence of successes and waits lets one address fail more than max times in a window', async (t) => {
  const advance = clock(t)
  const { Store, data } = sharedStore()
  const MAX = 2
  const WINDOW = 10_000
  const { app } = await cheapApp({ address: { max: MAX, timeWindow: WINDOW }, username: false, maxLockout: 1000 * 10, store: Store })
  t.teardown(() => app.close())
  const step = fc.oneof(
    { arbitrary: fc.constant('fail' as const), weight: 3 },
    { arbitrary: fc.constant('ok' as const), weight: 2 },
    { arbitrary: fc.integer({ min: 1, max: 12_000 }), weight: 2 }
  )
  let run = 0
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
    const address = `10.1.${(run >> 8) & 255}.${run++ & 255}`
    const failuresPerWindow = new Map<number, number>()
    for (const s of steps) {
      if (typeof s === 'number') { advance(s); continue }
      const res = await login(app, 'alice', s === 'ok' ? 'secret' : 'wrong', address)
      if (res.statusCode !== 400) continue
      // The window this failure was counted in, as the store keeps it.
      const window = [...data.entries()].find(([key]) => key.endsWith(`address:${address}:attempts`))?.[1]
      if (window === undefined) return false
      failuresPerWindow.set(window.start, (failuresPerWindow.get(window.start) ?? 0) + 1)
    }
    return [...failuresPerWindow.values()].every((n) => n <= MAX)
  }), { numRuns: 200 })
  t.pass('property held')
})

t.test('a spray of new usernames cannot evict a lock: it holds for its full duration', async (t) => {
  const { app } = await cheapApp({ username: { max: 2, timeWindow: 60_000 }, address: false, cache: 100 })
  t.teardown(() => app.close())
  for (let i = 0; i < 2; i++) t.equal((await login(app, 'alice', 'wrong')).statusCode, 400)
  assertSlowDown(t, await login(app, 'alice', 'wrong'))
  // Ten times the counters' LRU size in new usernames, from many addresses.
  for (let i = 0; i < 1000; i++) await login(app, `junk-${i}`, 'x', `10.9.${i >> 8}.${i & 255}`)
  assertSlowDown(t, await login(app, 'alice', 'secret'))
})

t.test('LockTable: live locks are never evicted; ended ones make room; a full table refuses to record', async (t) => {
  const { LockTable } = await import('../lib/endpoint/lock-table.js')
  let now = 0
  const table = new LockTable(100, 86_400_000, () => now)
  for (let i = 0; i < 100; i++) t.match(table.lock(`k${i}`, () => 1000), { strikes: 1, ms: 1000 })
  t.equal(table.lock('new', () => 1000), undefined, 'full of live locks: not recorded')
  t.equal(table.state('k0').lockedFor, 1000, 'the oldest live lock is still there')
  now = 1001
  t.match(table.lock('new', () => 1000), { strikes: 1 }, 'ended locks make room')
  t.ok(table.size <= 91, `swept down to 90 % (${table.size})`)
  t.match(table.lock('new', (n) => n * 1000), { strikes: 2, ms: 2000 }, 'consecutive lockouts count up')
  now += 86_400_001
  t.same(table.state('new'), { strikes: 0, lockedFor: 0 }, 'strikes are forgotten after their memory')
})
