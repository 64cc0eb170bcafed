/**
 * The embedded {@link TokenStore}: all state in this process's memory, for one instance. Lost on
 * restart (every refresh token then answers `invalid_grant`, revoked access tokens live out their
 * short lifetime); several instances need a shared store (Redis).
 *
 * Memory is bounded: at most `maxFamilies` families (the least recently used one is dropped for a
 * new one, its user logs in again), each keeping its last `rotatedPerFamily` rotated hashes (an
 * older one presented again answers `unknown` instead of ending the family: reuse detection is for
 * a token stolen and used while its owner still uses the family, which is one or two rotations
 * back). Expired entries are dropped as the store is used. Revocations are not capped, since
 * forgetting one would let a revoked token back in; each lasts only while the tokens it refuses
 * can be valid, so they never outnumber the access tokens issued during one access-token lifetime.
 * Each family costs about 1 KB of heap, 1.4 KB with a full rotated list (measured with 20,000
 * families), so the default bound is at most about 140 MB.
 */
import { timingSafeEqual } from 'node:crypto'
import { InvalidOptionError } from '../errors.js'
import { notifyListeners } from './revocation-listeners.js'
import type {
  RefreshFamily,
  RefreshTokenRef,
  Revocation,
  RevocationListener,
  RotateResult,
  TokenStore,
  UserRef
} from './token-store.js'

/**
 * Bounds of a {@link MemoryTokenStore}.
 *
 * @example
 * ```ts
 * import { MemoryTokenStore, type MemoryTokenStoreOptions } from 'fastify-password-bearer'
 *
 * const options: MemoryTokenStoreOptions = { maxFamilies: 10_000 }
 * const tokenStore = new MemoryTokenStore(options)
 * ```
 */
export interface MemoryTokenStoreOptions {
  /**
   * Families kept at most; beyond it, the least recently used family is dropped.
   * @default 100000
   */
  maxFamilies?: number
  /**
   * Rotated hashes kept per family for reuse detection (the most recent ones).
   * @default 8
   */
  rotatedPerFamily?: number
  /**
   * How often, in milliseconds of the callers' `now`, expired entries are swept out.
   * @default 60000
   */
  sweepInterval?: number
}

interface FamilyEntry {
  family: RefreshFamily
  current: string
  /** Oldest first. */
  rotated: string[]
}

interface UserEntry {
  notBefore: number
  expiresAt: number
}

/**
 * The key of a method that renders everything the store holds as text, for tests that check what is
 * kept (hashes, never tokens). Not exported from the package: nothing should log a store's content.
 */
export const contentOf = Symbol('MemoryTokenStore content')

function sameHash (a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))
}

function isLive (family: RefreshFamily, now: number): boolean {
  return now < family.expiresAt && now < family.idleExpiresAt
}

/**
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { MemoryTokenStore } from 'fastify-password-bearer'
 *
 * const app = Fastify()
 * const tokenStore = new MemoryTokenStore({ maxFamilies: 10_000 })
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, refreshTokens: true, tokenStore })
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  /** In least recently used order: a rotation moves its family to the end. */
  readonly #families = new Map<string, FamilyEntry>()
  /** Subject to the ids of its families. */
  readonly #byUser = new Map<string, Set<string>>()
  /** Revoked jti to the end of the token's life. */
  readonly #revokedJtis = new Map<string, number>()
  readonly #users = new Map<string, UserEntry>()
  readonly #listeners = new Set<RevocationListener>()
  readonly #maxFamilies: number
  readonly #rotatedPerFamily: number
  readonly #sweepInterval: number
  #nextSweep = 0

  constructor (options: MemoryTokenStoreOptions = {}) {
    this.#maxFamilies = positiveInteger(options.maxFamilies, 100_000, 'maxFamilies')
    this.#rotatedPerFamily = positiveInteger(options.rotatedPerFamily, 8, 'rotatedPerFamily')
    this.#sweepInterval = positiveInteger(options.sweepInterval, 60_000, 'sweepInterval')
  }

  /** Families held now (live, or expired and not swept yet). */
  get size (): number { return this.#families.size }

  async createFamily (family: RefreshFamily, hash: string): Promise<boolean> {
    const now = family.createdAt
    this.#sweep(now)
    if (this.#families.has(family.id)) return false
    const user = this.#users.get(family.subject)
    if (user !== undefined && now < user.expiresAt && family.createdAt < user.notBefore) return false
    while (this.#families.size >= this.#maxFamilies) {
      const oldest = this.#families.keys().next()
      if (oldest.done === true) break
      this.#delete(oldest.value)
    }
    this.#families.set(family.id, { family: Object.freeze({ ...family, scopes: Object.freeze([...family.scopes]) }), current: hash, rotated: [] })
    let ids = this.#byUser.get(family.subject)
    if (ids === undefined) this.#byUser.set(family.subject, ids = new Set())
    ids.add(family.id)
    return true
  }

  async findFamily (token: RefreshTokenRef, now: number): Promise<RefreshFamily | undefined> {
    const entry = this.#liveEntry(token, now)
    return entry !== undefined && sameHash(entry.current, token.hash) ? entry.family : undefined
  }

  async rotate (used: RefreshTokenRef, nextHash: string, now: number, idleTtl: number): Promise<RotateResult> {
    this.#sweep(now)
    const entry = this.#liveEntry(used, now)
    if (entry === undefined) return { status: 'unknown' }
    if (sameHash(entry.current, used.hash)) {
      entry.rotated.push(entry.current)
      if (entry.rotated.length > this.#rotatedPerFamily) entry.rotated.shift()
      entry.current = nextHash
      entry.family = Object.freeze({ ...entry.family, idleExpiresAt: Math.min(now + idleTtl, entry.family.expiresAt) })
      // Most recently used last, for eviction.
      this.#families.delete(used.family)
      this.#families.set(used.family, entry)
      return { status: 'rotated', family: entry.family }
    }
    if (entry.rotated.some((hash) => sameHash(hash, used.hash))) {
      this.#delete(used.family)
      return { status: 'reused', family: entry.family }
    }
    return { status: 'unknown' }
  }

  async revokeFamily (token: RefreshTokenRef, now: number): Promise<RefreshFamily | undefined> {
    this.#sweep(now)
    const entry = this.#liveEntry(token, now)
    if (entry === undefined) return undefined
    if (!sameHash(entry.current, token.hash) && !entry.rotated.some((hash) => sameHash(hash, token.hash))) return undefined
    this.#delete(token.family)
    return entry.family
  }

  async revokeAccessToken (jti: string, expiresAt: number, now: number): Promise<void> {
    this.#sweep(now)
    if (expiresAt <= now) return
    const until = Math.max(expiresAt, this.#revokedJtis.get(jti) ?? 0)
    this.#revokedJtis.set(jti, until)
    this.#emit({ type: 'access-token', jti, expiresAt: until })
  }

  async revokeUser (user: UserRef, notBefore: number, expiresAt: number): Promise<number> {
    this.#sweep(notBefore)
    const ids = this.#byUser.get(user.subject)
    let ended = 0
    if (ids !== undefined) {
      for (const id of [...ids]) {
        const entry = this.#families.get(id) as FamilyEntry
        if (isLive(entry.family, notBefore)) ended++
        this.#delete(id)
      }
    }
    const previous = this.#users.get(user.subject)
    const entry = previous === undefined || previous.expiresAt <= notBefore
      ? { notBefore, expiresAt }
      : { notBefore: Math.max(notBefore, previous.notBefore), expiresAt: Math.max(expiresAt, previous.expiresAt) }
    this.#users.set(user.subject, entry)
    this.#emit({ type: 'user', subject: user.subject, ...entry })
    return ended
  }

  async loadRevocations (now: number): Promise<Revocation[]> {
    const list: Revocation[] = []
    for (const [jti, expiresAt] of this.#revokedJtis) {
      if (expiresAt > now) list.push({ type: 'access-token', jti, expiresAt })
    }
    for (const [subject, { notBefore, expiresAt }] of this.#users) {
      if (expiresAt > now) list.push({ type: 'user', subject, notBefore, expiresAt })
    }
    return list
  }

  /** Listeners are called synchronously, before the revoking call resolves. */
  onRevocation (listener: RevocationListener): () => void {
    // A wrapper per call, so that subscribing one function twice gives two subscriptions.
    const subscription: RevocationListener = (revocation) => { listener(revocation) }
    this.#listeners.add(subscription)
    return () => { this.#listeners.delete(subscription) }
  }

  [contentOf] (): string {
    return JSON.stringify({
      families: [...this.#families],
      users: [...this.#byUser].map(([subject, ids]) => [subject, [...ids]]),
      revokedJtis: [...this.#revokedJtis],
      notBefore: [...this.#users]
    })
  }

  /** The family of `ref` when it is live (a dead one is dropped on the way). */
  #liveEntry (ref: RefreshTokenRef, now: number): FamilyEntry | undefined {
    const entry = this.#families.get(ref.family)
    if (entry === undefined || entry.family.shard !== ref.shard) return undefined
    if (isLive(entry.family, now)) return entry
    this.#delete(ref.family)
    return undefined
  }

  #delete (id: string): void {
    const entry = this.#families.get(id)
    if (entry === undefined) return
    this.#families.delete(id)
    const ids = this.#byUser.get(entry.family.subject) as Set<string>
    ids.delete(id)
    if (ids.size === 0) this.#byUser.delete(entry.family.subject)
  }

  /**
   * Every listener hears every revocation; one that throws stops neither the others nor the
   * revocation, which is recorded already: its error rejects the revoking call afterwards.
   */
  #emit (revocation: Revocation): void {
    const errors = notifyListeners(this.#listeners, revocation)
    if (errors.length > 0) throw errors[0]
  }

  /** Drops expired entries, at most once per `sweepInterval` (a pass over everything). */
  #sweep (now: number): void {
    if (now < this.#nextSweep) return
    this.#nextSweep = now + this.#sweepInterval
    for (const [id, entry] of this.#families) if (!isLive(entry.family, now)) this.#delete(id)
    for (const [jti, expiresAt] of this.#revokedJtis) if (expiresAt <= now) this.#revokedJtis.delete(jti)
    for (const [subject, entry] of this.#users) if (entry.expiresAt <= now) this.#users.delete(subject)
  }
}

function positiveInteger (value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidOptionError(`MemoryTokenStore ${name}`, `expected a positive integer, got ${String(value)}`)
  }
  return value
}
