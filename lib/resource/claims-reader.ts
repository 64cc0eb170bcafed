/**
 * Turns a Bearer token into its claims or `undefined`, without exceptions on the rejection path and
 * without re-verifying a token it has already verified:
 *
 * 1. a bounded LRU cache of verified tokens, keyed by the exact token and valid until its `exp`
 *    (plus the clock tolerance), and a separate one of expired tokens with a good signature, so a
 *    client that keeps sending its stale token costs a map lookup. Both hold only tokens this
 *    server signed, which an attacker cannot mint: a spray of forged tokens is never put in them
 *    (that would cost more than the HMAC it saves) and cannot evict good entries; only the last
 *    forged tokens seen are kept, in 16 fixed slots, so a replayed one skips the HMAC;
 * 2. cheap pre-checks that refuse, without throwing, tokens the verifier is certain to refuse: not
 *    three base64url segments, an HS256 signature that does not match, an `exp` in the past;
 * 3. the verifier itself (fast-jwt through @fastify/jwt) for everything else: it stays the only
 *    judge of what is accepted; the pre-checks only ever refuse earlier.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import type { AccessTokenClaims } from '../types.js'

export interface ClaimsReaderOptions {
  /** The full verifier: returns the claims or throws. */
  verify: (token: string) => unknown
  /** Verified tokens kept (0: no cache). */
  cacheSize: number
  /** Leeway for `exp`, in seconds, as the verifier applies it. */
  clockTolerance: number
  /**
   * The HS256 key, when the verifier accepts HS256 with this key and nothing else: then any token
   * whose signature is not HMAC-SHA256(key) is refused before the verifier runs.
   */
  hs256Key?: string | Buffer | undefined
  /** The clock, in milliseconds (tests). */
  now?: () => number
}

interface Entry {
  /** The whole token: the caches are keyed by its signature segment, and only the exact token hits. */
  token: string
  claims: AccessTokenClaims
  /** Milliseconds since the epoch after which the token is expired. */
  expiresAt: number
}

/** How many forged tokens are remembered (a power of two). */
const FORGED_SLOTS = 16

// header.payload.signature, each 1+ base64url characters: the only shape fast-jwt decodes.
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

interface Node<V> {
  value: V
  /** When the entry was last set or moved to the most recent end. */
  tick: number
}

/**
 * A bounded map that forgets its least recently used entry first. A hit moves its entry to the
 * most recent end once `max / 2` other entries have been set or moved since it was: re-inserting
 * on every hit (a `Map` delete and set) was the top frame of a protected route under load.
 */
export class LruCache<V> {
  readonly #map = new Map<string, Node<V>>()
  readonly #max: number
  readonly #half: number
  #tick = 0

  constructor (max: number) {
    this.#max = max
    this.#half = max >> 1
  }

  get size (): number { return this.#map.size }

  get (key: string): V | undefined {
    const node = this.#map.get(key)
    if (node === undefined) return undefined
    if (this.#tick - node.tick >= this.#half) {
      // Move to the most recent end.
      this.#map.delete(key)
      this.#map.set(key, node)
      node.tick = ++this.#tick
    }
    return node.value
  }

  set (key: string, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, { value, tick: ++this.#tick })
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }

  delete (key: string): void {
    this.#map.delete(key)
  }

  clear (): void {
    this.#map.clear()
  }
}

function hasClaimShape (c: AccessTokenClaims): boolean {
  return typeof c.sub === 'string' && c.sub.length > 0 && typeof c.jti === 'string' &&
    (c.scope === undefined || typeof c.scope === 'string')
}

/**
 * Whether the signature segment is the base64url of HMAC-SHA256(key, header.payload), compared in
 * constant time. Only the canonical encoding matches (RFC 7515 §2), as the plugin's verifier
 * requires; comparing strings spares decoding the signature into a buffer.
 */
function hs256Matches (key: KeyObject, token: string, lastDot: number): boolean {
  const expected = createHmac('sha256', key).update(token.slice(0, lastDot)).digest('base64url')
  if (token.length - lastDot - 1 !== expected.length) return false
  let diff = 0
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ token.charCodeAt(lastDot + 1 + i)
  return diff === 0
}

/** `exp` of a token whose signature is already known to be good, or undefined when unreadable. */
function readExp (token: string, firstDot: number, lastDot: number): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.slice(firstDot + 1, lastDot), 'base64').toString('utf8')) as { exp?: unknown }
    return typeof payload === 'object' && payload !== null && typeof payload.exp === 'number' ? payload.exp : undefined
  } catch {
    return undefined // the verifier will say why
  }
}

export interface ClaimsReader {
  (token: string): AccessTokenClaims | undefined
  /** Verified tokens, to forget a revoked token at once. */
  cache: LruCache<Entry> | undefined
  /** Expired tokens with a good HS256 signature. */
  refused: LruCache<string> | undefined
}

/**
 * Builds the reader.
 *
 * @example
 * const read = createClaimsReader({ verify, cacheSize: 1000, clockTolerance: 5, hs256Key: secret })
 * const claims = read(token) // AccessTokenClaims | undefined
 */
export function createClaimsReader (options: ClaimsReaderOptions): ClaimsReader {
  const { verify, cacheSize } = options
  const toleranceMs = options.clockTolerance * 1000
  const now = options.now ?? Date.now
  const key = options.hs256Key === undefined ? undefined : createSecretKey(typeof options.hs256Key === 'string' ? Buffer.from(options.hs256Key, 'utf8') : options.hs256Key)
  const cache = cacheSize > 0 ? new LruCache<Entry>(cacheSize) : undefined
  const refused = cacheSize > 0 && key !== undefined ? new LruCache<string>(cacheSize) : undefined
  // The last forged tokens seen, one per slot and no more: a replayed forged token costs a string
  // compare instead of an HMAC, while a spray of new ones costs an array store each (a map of them
  // would cost ~1 µs of churn per request and let the forger decide its size).
  const forged: string[] | undefined = refused === undefined ? undefined : new Array<string>(FORGED_SLOTS).fill('')

  function verified (token: string): AccessTokenClaims | undefined {
    let claims: unknown
    try {
      claims = verify(token)
    } catch {
      return undefined
    }
    if (claims === null || typeof claims !== 'object' || !hasClaimShape(claims as AccessTokenClaims)) return undefined
    // Frozen: a cached token's claims object is shared by every request that presents the token.
    return Object.freeze(claims) as AccessTokenClaims
  }

  const read = function readClaims (token: string): AccessTokenClaims | undefined {
    // Both caches are keyed by the signature segment (hashing it is a tenth of hashing the whole
    // token) and hold the whole token: a hit is the exact token or nothing.
    const id = token.slice(token.lastIndexOf('.') + 1)
    if (cache !== undefined) {
      const hit = cache.get(id)
      if (hit !== undefined && hit.token === token) {
        if (now() <= hit.expiresAt) return hit.claims
        cache.delete(id)
      }
    }
    if (refused !== undefined && refused.get(id) === token) return undefined
    // The slot of a forged token: two characters of its signature, which a forger picks anyway.
    const slot = (token.charCodeAt(token.length - 1) ^ token.charCodeAt(token.length - 2)) & (FORGED_SLOTS - 1)
    if (forged !== undefined && forged[slot] === token) return undefined
    if (!JWS_COMPACT.test(token)) return undefined
    const firstDot = token.indexOf('.')
    const lastDot = token.lastIndexOf('.')
    if (key !== undefined) {
      if (!hs256Matches(key, token, lastDot)) {
        if (forged !== undefined) forged[slot] = token
        return undefined
      }
      const exp = readExp(token, firstDot, lastDot)
      if (exp !== undefined && now() > exp * 1000 + toleranceMs) {
        refused?.set(id, token)
        return undefined
      }
    }
    const claims = verified(token)
    if (claims !== undefined && cache !== undefined && typeof claims.exp === 'number') {
      cache.set(id, { token, claims, expiresAt: claims.exp * 1000 + toleranceMs })
    }
    return claims
  } as ClaimsReader
  read.cache = cache
  read.refused = refused
  return read
}
