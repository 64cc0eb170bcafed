// Type tests of the TokenStore API: compiled by `npm run lint:types`, never run.
import Fastify from 'fastify'
import fastifyPasswordBearer, {
  MemoryTokenStore,
  TokenStoreError,
  TokenStoreTimeoutError,
  type FastifyPasswordBearerOptions,
  type PasswordBearerErrorCode,
  type RefreshTokenOptions,
  type TokenResponse,
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

// The session options.
const lifetimes: RefreshTokenOptions = { absoluteTtl: 86_400, idleTtl: 3600 }
const sessionOptions: FastifyPasswordBearerOptions = {
  secret: 'x'.repeat(32),
  users: { findByUsername: () => null },
  refreshTokens: lifetimes,
  revocation: true,
  revokeUrl: '/logout',
  tokenStore: store,
  tokenStoreTimeout: 1000
}
// @ts-expect-error refreshTokens takes true, false or lifetimes in seconds
const wrongLifetimes: FastifyPasswordBearerOptions = { ...sessionOptions, refreshTokens: '30d' }
// @ts-expect-error tokenStore must be a TokenStore
const wrongStore: FastifyPasswordBearerOptions = { ...sessionOptions, tokenStore: {} }
use(wrongLifetimes, wrongStore)

const app = Fastify()
await app.register(fastifyPasswordBearer, sessionOptions)
const loggedOut: Promise<void> = app.revokeUserSessions('u-42')
// @ts-expect-error revokeUserSessions takes the user id
use(app.revokeUserSessions(42), loggedOut)

declare const answer: TokenResponse
const refreshToken: string | undefined = answer.refresh_token
// @ts-expect-error refresh_token is optional: only with refresh tokens on
const always: string = answer.refresh_token
use(refreshToken, always)

function storeFailure (err: Error): PasswordBearerErrorCode | null {
  if (err instanceof TokenStoreTimeoutError) {
    const status: 503 = err.statusCode
    use(status)
    return err.code
  }
  return err instanceof TokenStoreError ? err.code : null
}
use(storeFailure)
