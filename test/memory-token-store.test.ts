// The in-memory TokenStore: the shared contract, then what is its own (synchronous events, bounds).
import t from 'tap'
import { newFamilyId, newRefreshToken, shardKey } from '../lib/sessions/refresh-token.js'
import { contentOf, MemoryTokenStore } from '../lib/stores/memory-token-store.js'
import type { RefreshFamily, Revocation } from '../lib/stores/token-store.js'
import { tokenStoreContract } from './helpers/token-store-contract.js'

tokenStoreContract(t, 'memory', async () => {
  const store = new MemoryTokenStore()
  return { store, close: async () => {}, content: async () => store[contentOf]() }
})

const HOUR = 3_600_000

function family (now: number, subject = 'u1', overrides: Partial<RefreshFamily> = {}): RefreshFamily {
  return {
    id: newFamilyId(),
    shard: shardKey(subject),
    subject,
    username: subject,
    scopes: ['a'],
    clientId: 'c',
    createdAt: now,
    expiresAt: now + HOUR,
    idleExpiresAt: now + HOUR,
    ...overrides
  }
}

t.test('listeners are called before the revoking call resolves', async (t) => {
  const store = new MemoryTokenStore()
  const heard: Revocation[] = []
  store.onRevocation((r) => heard.push(r))
  const pending = store.revokeAccessToken('j', 2000, 1000)
  t.equal(heard.length, 1, 'heard synchronously, inside the call')
  await pending
})

t.test('a listener that throws stops neither the others nor the revocation, and rejects the call', async (t) => {
  const store = new MemoryTokenStore()
  const heard: Revocation[] = []
  store.onRevocation(() => { throw new Error('listener failed') })
  store.onRevocation((r) => heard.push(r))
  await t.rejects(store.revokeAccessToken('j', 2000, 1000), { message: 'listener failed' })
  t.equal(heard.length, 1)
  t.same(await store.loadRevocations(1000), [{ type: 'access-token', jti: 'j', expiresAt: 2000 }])
})

t.test('subscribing one function twice gives two subscriptions, each stopped alone', async (t) => {
  const store = new MemoryTokenStore()
  let calls = 0
  const listener = (): void => { calls++ }
  const stop = store.onRevocation(listener)
  store.onRevocation(listener)
  await store.revokeAccessToken('j', 2000, 1000)
  t.equal(calls, 2)
  stop()
  await store.revokeAccessToken('k', 2000, 1000)
  t.equal(calls, 3)
})

t.test('beyond maxFamilies, the least recently used family is dropped', async (t) => {
  const store = new MemoryTokenStore({ maxFamilies: 3 })
  const now = 1_000_000
  const sessions = []
  for (let i = 0; i < 3; i++) {
    const f = family(now + i)
    const { ref } = newRefreshToken(f.shard, f.id)
    await store.createFamily(f, ref.hash)
    sessions.push({ f, ref })
  }
  // Using the oldest makes the second one the least recently used.
  const next = newRefreshToken(sessions[0]!.f.shard, sessions[0]!.f.id)
  t.equal((await store.rotate(sessions[0]!.ref, next.ref.hash, now + 10, HOUR)).status, 'rotated')
  const f = family(now + 11)
  await store.createFamily(f, newRefreshToken(f.shard, f.id).ref.hash)
  t.equal(store.size, 3)
  t.equal(await store.revokeFamily(sessions[1]!.ref, now + 12), undefined, 'the least recently used one is gone')
  t.ok(await store.revokeFamily(next.ref, now + 12), 'the recently used one is kept')
  t.ok(await store.revokeFamily(sessions[2]!.ref, now + 12))
})

t.test('only the last rotatedPerFamily rotated tokens count as reuse', async (t) => {
  const store = new MemoryTokenStore({ rotatedPerFamily: 2 })
  const now = 1_000_000
  const f = family(now)
  const tokens = [newRefreshToken(f.shard, f.id)]
  await store.createFamily(f, tokens[0]!.ref.hash)
  for (let i = 0; i < 3; i++) {
    const next = newRefreshToken(f.shard, f.id)
    await store.rotate(tokens[i]!.ref, next.ref.hash, now + i, HOUR)
    tokens.push(next)
  }
  t.same(await store.rotate(tokens[0]!.ref, 'x', now + 5, HOUR), { status: 'unknown' }, 'three rotations back: forgotten')
  t.equal((await store.rotate(tokens[1]!.ref, 'x', now + 6, HOUR)).status, 'reused', 'two rotations back: reuse')
})

t.test('expired entries are swept out as the store is used', async (t) => {
  const store = new MemoryTokenStore({ sweepInterval: 1000 })
  const now = 1_000_000
  const f = family(now, 'u1', { expiresAt: now + 500, idleExpiresAt: now + 500 })
  await store.createFamily(f, newRefreshToken(f.shard, f.id).ref.hash)
  await store.revokeAccessToken('j', now + 500, now)
  await store.revokeUser({ subject: 'u2', shard: shardKey('u2') }, now, now + 500)
  const before = store[contentOf]()
  t.ok(before.includes('"j"') && before.includes('u2') && before.includes(f.id))
  await store.revokeAccessToken('k', now + 5000, now + 999)
  t.equal(store.size, 1, 'not before sweepInterval has passed')
  await store.revokeAccessToken('k', now + 5000, now + 1000)
  t.equal(store.size, 0)
  const after = store[contentOf]()
  t.notOk(after.includes('"j"') || after.includes('u2') || after.includes(f.id), 'the family, jti and user entry are gone')
  t.ok(after.includes('"k"'))
})

t.test('bad bounds are refused with FST_PWB_INVALID_OPTION', async (t) => {
  for (const options of [{ maxFamilies: 0 }, { rotatedPerFamily: 1.5 }, { sweepInterval: -1 }]) {
    t.throws(() => new MemoryTokenStore(options as never), { code: 'FST_PWB_INVALID_OPTION' })
  }
})
