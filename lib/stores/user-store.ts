/**
 * Calls into the app's user store, bounded in time, and checks what comes back: a store that
 * throws, hangs or returns a malformed record becomes a coded error, never a crash.
 */
import type { Deadlines } from './deadlines.js'
import { UserStoreError, UserStoreTimeoutError } from '../errors.js'
import type { StoredUser } from '../types.js'

/** The coded errors of one kind of store: for a throw or rejection, and for a timeout. */
export interface StoreErrors {
  failed (cause: unknown): Error & { code: string }
  timedOut (ms: number): Error & { code: string }
}

/** The user store's: `FST_PWB_USER_STORE` and `FST_PWB_USER_STORE_TIMEOUT`. */
const USER_STORE_ERRORS: StoreErrors = {
  failed: (cause) => storeError(cause),
  timedOut: (ms) => new UserStoreTimeoutError(ms)
}

/**
 * Calls into the store and awaits its answer until the deadline in `deadlines`. A throw or
 * rejection becomes `FST_PWB_USER_STORE`, a timeout `FST_PWB_USER_STORE_TIMEOUT` (or the codes of
 * `errors`); the original error is kept as `cause` for the logs. The promise form of
 * {@link awaitStore}, for the token route.
 */
export function callStore<T> (call: () => T | PromiseLike<T>, deadlines: Deadlines, errors: StoreErrors = USER_STORE_ERRORS): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let result: T | PromiseLike<T>
    try {
      result = call()
      if (!isThenable(result)) {
        resolve(result)
        return
      }
    } catch (cause) {
      reject(errors.failed(cause)) // a throw, or a `then` getter that throws
      return
    }
    awaitStore(result, deadlines, resolve, reject, errors)
  })
}

/**
 * Waits for a store's promise (or thenable) until its deadline in `deadlines`, then calls exactly
 * one of `onValue` or `onError` exactly once: a rejection becomes `FST_PWB_USER_STORE`, a timeout
 * `FST_PWB_USER_STORE_TIMEOUT`. Callback-style for the per-request path: one `then`, and no timer of
 * its own (see deadlines.ts).
 */
export function awaitStore<T> (
  pending: PromiseLike<T>,
  deadlines: Deadlines,
  onValue: (value: T) => void,
  onError: (err: Error & { code?: string }) => void,
  errors: StoreErrors = USER_STORE_ERRORS
): void {
  // The wait is the only state: whichever ends it first (the store's answer or the deadline)
  // settles, and `end()` tells any later one that it came too late.
  const wait = deadlines.start(() => { onError(errors.timedOut(deadlines.ms)) })
  try {
    pending.then((value) => {
      if (deadlines.end(wait)) onValue(value)
    }, (cause: unknown) => {
      if (deadlines.end(wait)) onError(errors.failed(cause))
    })
  } catch (cause) {
    // A thenable whose then() throws.
    if (deadlines.end(wait)) onError(errors.failed(cause))
  }
}

/** `FST_PWB_USER_STORE` for a store call that threw or rejected, with the original as `cause`. */
export function storeError (cause: unknown): Error & { code: string } {
  return Object.assign(new UserStoreError('it threw or rejected'), { cause })
}

/** True for a promise or any other thenable (what `await` would wait for). */
export function isThenable (value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Copies a returned record's own enumerable properties into a plain object, so that checking and
 * using it cannot run the store's getters or proxy traps again: one that throws becomes
 * `FST_PWB_USER_STORE` here, inside the awaited call, never an exception in a later callback.
 */
export function snapshot<T> (value: T): T {
  if (value === null || typeof value !== 'object') return value
  try {
    return { ...value }
  } catch (cause) {
    throw Object.assign(new UserStoreError('it returned a record whose properties cannot be read'), { cause })
  }
}

function isStringArray (value: unknown): value is string[] {
  if (!Array.isArray(value)) return false
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false
  return true
}

/** True when `value` has the {@link StoredUser} shape the plugin relies on. */
export function isStoredUser (value: unknown): value is StoredUser {
  if (!isLoadedUser(value)) return false
  const hash = (value as Record<string, unknown>).passwordHash
  return hash === null || typeof hash === 'string'
}

/** True when `value` is a user `loadUser` may return (a hash is optional there). */
export function isLoadedUser (value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  const u = value as Record<string, unknown>
  return typeof u.id === 'string' && u.id.length > 0 &&
    typeof u.username === 'string' &&
    (u.disabled === undefined || typeof u.disabled === 'boolean') &&
    (u.scopes === undefined || isStringArray(u.scopes))
}
