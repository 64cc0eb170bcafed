// The contract every TokenStore passes: run it with a factory of fresh stores,
//   tokenStoreContract(t, 'memory', async () => ({ store, close, content }))
// Times are real-clock based (an hour-long family, a day-long revocation) and moved forward by
// passing `now`, never by sleeping, so that a backend whose data also expires on its own clock
// (Redis TTLs) agrees with the results.
import fc from 'fast-check'
import type { Test } from 'tap'
import { newFamilyId, newRefreshToken, shardKey } from '../../lib/sessions/refresh-token.js'
import type { RefreshFamily, RefreshTokenRef, Revocation, TokenStore } from '../../lib/stores/token-store.js'

export interface StoreUnderTest {
  store: TokenStore
  /** Releases the store (connections, keys); called once at the end of each test. */
  close: () => Promise<void>
  /** Everything the store holds (every key and value), as text. */
  content: () => Promise<string>
}

export type StoreFactory = () => Promise<StoreUnderTest>

export interface ContractOptions {
  /** Runs of the fast-check property. @default 100 */
  propertyRuns?: number
  /** How long a revocation may take to reach a listener, in ms. @default 2000 */
  eventTimeout?: number
}

const HOUR = 3_600_000
const DAY = 24 * HOUR
const IDLE = 10 * 60_000

interface Session {
  family: RefreshFamily
  ref: RefreshTokenRef
  token: string
}

/** A family of `subject` created at `now`, an hour long, ten minutes idle. */
export function newFamily (now: number, subject = 'u1', overrides: Partial<RefreshFamily> = {}): RefreshFamily {
  return {
    id: newFamilyId(),
    shard: shardKey(subject),
    subject,
    username: `name-of-${subject}`,
    scopes: ['items:read', 'items:write'],
    clientId: 'client-a',
    createdAt: now,
    expiresAt: now + HOUR,
    idleExpiresAt: now + IDLE,
    ...overrides
  }
}

async function login (store: TokenStore, now: number, subject = 'u1', overrides: Partial<RefreshFamily> = {}): Promise<Session> {
  const family = newFamily(now, subject, overrides)
  const { token, ref } = newRefreshToken(family.shard, family.id)
  if (!await store.createFamily(family, ref.hash)) throw new Error('createFamily refused a fresh family')
  return { family, ref, token }
}

function successor (session: Session): Session {
  return { family: session.family, ...newRefreshToken(session.family.shard, session.family.id) }
}

async function eventually (check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return true
}

export function tokenStoreContract (t: Test, name: string, factory: StoreFactory, options: ContractOptions = {}): void {
  const propertyRuns = options.propertyRuns ?? 100
  const eventTimeout = options.eventTimeout ?? 2000

  async function open (t: Test): Promise<StoreUnderTest> {
    const opened = await factory()
    t.teardown(opened.close)
    return opened
  }

  t.test(`${name}: a rotation makes the next token current and the used one dead at once`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    const b = successor(a)
    const rotated = await store.rotate(a.ref, b.ref.hash, now + 1000, IDLE)
    t.same(rotated, { status: 'rotated', family: { ...a.family, idleExpiresAt: now + 1000 + IDLE } })
    const c = successor(b)
    t.equal((await store.rotate(b.ref, c.ref.hash, now + 2000, IDLE)).status, 'rotated', 'the new token rotates in turn')
    t.equal((await store.rotate(b.ref, successor(b).ref.hash, now + 3000, IDLE)).status, 'reused', 'the used token is not current any more')
  })

  t.test(`${name}: presenting a rotated token ends the family, the newest token with it`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    const b = successor(a)
    const c = successor(b)
    await store.rotate(a.ref, b.ref.hash, now + 1, IDLE)
    await store.rotate(b.ref, c.ref.hash, now + 2, IDLE)
    const reused = await store.rotate(a.ref, successor(c).ref.hash, now + 3, IDLE)
    t.same(reused, { status: 'reused', family: { ...a.family, idleExpiresAt: now + 2 + IDLE } }, 'the family is named, for the audit log')
    t.same(await store.rotate(c.ref, successor(c).ref.hash, now + 4, IDLE), { status: 'unknown' }, 'the newest token is dead')
    t.same(await store.rotate(a.ref, successor(c).ref.hash, now + 5, IDLE), { status: 'unknown' }, 'a second reuse finds nothing')
    t.equal(await store.revokeFamily(c.ref, now + 6), undefined)
  })

  t.test(`${name}: findFamily finds the family of a current token only, and changes nothing`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    t.same(await store.findFamily(a.ref, now + 1), a.family)
    t.same(await store.findFamily(a.ref, now + 2), a.family, 'twice')
    const b = successor(a)
    await store.rotate(a.ref, b.ref.hash, now + 3, IDLE)
    t.equal(await store.findFamily(a.ref, now + 4), undefined, 'a rotated token')
    t.same(await store.findFamily(b.ref, now + 4), { ...a.family, idleExpiresAt: now + 3 + IDLE })
    t.equal(await store.findFamily(successor(b).ref, now + 4), undefined, 'a wrong hash')
    t.equal(await store.findFamily({ ...b.ref, family: newFamilyId() }, now + 4), undefined, 'another family')
    t.equal((await store.rotate(a.ref, successor(b).ref.hash, now + 5, IDLE)).status, 'reused', 'the lookups did not disturb reuse detection')
    t.equal(await store.findFamily(b.ref, now + 6), undefined, 'an ended family')
    const y = await login(store, now)
    t.equal(await store.findFamily(y.ref, now + IDLE), undefined, 'idle-expired')
    const x = await login(store, now, 'u1', { expiresAt: now + 100, idleExpiresAt: now + 100 })
    t.equal(await store.findFamily(x.ref, now + 100), undefined, 'expired')
  })

  t.test(`${name}: of many concurrent rotations of one token, exactly one succeeds`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    const nexts = Array.from({ length: 20 }, () => successor(a))
    const results = await Promise.all(nexts.map((next) => store.rotate(a.ref, next.ref.hash, now + 1, IDLE)))
    t.equal(results.filter((r) => r.status === 'rotated').length, 1, 'one rotation')
    t.equal(results.filter((r) => r.status === 'reused').length, 1, 'the next one is a reuse, which ends the family')
    t.equal(results.filter((r) => r.status === 'unknown').length, 18, 'the others find it ended')
    const winner = nexts[results.findIndex((r) => r.status === 'rotated')] as Session
    t.same(await store.rotate(winner.ref, successor(winner).ref.hash, now + 2, IDLE), { status: 'unknown' })
  })

  t.test(`${name}: a family ends at its absolute expiry, however recently it was used`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    let s = await login(store, now, 'u1', { expiresAt: now + HOUR, idleExpiresAt: now + IDLE })
    for (let at = now + IDLE - 1; at < now + HOUR; at += IDLE - 1) {
      const next = successor(s)
      const r = await store.rotate(s.ref, next.ref.hash, at, IDLE)
      t.equal(r.status, 'rotated', `rotated at +${at - now} ms`)
      if (r.status === 'rotated') t.ok(r.family.idleExpiresAt <= r.family.expiresAt, 'the idle end never passes the absolute end')
      s = next
    }
    t.same(await store.rotate(s.ref, successor(s).ref.hash, now + HOUR, IDLE), { status: 'unknown' }, 'refused at expiresAt')
  })

  t.test(`${name}: a family ends when it is not used for idleTtl`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    const b = successor(a)
    t.equal((await store.rotate(a.ref, b.ref.hash, now + IDLE - 1, IDLE)).status, 'rotated', 'just inside the idle time')
    const idleEnd = now + IDLE - 1 + IDLE
    t.same(await store.rotate(b.ref, successor(b).ref.hash, idleEnd, IDLE), { status: 'unknown' }, 'refused at the idle end')
    t.same(await store.rotate(a.ref, successor(b).ref.hash, idleEnd + 1, IDLE), { status: 'unknown' }, 'a rotated token of an expired family is no reuse')
    t.equal(await store.revokeFamily(b.ref, idleEnd), undefined)
  })

  t.test(`${name}: a wrong token with a real family id is unknown and harms nothing`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    const forged = successor(a)
    t.same(await store.rotate(forged.ref, successor(a).ref.hash, now + 1, IDLE), { status: 'unknown' })
    t.same(await store.rotate({ ...a.ref, shard: shardKey('u2') }, successor(a).ref.hash, now + 1, IDLE), { status: 'unknown' }, 'another shard key')
    t.same(await store.rotate({ ...a.ref, family: newFamilyId() }, successor(a).ref.hash, now + 1, IDLE), { status: 'unknown' }, 'another family')
    t.equal(await store.revokeFamily(forged.ref, now + 1), undefined, 'nor can it revoke the family')
    t.equal((await store.rotate(a.ref, successor(a).ref.hash, now + 2, IDLE)).status, 'rotated', 'the real token still works')
  })

  t.test(`${name}: createFamily refuses a taken family id`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    t.equal(await store.createFamily({ ...a.family, subject: 'u2' }, successor(a).ref.hash), false)
    t.equal((await store.rotate(a.ref, successor(a).ref.hash, now + 1, IDLE)).status, 'rotated', 'the first family is untouched')
  })

  t.test(`${name}: revoking by a refresh token ends its family, current or rotated`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    t.same(await store.revokeFamily(a.ref, now + 1), a.family)
    t.same(await store.rotate(a.ref, successor(a).ref.hash, now + 2, IDLE), { status: 'unknown' })
    t.equal(await store.revokeFamily(a.ref, now + 3), undefined, 'revoking again finds nothing')

    const x = await login(store, now)
    const y = successor(x)
    await store.rotate(x.ref, y.ref.hash, now + 1, IDLE)
    t.equal((await store.revokeFamily(x.ref, now + 2))?.id, x.family.id, 'by a rotated token')
    t.same(await store.rotate(y.ref, successor(y).ref.hash, now + 3, IDLE), { status: 'unknown' })

    const other = await login(store, now, 'u1')
    t.equal((await store.rotate(other.ref, successor(other).ref.hash, now + 4, IDLE)).status, 'rotated', 'the user\'s other family lives')
  })

  t.test(`${name}: a revoked jti is listed until its expiry, then dropped`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    await store.revokeAccessToken('jti-1', now + DAY, now)
    await store.revokeAccessToken('jti-2', now + HOUR, now)
    t.same(sortRevocations(await store.loadRevocations(now + 1)), [
      { type: 'access-token', jti: 'jti-1', expiresAt: now + DAY },
      { type: 'access-token', jti: 'jti-2', expiresAt: now + HOUR }
    ])
    t.same(await store.loadRevocations(now + HOUR), [{ type: 'access-token', jti: 'jti-1', expiresAt: now + DAY }], 'dropped at its expiry')
    await store.revokeAccessToken('jti-1', now + HOUR, now + 2)
    t.same(await store.loadRevocations(now + HOUR + 1), [{ type: 'access-token', jti: 'jti-1', expiresAt: now + DAY }], 'a second revocation keeps the later end')
    await store.revokeAccessToken('jti-3', now + 5, now + 5)
    t.notOk((await store.loadRevocations(now + 3)).some((r) => r.type === 'access-token' && r.jti === 'jti-3'), 'an expired token is not recorded')
    t.same(await store.loadRevocations(now + DAY), [])
  })

  t.test(`${name}: revoking a user ends all their families and sets their not-before time`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const u1a = await login(store, now, 'u1')
    const u1b = await login(store, now, 'u1')
    await store.rotate(u1b.ref, successor(u1b).ref.hash, now + 1, IDLE)
    const u2 = await login(store, now, 'u2')
    const at = now + 1000
    t.equal(await store.revokeUser({ subject: 'u1', shard: shardKey('u1') }, at, at + DAY), 2)
    t.same(await store.rotate(u1a.ref, successor(u1a).ref.hash, at + 1, IDLE), { status: 'unknown' })
    t.same(await store.revokeFamily(u1b.ref, at + 1), undefined)
    t.equal((await store.rotate(u2.ref, successor(u2).ref.hash, at + 1, IDLE)).status, 'rotated', 'another user is untouched')
    t.same(await store.loadRevocations(at), [{ type: 'user', subject: 'u1', notBefore: at, expiresAt: at + DAY }])

    t.equal(await store.createFamily(newFamily(at - 1, 'u1'), successor(u1a).ref.hash), false, 'a login from before the revocation cannot start a family')
    t.equal(await store.createFamily(newFamily(at, 'u1'), successor(u1a).ref.hash), true, 'a login from then on can')

    t.equal(await store.revokeUser({ subject: 'u1', shard: shardKey('u1') }, at - 500, at + HOUR), 1, 'an earlier not-before still ends the families')
    t.same(await store.loadRevocations(at), [{ type: 'user', subject: 'u1', notBefore: at, expiresAt: at + DAY }], 'and keeps the later times')
    t.same(await store.loadRevocations(at + DAY), [], 'dropped at its expiry')
    t.equal(await store.revokeUser({ subject: 'nobody', shard: shardKey('nobody') }, at, at + DAY), 0, 'a user without families')
  })

  t.test(`${name}: listeners hear every revocation until they stop`, async (t) => {
    const { store } = await open(t)
    const now = Date.now()
    const first: Revocation[] = []
    const second: Revocation[] = []
    const stopFirst = store.onRevocation((r) => first.push(r))
    store.onRevocation((r) => second.push(r))
    await store.revokeAccessToken('jti-1', now + HOUR, now)
    await store.revokeUser({ subject: 'u1', shard: shardKey('u1') }, now, now + DAY)
    const expected = [
      { type: 'access-token', jti: 'jti-1', expiresAt: now + HOUR },
      { type: 'user', subject: 'u1', notBefore: now, expiresAt: now + DAY }
    ]
    t.ok(await eventually(() => first.length >= 2 && second.length >= 2, eventTimeout), 'both listeners heard both')
    t.same(sortRevocations(first), expected)
    t.same(sortRevocations(second), expected)
    stopFirst()
    await store.revokeAccessToken('jti-2', now + HOUR, now)
    t.ok(await eventually(() => second.length >= 3, eventTimeout))
    t.equal(first.length, 2, 'a stopped listener hears nothing more')
    const families = await login(store, now, 'u3')
    await store.rotate(families.ref, successor(families).ref.hash, now + 1, IDLE)
    await store.revokeFamily(families.ref, now + 2)
    await new Promise((resolve) => setTimeout(resolve, Math.min(eventTimeout, 200)))
    t.equal(second.length, 3, 'refresh families are no revocation event')
  })

  t.test(`${name}: the store holds hashes of refresh tokens, never the tokens`, async (t) => {
    const { store, content } = await open(t)
    const now = Date.now()
    const a = await login(store, now)
    const b = successor(a)
    await store.rotate(a.ref, b.ref.hash, now + 1, IDLE)
    const held = await content()
    t.ok(held.includes(a.ref.hash) && held.includes(b.ref.hash), 'the hashes are there')
    for (const token of [a.token, b.token]) {
      t.notOk(held.includes(token), 'no token')
      t.notOk(held.includes(token.slice(-43)), 'no token secret')
    }
  })

  t.test(`${name}: for any interleaving of refresh, reuse and revocation, at most one token per family works and no ended family revives`, async (t) => {
    const { store } = await open(t)
    // A model of the families: every token handed out, which one is current, whether it ended.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('login' as const), user: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('refresh' as const), family: fc.nat(), token: fc.nat(), parallel: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('revoke' as const), family: fc.nat(), token: fc.nat() }),
      fc.record({ kind: fc.constant('revokeUser' as const), user: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: IDLE }) })
    )
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
      interface Model { session: Session, tokens: Session[], current: number, alive: boolean, lastUse: number }
      const model: Model[] = []
      let now = Date.now()
      const users = [`p-${newFamilyId()}`, `p-${newFamilyId()}`, `p-${newFamilyId()}`]
      const pick = (i: number): Model | undefined => model.length === 0 ? undefined : model[i % model.length]
      const expire = (m: Model): void => { if (now >= m.lastUse + IDLE || now >= m.session.family.expiresAt) m.alive = false }
      for (const o of ops) {
        if (o.kind === 'wait') {
          now += o.ms
        } else if (o.kind === 'login') {
          now += 1
          const session = await login(store, now, users[o.user])
          model.push({ session, tokens: [session], current: 0, alive: true, lastUse: now })
        } else if (o.kind === 'revokeUser') {
          now += 1
          const subject = users[o.user] as string
          await store.revokeUser({ subject, shard: shardKey(subject) }, now, now + DAY)
          for (const m of model) if (m.session.family.subject === subject) m.alive = false
        } else {
          const m = pick(o.family)
          if (m === undefined) continue
          now += 1
          expire(m)
          const index = o.token % m.tokens.length
          const used = m.tokens[index] as Session
          if (o.kind === 'revoke') {
            const ended = await store.revokeFamily(used.ref, now)
            if ((ended !== undefined) !== m.alive) return false
            m.alive = false
            continue
          }
          const nexts = Array.from({ length: o.parallel }, () => successor(used))
          const results = await Promise.all(nexts.map((next) => store.rotate(used.ref, next.ref.hash, now, IDLE)))
          const rotated = results.filter((r) => r.status === 'rotated').length
          const reused = results.filter((r) => r.status === 'reused').length
          if (!m.alive) {
            if (rotated + reused > 0) return false // an ended family revived
          } else if (index === m.current) {
            if (rotated !== 1 || reused !== (o.parallel > 1 ? 1 : 0)) return false
            m.tokens.push(nexts[results.findIndex((r) => r.status === 'rotated')] as Session)
            m.current = m.tokens.length - 1
            m.lastUse = now
            if (reused > 0) m.alive = false
          } else {
            if (rotated !== 0 || reused !== 1) return false // a rotated token of a live family: reuse, once
            m.alive = false
          }
        }
      }
      // Finally, of all the tokens of each family, at most the current one still rotates.
      now += 1
      for (const m of model) {
        expire(m)
        let working = 0
        for (let i = m.tokens.length - 1; i >= 0; i--) {
          const probe = m.tokens[i] as Session
          const r = await store.rotate(probe.ref, successor(probe).ref.hash, now, IDLE)
          if (r.status === 'rotated') working++
          if (r.status !== 'unknown') break // a rotation or a reuse changed the family: stop probing
        }
        if (working > (m.alive ? 1 : 0)) return false
        if (m.alive && working !== 1) return false
      }
      return true
    }), { numRuns: propertyRuns })
    t.pass('property held')
  })
}

function sortRevocations (list: Revocation[]): Revocation[] {
  const key = (r: Revocation): string => r.type === 'access-token' ? `a:${r.jti}` : `u:${r.subject}`
  return [...list].sort((a, b) => key(a) < key(b) ? -1 : 1)
}
