/**
 * Checks password-grant credentials against the user store. Every login, whatever its outcome
 * (unknown user, wrong password, disabled user, user without a password, success), runs one
 * verification per hash format — argon2 and each legacy verifier — so they all take about the same
 * time, whichever format holds the user's hash; every failure gives the same answer.
 */
import type { FastifyBaseLogger } from 'fastify'
import { OAuthError, RETRY_AFTER, UserStoreError } from '../errors.js'
import type { Deadlines } from '../stores/deadlines.js'
import type { Limiter } from './limiter.js'
import { ARGON2, schemeFor, type HashScheme } from './hash-schemes.js'
import { hashPassword, needsRehash, type HashOptions } from './password-hash.js'
import type { StoredUser, UserStore } from '../types.js'
import { callStore, isStoredUser } from '../stores/user-store.js'

/** Why a login failed: for logs and metrics only, never for the client. */
export type LoginFailure = 'unknown_user' | 'bad_password' | 'disabled' | 'no_password'

/** A successful login, with the name of the format (`argon2` or a legacy verifier's) that matched. */
export interface LoginSuccess { ok: true, user: StoredUser, scheme: string }

export type LoginResult = LoginSuccess | { ok: false, reason: LoginFailure }

export interface LoginDeps {
  users: UserStore
  limiter: Limiter
  /** The hash formats, argon2 first, with their dummy hashes. */
  schemes: readonly HashScheme[]
  hash: Required<HashOptions>
  /** The time limit of every store call (`userLookupTimeout`). */
  deadlines: Deadlines
}

function busy (): OAuthError {
  return new OAuthError('temporarily_unavailable', 'Too many logins at once: retry after the Retry-After delay',
    { 'retry-after': RETRY_AFTER.hashQueueFull }, { reason: 'busy' })
}

/** A stored hash with the format that reads it. */
interface UserHash { scheme: HashScheme, hash: string }

/**
 * Verifies `password` once per format, one after the other in one slot of the concurrency cap:
 * against `real` for its format, against the dummy hash for every other format (and for all of them
 * when there is no real hash). 503 when the cap and queue are full.
 */
async function verifyLimited (deps: LoginDeps, real: UserHash | undefined, password: string): Promise<boolean> {
  const pending = deps.limiter.run(async () => {
    let match = false
    for (const scheme of deps.schemes) {
      if (scheme === real?.scheme) match = await scheme.verify(real.hash, password)
      else await scheme.verify(scheme.dummyHash, password)
    }
    return match
  })
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
    await verifyLimited(deps, undefined, password)
    return { ok: false, reason: 'unknown_user' }
  }
  if (!isStoredUser(found)) throw new UserStoreError('findByUsername returned a record without the StoredUser shape')
  const user = found
  if (user.passwordHash === null || user.passwordHash === '') {
    await verifyLimited(deps, undefined, password)
    return { ok: false, reason: 'no_password' }
  }
  const scheme = schemeFor(deps.schemes, user.passwordHash, user.id)
  const match = await verifyLimited(deps, { scheme, hash: user.passwordHash }, password)
  if (user.disabled === true) return { ok: false, reason: 'disabled' }
  if (!match) return { ok: false, reason: 'bad_password' }
  return { ok: true, user, scheme: scheme.name }
}

/**
 * After a successful login: when the user's hash is a legacy one, or argon2 with other parameters,
 * and the store can save hashes, re-hash the password with argon2id and the current parameters.
 * Failures are logged and never fail the login.
 */
export async function rehashIfNeeded (
  deps: LoginDeps,
  { user, scheme }: LoginSuccess,
  password: string,
  log: FastifyBaseLogger
): Promise<boolean> {
  const update = deps.users.updatePasswordHash
  const legacy = scheme !== ARGON2
  if (update === undefined || user.passwordHash === null || !(legacy || needsRehash(user.passwordHash, deps.hash))) return false
  try {
    const pending = deps.limiter.run(() => hashPassword(password, deps.hash))
    if (pending === undefined) return false // busy: try again at the next login
    const fresh = await pending
    await callStore(() => update.call(deps.users, user, fresh), deps.deadlines)
    log.info({ event: 'password_rehash', userId: user.id, from: scheme },
      legacy ? `password hash migrated from ${scheme} to argon2id` : 'password hash upgraded to current argon2 parameters')
    return true
  } catch (err) {
    log.warn({ event: 'password_rehash', userId: user.id, from: scheme, code: (err as { code?: string }).code }, 'password re-hash failed; the old hash still works')
    return false
  }
}
