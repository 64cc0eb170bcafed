/**
 * What is the Redis token store's own, beyond the shared contract: keys that expire with their
 * data, revocations that reach another instance through pub/sub and are made up for after a lost
 * connection, Redis down or frozen (rejections within `timeout`, a late rotation taken back),
 * what survives a restart (nothing without persistence, everything with AOF), and clients with a
 * key prefix.
 */
import { Redis } from 'ioredis'
import t, { type Test } from 'tap'
import { newRefreshToken } from '../../lib/sessions/refresh-token.js'
import { RedisTokenStore } from '../../lib/stores/redis-token-store.js'
import type { RefreshFamily, Revocation, TokenStore } from '../../lib/stores/token-store.js'
import { redisSkip, startRedis, type RedisServer } from '../helpers/redis.js'
import { freshPrefix, openStore } from '../helpers/redis-token-stores.js'
import { newFamily } from '../helpers/token-store-contract.js'

const skip = redisSkip()

const HOUR = 3_600_000
const IDLE = 600_000

/** A family with its current token's reference, created in `store`. */
async function login (store: TokenStore, now: number, subject = 'u1', overrides: Partial<RefreshFamily> = {}) {
  const f = newFamily(now, subject, overrides)
  const first = newRefreshToken(f.shard, f.id)
  if (!await store.createFamily(f, first.ref.hash)) throw new Error('createFamily refused a fresh family')
  return { family: f, ref: first.ref }
}

/** A store on its own client to `server`, closed (with its keys deleted) when `t` ends. */
async function storeOn (t: Test, server: RedisServer, options: Parameters<typeof openStore>[1] = {}) {
  const opened = await openStore(() => new Redis(server.url), options)
  t.teardown(opened.close)
  return opened
}

async function eventually (check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (!await check()) {
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

t.test('keys expire with their data: a family at its idle end, a user index with its last family, the revocation list with its last entry', { skip }, async (t) => {
  const server = await startRedis(t)
  const { store, client, prefix } = await storeOn(t, server)
  const now = Date.now()
  const { family: f, ref } = await login(store, now, 'u1', { idleExpiresAt: now + 400, expiresAt: now + 700 })
  await store.revokeAccessToken('jti-short', now + 500, now)
  const familyKey = `${prefix}{${f.shard}}:f:${f.id}`
  const userKey = `${prefix}{${f.shard}}:u:u1`
  const listKey = `${prefix}{revocations}:list`
  const ttl = async (key: string) => await client.pttl(key)
  t.ok(await ttl(familyKey) > 300 && await ttl(familyKey) <= 400, 'the family expires at its idle end')
  t.ok(await ttl(userKey) > 600 && await ttl(userKey) <= 700, 'the user index at the family\'s absolute end')
  t.ok(await ttl(listKey) > 400 && await ttl(listKey) <= 500, 'the list at its last entry\'s end')

  const next = newRefreshToken(f.shard, f.id)
  t.equal((await store.rotate(ref, next.ref.hash, Date.now(), 250)).status, 'rotated')
  t.ok(await ttl(familyKey) <= 250, 'a rotation moves the family\'s expiry to its new idle end')

  t.ok(await eventually(async () => (await client.keys(`${prefix}*`)).length === 0, 3000), 'Redis holds nothing once everything has ended')
})

t.test('a revocation on one instance reaches the listeners of another through pub/sub, once', { skip }, async (t) => {
  const server = await startRedis(t)
  const a = await storeOn(t, server)
  const b = await storeOn(t, server, { prefix: a.prefix })
  const heardOnA: Revocation[] = []
  const heardOnB: Revocation[] = []
  a.store.onRevocation((r) => heardOnA.push(r))
  b.store.onRevocation((r) => heardOnB.push(r))
  await new Promise((resolve) => setTimeout(resolve, 200)) // both subscribed
  const now = Date.now()
  await a.store.revokeAccessToken('jti-a', now + HOUR, now)
  t.same(heardOnA, [{ type: 'access-token', jti: 'jti-a', expiresAt: now + HOUR }], 'A hears its own revocation before the call resolves')
  t.ok(await eventually(() => heardOnB.length === 1), 'B hears it')
  t.same(heardOnB, heardOnA)
  const { family: f } = await login(b.store, now, 'u7')
  t.equal(await b.store.revokeUser({ subject: 'u7', shard: f.shard }, now + 1, now + HOUR), 1)
  t.ok(await eventually(() => heardOnA.length === 2), 'A hears B\'s "log out everywhere"')
  t.same(heardOnA[1], { type: 'user', subject: 'u7', notBefore: now + 1, expiresAt: now + HOUR })
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(heardOnA.length, 2, 'A does not hear its own message back')
  t.equal(heardOnB.length, 2)
  const other = await storeOn(t, server)
  const elsewhere: Revocation[] = []
  other.store.onRevocation((r) => elsewhere.push(r))
  await new Promise((resolve) => setTimeout(resolve, 200))
  await a.store.revokeAccessToken('jti-b', now + HOUR, now)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.same(elsewhere, [], 'a store with another prefix hears nothing')
})

t.test('a subscriber that lost its connection reloads the list when it is back, and logs the outage', { skip }, async (t) => {
  const server = await startRedis(t)
  const logs: Array<{ level: string, fields: Record<string, unknown> }> = []
  const logger = {
    info: (fields: object) => { logs.push({ level: 'info', fields: fields as Record<string, unknown> }) },
    warn: (fields: object) => { logs.push({ level: 'warn', fields: fields as Record<string, unknown> }) }
  }
  const a = await storeOn(t, server)
  const b = await storeOn(t, server, { prefix: a.prefix, logger })
  const heard: Revocation[] = []
  b.store.onRevocation((r) => heard.push(r))
  await new Promise((resolve) => setTimeout(resolve, 200))
  // Cut B's subscriber off and revoke while it is away: the message is lost to it.
  const admin = new Redis(server.url)
  t.teardown(() => { admin.disconnect() })
  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  const now = Date.now()
  await a.store.revokeAccessToken('jti-missed', now + HOUR, now)
  t.ok(await eventually(() => heard.some((r) => r.type === 'access-token' && r.jti === 'jti-missed')), 'B has it after reconnecting')
  t.match(logs, [{ level: 'warn', fields: { event: 'token_store', outcome: 'disconnected' } }, { level: 'info', fields: { event: 'token_store', outcome: 'recovered' } }])
})

t.test('Redis down: every call rejects within timeout; the store works again once Redis is back, and listeners catch up', { skip }, async (t) => {
  const server = await startRedis(t)
  const a = await storeOn(t, server, { timeout: 300, resyncInterval: 500 })
  const b = await storeOn(t, server, { prefix: a.prefix, timeout: 300, resyncInterval: 500 })
  const heard: Revocation[] = []
  b.store.onRevocation((r) => heard.push(r))
  const now = Date.now()
  const { family: f, ref } = await login(a.store, now)
  await server.halt()
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['createFamily', () => a.store.createFamily(newFamily(now), 'h')],
    ['findFamily', () => a.store.findFamily(ref, now)],
    ['rotate', () => a.store.rotate(ref, 'next', now, IDLE)],
    ['revokeFamily', () => a.store.revokeFamily(ref, now)],
    ['revokeAccessToken', () => a.store.revokeAccessToken('j', now + HOUR, now)],
    ['revokeUser', () => a.store.revokeUser({ subject: 'u1', shard: f.shard }, now, now + HOUR)],
    ['loadRevocations', () => a.store.loadRevocations(now)]
  ]
  for (const [name, call] of calls) {
    const started = Date.now()
    await t.rejects(call(), `${name} rejects`)
    t.ok(Date.now() - started < 1000, `${name} within the time limit (${Date.now() - started} ms)`)
  }
  await server.start() // empty again: no persistence
  t.ok(await eventually(async () => {
    try {
      return await a.store.createFamily(newFamily(Date.now(), 'u2'), 'h2')
    } catch {
      return false
    }
  }, 10_000), 'calls succeed again without a new store or client')
  await a.store.revokeAccessToken('after', Date.now() + HOUR, Date.now())
  t.ok(await eventually(() => heard.some((r) => r.type === 'access-token' && r.jti === 'after'), 10_000), 'B hears revocations again')
})

t.test('Redis frozen during a refresh: the call rejects at its time limit, and the rotation Redis does later is taken back', { skip }, async (t) => {
  const server = await startRedis(t)
  const { store } = await storeOn(t, server, { timeout: 200 })
  const now = Date.now()
  const { family: f, ref } = await login(store, now)
  server.pause()
  const lost = newRefreshToken(f.shard, f.id)
  const started = Date.now()
  await t.rejects(store.rotate(ref, lost.ref.hash, now + 1, IDLE), { code: 'FST_PWB_REDIS_TIMEOUT', statusCode: 503 })
  t.ok(Date.now() - started < 600, 'rejected at the time limit')
  server.resume()
  // Redis now runs the rotation it received, and the store takes it back: the client, told to
  // retry, still holds the current token.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(await store.findFamily(lost.ref, now + 2), undefined, 'the token nobody received is not current')
  const retry = newRefreshToken(f.shard, f.id)
  t.equal((await store.rotate(ref, retry.ref.hash, now + 3, IDLE)).status, 'rotated', 'the retried refresh works (no reuse detected)')
})

t.test('a Redis restart without persistence forgets everything; with AOF everything survives', { skip }, async (t) => {
  for (const aof of [false, true]) {
    const server = await startRedis(t, { aof })
    const { store, prefix } = await storeOn(t, server)
    const now = Date.now()
    const { family: f, ref } = await login(store, now, 'u1')
    const { family: g } = await login(store, now, 'u2')
    await store.revokeAccessToken('jti-1', now + HOUR, now)
    await store.revokeUser({ subject: 'u2', shard: g.shard }, now + 1, now + HOUR)
    await server.halt()
    await server.start()
    const fresh = await storeOn(t, server, { prefix })
    const revocations = await fresh.store.loadRevocations(now + 2)
    const next = newRefreshToken(f.shard, f.id)
    const rotated = await fresh.store.rotate(ref, next.ref.hash, now + 3, IDLE)
    if (aof) {
      t.equal(revocations.length, 2, 'AOF: the revocations survive')
      t.equal(rotated.status, 'rotated', 'AOF: the refresh family survives')
      t.equal(await fresh.store.createFamily(newFamily(now, 'u2'), 'h'), false, 'AOF: the not-before time still refuses older logins')
    } else {
      t.same(revocations, [], 'no persistence: no revocations')
      t.equal(rotated.status, 'unknown', 'no persistence: no refresh families')
    }
  }
})

t.test('a client with a keyPrefix: "log out everywhere" reaches the families it names itself', { skip }, async (t) => {
  const server = await startRedis(t)
  const prefix = freshPrefix()
  const opened = await openStore(() => new Redis(server.url, { keyPrefix: 'app:' }), { prefix })
  t.teardown(opened.close)
  const now = Date.now()
  const { family: f, ref } = await login(opened.store, now, 'u9')
  const plain = new Redis(server.url)
  t.teardown(() => { plain.disconnect() })
  t.ok((await plain.keys(`app:${prefix}*`)).length > 0, 'keys carry the client\'s prefix')
  t.equal(await opened.store.revokeUser({ subject: 'u9', shard: f.shard }, now + 1, now + HOUR), 1)
  t.same(await opened.store.rotate(ref, 'next', now + 2, IDLE), { status: 'unknown' }, 'the family has ended')
  t.same(await plain.keys(`app:${prefix}{${f.shard}}:f:*`), [], 'its key is gone')
})

t.test('invalid options fail with FST_PWB_INVALID_OPTION', async (t) => {
  const client = { defineCommand () {}, duplicate () { throw new Error('not used') } }
  for (const options of [undefined, {}, { client: 'redis://x' }, { client, prefix: 'a{b}:' }, { client, timeout: 0 }, { client, rotatedPerFamily: 0 }, { client, resyncInterval: 1 }]) {
    t.throws(() => new RedisTokenStore(options as never), { code: 'FST_PWB_INVALID_OPTION' }, JSON.stringify(options))
  }
})
