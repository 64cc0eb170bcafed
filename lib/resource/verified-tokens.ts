/**
 * The verified-token cache in front of the token format: a token verified twice (see Doorkeeper)
 * is answered from a bounded LRU until its `exp` (plus the clock tolerance), so a client that sends
 * its token with every request pays for the signature twice; after its `exp` it is refused from
 * the same entry, as is a token of ours that arrived already expired, so a client that keeps
 * sending its stale token costs a lookup too (the "rejected: expired token" bench row: 53-55 % of
 * the bare route without this, for a target of 60 %). Only tokens with our signature are kept,
 * which no forger can make: a spray of forged tokens costs one signature check each and evicts
 * nothing. When keys leave the set (a rotation's last step, or the issuer's JWKS dropping one), the
 * cache is emptied so that tokens of those keys are refused from the next request on.
 *
 * A token whose kid the set does not hold may wait for the issuer's keys (a verify-only service,
 * remote-keys.ts): only then is the answer a promise.
 */
import type { KeyLookup } from '../access-token/key-set.js'
import type { TokenVerifier, VerifyResult } from '../access-token/format.js'
import type { KeyWait } from '../access-token/remote-keys.js'
import type { AccessTokenClaims } from '../types.js'
import { isB64Token } from './bearer-token.js'

interface Entry {
  /** The whole token: entries are keyed by its signature segment, and only the exact token hits. */
  token: string
  /** Undefined for a token that was already expired when it was verified. */
  claims: AccessTokenClaims | undefined
  expiresAt: number
}

/**
 * A bounded map that forgets its least recently used entry first. A hit moves its entry to the
 * most recent end only once `max / 2` other entries have been set or moved since: moving it on
 * every hit (a `Map` delete and set) doubled the cost of a cached token.
 */
export class LruCache<V> {
  readonly #map = new Map<string, { value: V, tick: number }>()
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
      this.#map.delete(key)
      this.#map.set(key, node)
      node.tick = ++this.#tick
    }
    return node.value
  }

  clear (): void {
    this.#map.clear()
  }

  set (key: string, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, { value, tick: ++this.#tick })
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }
}

/**
 * Which tokens enter the cache: those verified a second time. A client sends its token with request
 * after request, so its second request admits it. With more live tokens than the cache holds, each
 * seen again only after its entry was evicted, admitting every token would allocate and evict an
 * entry per request for no hit: that churn added half the cost of a verification (`bench/micro.ts`,
 * "10,000 distinct tokens": 12.7-13.9 µs per token without this, 9.3-10.4 µs with it). One 32-bit
 * fingerprint of the signature per slot, no allocation; a collision only admits a verified token early.
 */
class Doorkeeper {
  readonly #slots: Int32Array
  readonly #mask: number

  constructor (cacheSize: number) {
    let size = 2
    while (size < cacheSize * 2) size *= 2
    this.#slots = new Int32Array(size)
    this.#mask = size - 1
  }

  /** True when this signature was seen at its last visit to its slot; otherwise remembers it. */
  seenBefore (signature: string): boolean {
    // A signature is base64url of random-looking bytes: a few of its characters are hash enough.
    let hash = 1
    for (let i = 0; i < 12 && i < signature.length; i++) hash = (Math.imul(hash, 31) + signature.charCodeAt(i)) | 0
    const slot = hash & this.#mask
    if (this.#slots[slot] === hash) return true
    this.#slots[slot] = hash
    return false
  }
}

/** No key could be had to check the token with (the issuer's keys were never fetched): answer 503. */
export const KEYS_UNAVAILABLE: unique symbol = Symbol('keys unavailable')

/** Not an RFC 6750 b64token: a malformed request (400), not an invalid token (401). */
export const NOT_B64TOKEN: unique symbol = Symbol('not a b64token')

/** A token's claims; undefined for a refused token; {@link KEYS_UNAVAILABLE}; {@link NOT_B64TOKEN}. */
export type TokenRead = AccessTokenClaims | undefined | typeof KEYS_UNAVAILABLE | typeof NOT_B64TOKEN

/**
 * Reads a token's claims through the cache, else through the format; a token refused there is
 * told apart as a b64token or not (a cached one is one). Synchronous, except for a token whose kid
 * is unknown to a set that may fetch it: then a promise, which never rejects. Never throws.
 */
export type TokenReader = (token: string) => TokenRead | Promise<TokenRead>

/** The key set, as the reader sees it: removals, and for a remote set, waiting for keys. */
export interface ReaderKeys extends Pick<KeyLookup, 'onRemoved'> {
  awaitKey?: () => KeyWait
  readonly hasKeys?: boolean
}

/**
 * @example
 * const read = createTokenReader(format, 1000)
 * const claims = read(token) // AccessTokenClaims | undefined
 */
export function createTokenReader (
  format: Pick<TokenVerifier, 'verify'>,
  cacheSize: number,
  now: () => number = Date.now,
  keys?: ReaderKeys
): TokenReader {
  const cache = cacheSize === 0 ? undefined : new LruCache<Entry>(cacheSize)
  const doorkeeper = cache === undefined ? undefined : new Doorkeeper(cacheSize)
  keys?.onRemoved(() => cache?.clear())

  /** The verdict, kept in the cache (keyed by `id`) when it is a token of ours verified before. */
  function settle (token: string, id: string, verified: VerifyResult): AccessTokenClaims | undefined {
    const ours = typeof verified === 'object' ? verified : verified === 'expired' ? { claims: undefined, expiresAt: 0 } : undefined
    if (ours !== undefined && doorkeeper?.seenBefore(id) === true) cache?.set(id, { token, ...ours })
    return ours?.claims
  }

  /**
   * Why a token that did not verify is refused. Asked only then: a token the format accepts is a
   * compact JWS, whose alphabet lies within b64token's, so a valid token is scanned once, not twice.
   */
  function refused (token: string): undefined | typeof NOT_B64TOKEN {
    return isB64Token(token) ? undefined : NOT_B64TOKEN
  }

  /** A token whose kid the set does not hold: refused, or checked again once the keys were fetched. */
  function unknownKey (token: string, id: string): TokenRead | Promise<TokenRead> {
    const wait = keys?.awaitKey?.() ?? 'refuse'
    if (wait === 'refuse') return undefined
    if (wait === 'unavailable') return KEYS_UNAVAILABLE
    return wait.then(() => {
      const again = format.verify(token)
      if (again === 'unknown-key') return keys?.hasKeys === true ? undefined : KEYS_UNAVAILABLE
      return settle(token, id, again)
    })
  }

  if (cache === undefined) {
    return (token) => {
      const verified = format.verify(token)
      if (verified === 'unknown-key') return unknownKey(token, '')
      return typeof verified === 'object' ? verified.claims : refused(token)
    }
  }
  return function readToken (token) {
    // Keyed by the signature segment: hashing it is a tenth of hashing the whole token.
    const id = token.slice(token.lastIndexOf('.') + 1)
    const hit = cache.get(id)
    if (hit !== undefined && hit.token === token) return now() <= hit.expiresAt ? hit.claims : undefined
    const verified = format.verify(token)
    if (verified === 'unknown-key') return unknownKey(token, id)
    return settle(token, id, verified) ?? refused(token)
  }
}
