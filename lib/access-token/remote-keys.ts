/**
 * The issuer's public keys for a verify-only service: fetched from its JWKS URL (or found through
 * its RFC 8414 metadata), kept in memory so a known kid is looked up synchronously, refreshed on a
 * schedule and when a token names an unknown kid — at most once per cooldown, so a flood of tokens
 * with made-up kids costs the issuer one request. Nothing in a token decides where keys come from.
 *
 * Written here rather than taken from a library: get-jwks fetches the whole JWKS again for every
 * unknown kid with no cooldown (a flood of random kids is a flood of requests to the issuer), and
 * its `timeout` option is ignored by Node's fetch; jose's createRemoteJWKSet has the cooldown, but
 * every lookup is a promise (the verified-token path here is synchronous) and jose 6 is an ES module
 * of WebCrypto keys. What is left to write is a fetch with a time limit and a size limit, and two
 * timestamps.
 */
import type { FastifyBaseLogger } from 'fastify'
import { KeysUnavailableError } from '../errors.js'
import type { KeyLookup } from './key-set.js'
import { KeyInputError, readKey, type VerificationKey } from './keys.js'

/** The remote key options after validation. */
export interface ResolvedRemoteKeys {
  /** The JWKS URL; or undefined, and `metadataUrl` says where it is. */
  jwksUri: string | undefined
  /** The issuer's RFC 8414 metadata URL, read for its `jwks_uri`. */
  metadataUrl: string | undefined
  /** The `issuer` the metadata must name (RFC 8414 §3.3). */
  issuer: string
  /** Milliseconds a fetch may take. */
  timeout: number
  /** Milliseconds between two fetches started by unknown kids, or after a failure. */
  cooldown: number
  /** Milliseconds between scheduled refreshes. */
  refreshInterval: number
}

/** What a token with an unknown kid is told: wait for this fetch, be refused now, or 503. */
export type KeyWait = Promise<void> | 'refuse' | 'unavailable'

/** Largest JWKS or metadata document read, in bytes, and most keys read from one JWKS. */
const MAX_BYTES = 1_048_576
const MAX_KEYS = 100
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const

/** Reads a JSON document of at most MAX_BYTES from a 200 answer. */
async function fetchJson (url: string, signal: AbortSignal): Promise<unknown> {
  const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } })
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel()
    throw new Error(`${url} answered ${response.status}`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.length
    if (size > MAX_BYTES) throw new Error(`${url} sent more than ${MAX_BYTES} bytes`)
    chunks.push(chunk)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

/** The member `name` of a JSON object, or undefined. */
function member (value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined
}

/** One JWK of the set as a verification key (known by its RFC 7638 thumbprint when it has no kid), or why it is left out. */
function verificationKey (jwk: unknown): VerificationKey | string {
  if (jwk === null || typeof jwk !== 'object') return 'not an object'
  const { kid, alg, use, key_ops: ops, kty } = jwk as Record<string, unknown>
  if (kty !== 'OKP' && kty !== 'EC' && kty !== 'RSA') return `kty ${String(kty)}`
  if (use !== undefined && use !== 'sig') return `use ${String(use)}`
  if (ops !== undefined && (!Array.isArray(ops) || !ops.includes('verify'))) return 'key_ops without verify'
  if (alg !== undefined && alg !== 'EdDSA' && alg !== 'ES256' && alg !== 'RS256') return `alg ${String(alg)}`
  // Only the public members are read: a private member in a published set is never used.
  const publicKey: Record<string, unknown> = {}
  for (const name of PUBLIC_MEMBERS) if (name in jwk) publicKey[name] = (jwk as Record<string, unknown>)[name]
  try {
    return readKey({ publicKey, kid: kid as string, alg: alg as 'EdDSA' | 'ES256' | 'RS256' | undefined })
  } catch (err) {
    return err instanceof KeyInputError ? `${err.member} ${err.message}` : String(err)
  }
}

/** The usable keys of a JWKS; a kid that appears twice is left out, since either key could be meant. */
function keysOf (jwks: unknown): { keys: VerificationKey[], skipped: string[] } {
  const list = member(jwks, 'keys')
  if (!Array.isArray(list)) throw new Error('the document is not a JWKS (no "keys" array)')
  const byKid = new Map<string, VerificationKey | undefined>()
  const skipped: string[] = []
  for (const jwk of list.slice(0, MAX_KEYS)) {
    const key = verificationKey(jwk)
    if (typeof key === 'string') {
      skipped.push(key)
    } else if (byKid.has(key.kid)) {
      skipped.push(`kid ${key.kid} twice`)
      byKid.set(key.kid, undefined)
    } else {
      byKid.set(key.kid, key)
    }
  }
  const keys = [...byKid.values()].filter((key): key is VerificationKey => key !== undefined)
  if (keys.length === 0) throw new Error(`the JWKS has no usable key (${skipped.join('; ') || 'it is empty'})`)
  return { keys, skipped }
}

/** The issuer's keys, fetched over HTTP. */
export class RemoteKeys implements KeyLookup {
  readonly #options: ResolvedRemoteKeys
  #byKid = new Map<string, VerificationKey>()
  #byHeader = new Map<string, VerificationKey>()
  readonly #removed: Array<() => void> = []
  #jwksUri: string | undefined
  #inFlight: Promise<void> | undefined
  /** When an unknown kid last started a fetch, and when a fetch last failed (`now()` milliseconds). */
  #unknownKidFetchAt = -Infinity
  #failedAt = -Infinity
  #timer: NodeJS.Timeout | undefined
  readonly #closed = new AbortController()
  #log: FastifyBaseLogger | undefined
  readonly #now: () => number

  constructor (options: ResolvedRemoteKeys, now: () => number = () => performance.now()) {
    this.#options = options
    this.#jwksUri = options.jwksUri
    this.#now = now
  }

  /** Where the keys come from, for messages. */
  get source (): string { return this.#jwksUri ?? this.#options.metadataUrl ?? '' }
  /** Whether any key was ever fetched (and is still held). */
  get hasKeys (): boolean { return this.#byKid.size > 0 }

  byHeader (segment: string): VerificationKey | undefined { return this.#byHeader.get(segment) }
  byKid (kid: string): VerificationKey | undefined { return this.#byKid.get(kid) }
  withoutKid (): readonly VerificationKey[] { return [] }
  onRemoved (listener: () => void): void { this.#removed.push(listener) }

  /** Fetches the keys now and then every `refreshInterval`. */
  start (log: FastifyBaseLogger): void {
    this.#log = log
    this.refresh().catch(() => {}) // refresh() never rejects; the catch is for the linter's sake
    this.#timer = setInterval(() => { this.refresh().catch(() => {}) }, this.#options.refreshInterval)
    this.#timer.unref()
  }

  /** Stops the schedule and any fetch under way. */
  close (): void {
    clearInterval(this.#timer)
    this.#closed.abort()
  }

  /**
   * After a token named a kid the set does not hold: a fetch to wait for (the one under way, or a
   * new one when the cooldown allows it), `'refuse'` while keys are held and the cooldown runs, or
   * `'unavailable'` while no key was ever fetched and the last failure is within the cooldown.
   */
  awaitKey (): KeyWait {
    if (this.#inFlight !== undefined) return this.#inFlight
    const now = this.#now()
    if (this.hasKeys) {
      if (now - this.#unknownKidFetchAt < this.#options.cooldown) return 'refuse'
      this.#unknownKidFetchAt = now
    } else if (now - this.#failedAt < this.#options.cooldown) {
      return 'unavailable'
    }
    return this.refresh()
  }

  /** Fetches the keys unless a fetch is under way; resolves when it ends, never rejects. */
  refresh (): Promise<void> {
    this.#inFlight ??= this.#load().then(() => {
      this.#inFlight = undefined
    }, (err: unknown) => {
      this.#inFlight = undefined
      this.#failed(err as Error)
    })
    return this.#inFlight
  }

  async #load (): Promise<void> {
    const signal = AbortSignal.any([this.#closed.signal, AbortSignal.timeout(this.#options.timeout)])
    const jwksUri = this.#jwksUri ?? await this.#discover(signal)
    const { keys, skipped } = keysOf(await fetchJson(jwksUri, signal))
    if (skipped.length > 0) this.#log?.warn({ event: 'jwks', skipped }, 'keys of the issuer\'s JWKS left out')
    const byKid = new Map(keys.map((key) => [key.kid, key]))
    // A kid gone, or now naming another key: tokens verified with the old key must be checked again.
    const removed = [...this.#byKid.values()].some((old) => JSON.stringify(byKid.get(old.kid)?.jwk) !== JSON.stringify(old.jwk))
    this.#byKid = byKid
    this.#byHeader = new Map(keys.map((key) => [key.header, key]))
    this.#log?.debug({ event: 'jwks', kids: [...byKid.keys()] }, 'issuer keys fetched')
    if (removed) for (const listener of this.#removed) listener()
  }

  /** The `jwks_uri` of the issuer's metadata, whose `issuer` must be ours. */
  async #discover (signal: AbortSignal): Promise<string> {
    const url = this.#options.metadataUrl as string
    const metadata = await fetchJson(url, signal)
    const issuer = member(metadata, 'issuer')
    if (issuer !== this.#options.issuer) throw new Error(`the metadata at ${url} names the issuer ${JSON.stringify(issuer)}, not ${JSON.stringify(this.#options.issuer)}`)
    const jwksUri = member(metadata, 'jwks_uri')
    if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) throw new Error(`the metadata at ${url} has no http(s) jwks_uri`)
    this.#jwksUri = jwksUri
    return jwksUri
  }

  #failed (err: Error): void {
    this.#failedAt = this.#now()
    // Found through the metadata: look it up again next time, the issuer may have moved its keys.
    if (this.#options.jwksUri === undefined) this.#jwksUri = undefined
    if (this.#closed.signal.aborted) return
    const reason = err.name === 'TimeoutError' ? `no answer within ${this.#options.timeout} ms` : (err.cause as Error | undefined)?.message ?? err.message
    const error = new KeysUnavailableError(this.#options.jwksUri ?? this.#options.metadataUrl as string, reason)
    if (this.hasKeys) this.#log?.warn({ event: 'jwks', code: error.code, err: error, kept: this.#byKid.size }, 'issuer keys not refreshed; the keys fetched before stay in use')
    else this.#log?.error({ event: 'jwks', code: error.code, err: error }, 'no issuer keys: tokens are answered 503 until a fetch succeeds')
  }
}
