// Type tests of the TokenStore API: compiled by `npm run lint:types`, never run.
import {
  MemoryTokenStore,
  type MemoryTokenStoreOptions,
  type RefreshFamily,
  type RefreshTokenRef,
  type Revocation,
  type RotateResult,
  type TokenStore
} from '../../lib/index.js'

function use (..._values: unknown[]): void {}

const bounds: MemoryTokenStoreOptions = { maxFamilies: 10, rotatedPerFamily: 2, sweepInterval: 1000 }
const store: TokenStore = new MemoryTokenStore(bounds)
// @ts-expect-error bounds are numbers
use(new MemoryTokenStore({ maxFamilies: '10' }))

declare const ref: RefreshTokenRef
declare const family: RefreshFamily
const created: Promise<boolean> = store.createFamily(family, ref.hash)
const rotated: Promise<RotateResult> = store.rotate(ref, 'next-hash', Date.now(), 60_000)
const found: Promise<RefreshFamily | undefined> = store.findFamily(ref, Date.now())
const ended: Promise<RefreshFamily | undefined> = store.revokeFamily(ref, Date.now())
const users: Promise<number> = store.revokeUser({ subject: 'u1', shard: ref.shard }, Date.now(), Date.now() + 1000)
use(created, found, rotated, ended, users)

async function explain (): Promise<string> {
  const result = await store.rotate(ref, 'next-hash', Date.now(), 60_000)
  if (result.status === 'unknown') {
    // @ts-expect-error an unknown token names no family
    use(result.family)
    return 'unknown'
  }
  const subject: string = result.family.subject
  // @ts-expect-error a family's scopes are read-only
  result.family.scopes.push('x')
  return subject
}
use(explain)

const stop: () => void = store.onRevocation((revocation: Revocation) => {
  if (revocation.type === 'access-token') use(revocation.jti, revocation.expiresAt)
  else use(revocation.subject, revocation.notBefore, revocation.expiresAt)
})
use(stop)

// A store of your own is any object with these methods.
const custom: TokenStore = {
  createFamily: async () => true,
  findFamily: async () => undefined,
  rotate: async () => ({ status: 'unknown' }),
  revokeFamily: async () => undefined,
  revokeAccessToken: async () => {},
  revokeUser: async () => 0,
  loadRevocations: async () => [],
  onRevocation: () => () => {}
}
// @ts-expect-error rotate must answer one of the three statuses
const wrong: TokenStore = { ...custom, rotate: async () => ({ status: 'expired' }) }
use(custom, wrong)
