/**
 * This instance's copy of the revocation list: revoked jtis and per-user not-before times, fed by
 * the token store (an initial load, then its events) and read synchronously by `authenticate`, so
 * that checking a token never waits for the store.
 *
 * The not-before rule. A token's `iat` is in whole seconds, the not-before time in milliseconds. A
 * token is refused when `iat * 1000 < notBefore`: every token issued before the revocation is
 * refused, those of the same second included, since its `iat` is at most the revocation's second.
 * A token issued after the revocation but within the same second would be refused too, so the
 * issuer waits for the next second before it issues a token to such a user (see
 * {@link RevocationView.issueDelay}): every token issued after the revocation passes.
 */
import type { AccessTokenClaims } from '../types.js'
import type { TokenRead, TokenReader } from '../resource/verified-tokens.js'
import type { Revocation } from '../stores/token-store.js'

interface UserEntry {
  notBefore: number
  expiresAt: number
}

// How often (ms) expired entries are swept out. A stale entry refuses nothing still valid: a jti
// entry outlives its token, a user entry the last token issued before its not-before time.
const SWEEP_INTERVAL = 60_000

export class RevocationView {
  readonly #jtis = new Map<string, number>()
  readonly #users = new Map<string, UserEntry>()
  readonly #now: () => number
  #nextSweep = 0

  constructor (now: () => number = Date.now) {
    this.#now = now
  }

  /** Entries held (revoked jtis plus users with a not-before time). */
  get size (): number { return this.#jtis.size + this.#users.size }

  /** Adds a revocation; a repeated one keeps the latest times. */
  apply (revocation: Revocation): void {
    const now = this.#now()
    this.#sweep(now)
    if (revocation.expiresAt <= now) return
    if (revocation.type === 'access-token') {
      this.#jtis.set(revocation.jti, Math.max(revocation.expiresAt, this.#jtis.get(revocation.jti) ?? 0))
      return
    }
    const known = this.#users.get(revocation.subject)
    this.#users.set(revocation.subject, known === undefined
      ? { notBefore: revocation.notBefore, expiresAt: revocation.expiresAt }
      : { notBefore: Math.max(known.notBefore, revocation.notBefore), expiresAt: Math.max(known.expiresAt, revocation.expiresAt) })
  }

  /** Whether a verified token has been revoked (its jti, or its user's sessions). Synchronous. */
  isRevoked (claims: AccessTokenClaims): boolean {
    if (this.#jtis.size !== 0 && this.#jtis.has(claims.jti)) return true
    if (this.#users.size === 0) return false
    const user = this.#users.get(claims.sub)
    return user !== undefined && claims.iat * 1000 < user.notBefore
  }

  /**
   * Milliseconds to wait before issuing a token to `subject`, so that its `iat` is not before the
   * user's not-before time: 0 unless their sessions ended within the current second.
   */
  issueDelay (subject: string): number {
    const user = this.#users.get(subject)
    if (user === undefined) return 0
    const now = this.#now()
    return Math.floor(now / 1000) * 1000 < user.notBefore ? Math.ceil(user.notBefore / 1000) * 1000 - now : 0
  }

  #sweep (now: number): void {
    if (now < this.#nextSweep) return
    this.#nextSweep = now + SWEEP_INTERVAL
    for (const [jti, expiresAt] of this.#jtis) if (expiresAt <= now) this.#jtis.delete(jti)
    for (const [subject, user] of this.#users) if (user.expiresAt <= now) this.#users.delete(subject)
  }
}

/**
 * A token reader that also refuses revoked tokens. Installed only when revocation is on: with it
 * off, `authenticate` reads tokens with no added work.
 */
export function refusingRevoked (read: TokenReader, view: RevocationView): TokenReader {
  const unrevoked = (claims: TokenRead): TokenRead => (typeof claims === 'object' && view.isRevoked(claims) ? undefined : claims)
  return function readUnrevoked (token) {
    const claims = read(token)
    // A promise while the issuer's keys are fetched (a verify-only service); claims otherwise.
    return claims instanceof Promise ? claims.then(unrevoked) : unrevoked(claims)
  }
}
