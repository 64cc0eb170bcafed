/**
 * The TokenStore: every piece of state the plugin keeps about sessions (refresh-token families,
 * revoked access tokens, per-user not-before times) behind one small interface, so that it can
 * live in the process ({@link MemoryTokenStore}) or in a shared backend (Redis) for several
 * instances. Implement it to bring your own backend, and run the contract suite against it.
 *
 * Rules every implementation follows:
 * - Each method is one atomic operation: two concurrent calls behave as if one ran entirely before
 *   the other. On a networked backend each is meant to be one round trip (one Lua script in Redis).
 * - Times are milliseconds since the epoch. Every method takes the caller's `now` and judges expiry
 *   by it (not by its own clock), so that tests can move time; a backend may additionally let data
 *   expire on its own clock (Redis TTLs at the same instants), since the results agree.
 * - A refresh token is never given to the store: only its {@link RefreshTokenRef} (a SHA-256 hash
 *   and the two non-secret parts that say where its family lives).
 * - Unknown, expired, idle-expired and revoked families all answer alike (`unknown` / `undefined`).
 * - A failure (backend down, timeout) is a rejected promise; the plugin answers it with 503 and
 *   never issues a token.
 *
 * @example
 * import { MemoryTokenStore } from 'fastify-password-bearer'
 * app.register(passwordBearer, { ...options, refreshTokens: true, tokenStore: new MemoryTokenStore() })
 */

/**
 * Where a refresh token points, as the store sees it. Every field is base64url text.
 *
 * @example
 * <!-- context:
 * import type { TokenStore } from 'fastify-password-bearer'
 * declare const store: TokenStore
 * -->
 * ```ts
 * import type { RefreshTokenRef } from 'fastify-password-bearer'
 *
 * // What a store is given for a refresh token: where its family lives, and the token's SHA-256.
 * const ref: RefreshTokenRef = { shard: 'kR1x0Qd2', family: 'b0Ff4B1c9EuYkL3Q', hash: 'mQW5YnqHPGu2WXfSJkbWfTwR1SgIabhDCdQOmtGOBUk' }
 * const family = await store.findFamily(ref, Date.now())
 * ```
 */
export interface RefreshTokenRef {
  /**
   * The user's shard key (`shardKey(subject)`): the same for every family of one user. A sharded
   * backend places the user's families and not-before time by it (a Redis Cluster hash tag), so
   * that {@link TokenStore.revokeUser} and {@link TokenStore.createFamily} touch one shard.
   */
  readonly shard: string
  /** The family id (96 random bits). Not a secret: it proves nothing without the token. */
  readonly family: string
  /** SHA-256 of the whole token (43 characters). Compare it in constant time. */
  readonly hash: string
}

/**
 * A refresh-token family: every token that descends, by rotation, from one login. Only its current
 * token may be exchanged; presenting an earlier one ends the family.
 *
 * @example
 * <!-- context:
 * import type { TokenStore } from 'fastify-password-bearer'
 * declare const store: TokenStore
 * -->
 * ```ts
 * import type { RefreshFamily, RefreshTokenRef } from 'fastify-password-bearer'
 *
 * async function whoseToken (ref: RefreshTokenRef): Promise<string | undefined> {
 *   const family: RefreshFamily | undefined = await store.findFamily(ref, Date.now())
 *   return family?.username
 * }
 * ```
 */
export interface RefreshFamily {
  /** The family id, as in {@link RefreshTokenRef.family}. */
  readonly id: string
  /** The subject's shard key, as in {@link RefreshTokenRef.shard}. */
  readonly shard: string
  /** The user id (the access tokens' `sub`). */
  readonly subject: string
  readonly username: string
  /** The scopes granted at login; a refresh may narrow them, never widen them. */
  readonly scopes: readonly string[]
  readonly clientId: string
  /** The login time. */
  readonly createdAt: number
  /** The absolute end: no token of the family is accepted at or after it. */
  readonly expiresAt: number
  /** The idle end: set to `now + idleTtl` (at most `expiresAt`) by each rotation. */
  readonly idleExpiresAt: number
}

/**
 * What {@link TokenStore.rotate} found.
 *
 * @example
 * <!-- context:
 * import type { RefreshTokenRef, TokenStore } from 'fastify-password-bearer'
 * declare const store: TokenStore
 * declare const used: RefreshTokenRef
 * declare const nextHash: string
 * -->
 * ```ts
 * import type { RotateResult } from 'fastify-password-bearer'
 *
 * const result: RotateResult = await store.rotate(used, nextHash, Date.now(), 604_800_000)
 * if (result.status === 'reused') console.warn(`refresh token reuse: family ${result.family.id} ended`)
 * ```
 */
export type RotateResult =
  /** The token was the family's current one: it is dead now, and `nextHash` is the current one. */
  | { readonly status: 'rotated', readonly family: RefreshFamily }
  /** The token was an earlier (rotated) one of a live family: the family has been revoked. */
  | { readonly status: 'reused', readonly family: RefreshFamily }
  /** Unknown, expired, idle-expired or revoked: nothing changed. */
  | { readonly status: 'unknown' }

/**
 * A user of the store, named by id and shard key.
 *
 * @example
 * <!-- context:
 * import type { TokenStore } from 'fastify-password-bearer'
 * declare const store: TokenStore
 * -->
 * ```ts
 * import type { UserRef } from 'fastify-password-bearer'
 *
 * // A store's view of a user: the id, and the shard key the plugin derives from it.
 * function describe (user: UserRef): string {
 *   return `${user.subject} (shard ${user.shard})`
 * }
 * ```
 */
export interface UserRef {
  readonly subject: string
  /** `shardKey(subject)`. */
  readonly shard: string
}

/**
 * One entry of the revocation list that every instance keeps in memory, so that checking an access
 * token costs no call to the store. Each entry is forgotten at `expiresAt`, when no token it refuses
 * can still be valid: the list never outgrows the live access tokens.
 *
 * @example
 * <!-- context:
 * import type { TokenStore } from 'fastify-password-bearer'
 * declare const store: TokenStore
 * -->
 * ```ts
 * import type { Revocation } from 'fastify-password-bearer'
 *
 * const stop = store.onRevocation((revocation: Revocation) => {
 *   if (revocation.type === 'user') console.log(`user ${revocation.subject} logged out everywhere`)
 * })
 * ```
 */
export type Revocation =
  /** An access token revoked by its `jti`, until its own `exp`. */
  | { readonly type: 'access-token', readonly jti: string, readonly expiresAt: number }
  /**
   * Every access token of `subject` issued before `notBefore` is refused ("log out everywhere"),
   * until `expiresAt` (when the last of them has expired).
   */
  | { readonly type: 'user', readonly subject: string, readonly notBefore: number, readonly expiresAt: number }

/**
 * Receives revocations as they happen, on every instance. Entries may repeat and arrive in any
 * order: the receiver keeps, per `jti` or subject, the latest `expiresAt` and `notBefore`.
 *
 * @example
 * <!-- context:
 * import type { TokenStore } from 'fastify-password-bearer'
 * declare const store: TokenStore
 * -->
 * ```ts
 * import type { RevocationListener } from 'fastify-password-bearer'
 *
 * const log: RevocationListener = (revocation) => console.log(revocation.type, revocation.expiresAt)
 * const stop = store.onRevocation(log)
 * stop() // no more calls
 * ```
 */
export type RevocationListener = (revocation: Revocation) => void

/**
 * The plugin's state. See the module comment for the rules every method follows.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { MemoryTokenStore, type TokenStore } from 'fastify-password-bearer'
 *
 * const tokenStore: TokenStore = new MemoryTokenStore() // or RedisTokenStore, or your own backend
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, refreshTokens: true, tokenStore })
 * ```
 */
export interface TokenStore {
  /**
   * Starts a family whose current token has hash `hash`. Refused (false, nothing stored) when the
   * family id is taken, or when the user's sessions were ended ({@link revokeUser}) after
   * `family.createdAt`: a login that raced with "log out everywhere" does not survive it.
   */
  createFamily (family: RefreshFamily, hash: string): Promise<boolean>

  /**
   * The live family whose current token is `token`, or `undefined` (a rotated token included).
   * Changes nothing: a refresh reads the family with it to check the user and the scopes before it
   * rotates, so that a refused refresh leaves the client's token working.
   */
  findFamily (token: RefreshTokenRef, now: number): Promise<RefreshFamily | undefined>

  /**
   * Exchanges a family's current token for the next one, atomically: of many concurrent calls with
   * one token, exactly one gets `rotated`. A live family whose current token is `used.hash` gets
   * `nextHash` as current token, `used.hash` joins its rotated ones, and its idle end becomes
   * `min(now + idleTtl, expiresAt)` (`idleTtl` in milliseconds, like every time here). A rotated token of a live family ends the family (`reused`).
   * Anything else is `unknown` and changes nothing (a wrong hash with a real family id included).
   */
  rotate (used: RefreshTokenRef, nextHash: string, now: number, idleTtl: number): Promise<RotateResult>

  /**
   * Ends the family of a token (its current one or a rotated one); resolves to that family, or to
   * `undefined` when the token belongs to no live family.
   */
  revokeFamily (token: RefreshTokenRef, now: number): Promise<RefreshFamily | undefined>

  /**
   * Refuses the access token `jti` until `expiresAt` (its `exp`, in ms), and tells every listener.
   * Revoking again keeps the later end; an `expiresAt` at or before `now` records nothing.
   */
  revokeAccessToken (jti: string, expiresAt: number, now: number): Promise<void>

  /**
   * Ends every session of a user at once: every family of `user` ends, and the user's not-before
   * time becomes `notBefore` (the later one, if already set), kept until `expiresAt`; tells every
   * listener. Resolves to the number of families ended.
   */
  revokeUser (user: UserRef, notBefore: number, expiresAt: number): Promise<number>

  /** Every revocation still in force at `now`: the initial content of an instance's list. */
  loadRevocations (now: number): Promise<Revocation[]>

  /**
   * Calls `listener` with each revocation made from now on, by this or (for a shared backend)
   * another instance; returns the function that stops it. A store that may miss events (a
   * reconnect) calls the listener again with every revocation in force once it is back.
   */
  onRevocation (listener: RevocationListener): () => void
}
