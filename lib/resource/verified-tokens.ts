/**
 * The verified-token cache in front of the token format: a token verified once is answered from a
 * bounded LRU until its `exp` (plus the clock tolerance), so a client that sends its token with
 * every request pays for the signature once; after that it is refused from the same entry, as is a
 * token of ours that arrived already expired, so a client that keeps sending its stale token costs
 * a lookup too (the "rejected: expired token" bench row: 53-55 % of the bare route without this,
 * for a target of 60 %). Only tokens with our signature are kept, which no forger can make: a
 * spray of forged tokens costs one HMAC each and evicts nothing.
 */
import type { AccessTokenFormat } from '../access-token/format.js'
import type { AccessTokenClaims } from '../types.js'

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

  set (key: string, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, { value, tick: ++this.#tick })
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next()
      if (oldest.done !== true) this.#map.delete(oldest.value)
    }
  }
}

/** Reads a token's claims through the cache; `undefined` for a refused token. Never throws. */
export type TokenReader = (token: string) => AccessTokenClaims | undefined

/**
 * @example
 * const read = createTokenReader(format, 1000)
 * const claims = read(token) // AccessTokenClaims | undefined
 */
export function createTokenReader (
  format: Pick<AccessTokenFormat, 'verify'>,
  cacheSize: number,
  now: () => number = Date.now
): TokenReader {
  if (cacheSize === 0) {
    return (token) => {
      const verified = format.verify(token)
      return typeof verified === 'object' ? verified.claims : undefined
    }
  }
  const cache = new LruCache<Entry>(cacheSize)
  return function readToken (token) {
    // Keyed by the signature segment: hashing it is a tenth of hashing the whole token.
    const id = token.slice(token.lastIndexOf('.') + 1)
    const hit = cache.get(id)
    if (hit !== undefined && hit.token === token) return now() <= hit.expiresAt ? hit.claims : undefined
    const verified = format.verify(token)
    if (verified === undefined) return undefined
    if (verified === 'expired') {
      cache.set(id, { token, claims: undefined, expiresAt: 0 })
      return undefined
    }
    cache.set(id, { token, claims: verified.claims, expiresAt: verified.expiresAt })
    return verified.claims
  }
}
