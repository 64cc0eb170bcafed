/**
 * Checks password-grant credentials against the user store. Every failure kind (unknown user, wrong
 * password, disabled user, user without a password) runs one argon2 verification, so they all take
 * about the same time and give the same answer.
 */
import type { FastifyBaseLogger } from 'fastify'
import { OAuthError, RETRY_AFTER, UserStoreError } from '../errors.js'
import type { Deadlines } from '../stores/deadlines.js'
import type { Limiter } from './limiter.js'
import { hashPassword, isArgon2Hash, needsRehash, verifyPassword, type HashOptions } from './password-hash.js'
import type { StoredUser, UserStore } from '../types.js'
import { callStore, isStoredUser } from '../stores/user-store.js'

/** Why a login failed: for logs and metrics only, never for the client. */
export type LoginFailure = 'unknown_user' | 'bad_password' | 'disabled' | 'no_password'

export type LoginResult =
  | { ok: true, user: StoredUser }
  | { ok: false, reason: LoginFailure }

export interface LoginDeps {
  users: UserStore
  limiter: Limiter
  dummyHash: string
  hash: Required<HashOptions>
  /** The time limit of every store call (`userLookupTimeout`). */
  deadlines: Deadlines
}

function busy (): OAuthError {
  return new OAuthError('temporarily_unavailable', 'Too many logins at once: retry after the Retry-After delay',
    { 'retry-after': RETRY_AFTER.hashQueueFull }, { reason: 'busy' })
}

/** Runs one argon2 verification under the concurrency cap; 503 when the cap and queue are full. */
async function verifyLimited (deps: LoginDeps, hash: string, password: string): Promise<boolean> {
  const pending = deps.limiter.run(() => verifyPassword(hash, password))
  if (pending === undefined) throw busy()
  return pending
}

/**
 * Looks the user up and verifies the password. Throws `FST_PWB_USER_STORE*` errors for store
 * faults and {@link OAuthError} `temporarily_unavailable` when verification slots are exhausted.
 */
export async function checkCredentials (deps: LoginDeps, username: string, password: string): Promise<LoginResult> {
  const found = await callStore(() => deps.users.findByUsername(username), deps.deadlines)
  // A store that indexes a plain object (`users[username]`) answers `__proto__` or `constructor`
  // with an inherited value: that is an unknown user, not a broken store.
  const inherited = found !== null && found !== undefined && !isStoredUser(found) && username in Object.prototype
  if (found === null || found === undefined || inherited) {
    await verifyLimited(deps, deps.dummyHash, password)
    return { ok: false, reason: 'unknown_user' }
  }
  if (!isStoredUser(found)) throw new UserStoreError('findByUsername returned a record without the StoredUser shape')
  const user = found
  if (user.passwordHash === null || user.passwordHash === '') {
    await verifyLimited(deps, deps.dummyHash, password)
    return { ok: false, reason: 'no_password' }
  }
  if (!isArgon2Hash(user.passwordHash)) throw new UserStoreError('a stored passwordHash is not an argon2 hash')
  const match = await verifyLimited(deps, user.passwordHash, password)
  if (user.disabled === true) return { ok: false, reason: 'disabled' }
  if (!match) return { ok: false, reason: 'bad_password' }
  return { ok: true, user }
}

/**
 * After a successful login: when the user's hash was made with other argon2 parameters and the
 * store can save hashes, re-hash the password with the current ones. Failures are logged and never
 * fail the login.
 */
export async function rehashIfNeeded (
  deps: LoginDeps,
  user: StoredUser,
  password: string,
  log: FastifyBaseLogger
): Promise<boolean> {
  const update = deps.users.updatePasswordHash
  if (update === undefined || user.passwordHash === null || !needsRehash(user.passwordHash, deps.hash)) return false
  try {
    const pending = deps.limiter.run(() => hashPassword(password, deps.hash))
    if (pending === undefined) return false // busy: try again at the next login
    const fresh = await pending
    await callStore(() => update.call(deps.users, user, fresh), deps.deadlines)
    log.info({ event: 'password_rehash', userId: user.id }, 'password hash upgraded to current argon2 parameters')
    return true
  } catch (err) {
    log.warn({ event: 'password_rehash', userId: user.id, code: (err as { code?: string }).code }, 'password re-hash failed; the old hash still works')
    return false
  }
}
