/**
 * The keys an app signs and verifies with, changeable at run time: the current key signs new
 * tokens, every key in the set verifies the tokens it signed, and a key removed from the set stops
 * verifying at once. `createKeySet` is the public face; the token format reads the set through
 * {@link KeyLookup}, which the remote set of a verify-only service implements too.
 */
import { KeySetError } from '../errors.js'
import { canSign, KeyInputError, readKey, type KeyAlgorithm, type KeyInput, type PublicJwk, type SigningKey, type VerificationKey } from './keys.js'

/** What the token format reads from a set of keys. */
export interface KeyLookup {
  /** The key of tokens whose header segment is exactly this one (tokens signed by this package). */
  byHeader (segment: string): VerificationKey | undefined
  /** The key with this kid. */
  byKid (kid: string): VerificationKey | undefined
  /** The HS256 keys that verify tokens without a kid (signed by versions without kids). */
  withoutKid (): readonly VerificationKey[]
  /** Calls `listener` after keys were removed: tokens verified with them must be refused from now on. */
  onRemoved (listener: () => void): void
}

/**
 * A key of a set, as the set describes it (never the key itself).
 *
 * @example
 * ```ts
 * import { createKeySet, type KeyInfo } from 'fastify-password-bearer'
 *
 * const keys = createKeySet([{ secret: process.env.JWT_SECRET!, kid: '2026-06' }])
 * const current: KeyInfo | undefined = keys.current // { kid: '2026-06', alg: 'HS256', canSign: true, current: true }
 * ```
 */
export interface KeyInfo {
  kid: string
  alg: KeyAlgorithm
  /** Whether the key can sign (a private key or a secret). */
  canSign: boolean
  /** Whether the key signs new tokens now. */
  current: boolean
}

/**
 * A set of signing and verification keys that the app may change while it runs.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import { readFileSync } from 'node:fs'
 * import fastifyPasswordBearer, { createKeySet, type KeySet } from 'fastify-password-bearer'
 *
 * const keys: KeySet = createKeySet([{ privateKey: readFileSync('key-2026-06.pem'), kid: '2026-06' }])
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { keys, users, issuer: 'https://auth.example.com' })
 * // later, without a restart:
 * keys.rotate({ privateKey: readFileSync('key-2026-12.pem'), kid: '2026-12' }) // new tokens get the new kid
 * keys.remove('2026-06')                                                         // once the old tokens have expired
 * ```
 */
export interface KeySet {
  /** The key that signs new tokens; undefined in a set of public keys only. */
  readonly current: KeyInfo | undefined
  /** Every key, in the order they were added. */
  list (): KeyInfo[]
  /** Adds a key that verifies (and is published in the JWKS) but does not sign until {@link KeySet.use}. */
  add (key: KeyInput): KeyInfo
  /** Makes the key with this kid sign new tokens; the previous one keeps verifying. */
  use (kid: string): void
  /** Adds a key and makes it sign at once: `add` then `use`. */
  rotate (key: KeyInput): KeyInfo
  /** Removes a key: tokens it signed are refused from the next request on. The current key cannot be removed. */
  remove (kid: string): void
  /** The JWKS (RFC 7517) of the set: the public asymmetric keys, never a secret or a private member. */
  jwks (): { keys: PublicJwk[] }
}

/** The set behind a {@link KeySet}: what the token format and the JWKS route read. */
export class LocalKeys implements KeyLookup {
  readonly #byKid = new Map<string, VerificationKey>()
  readonly #byHeader = new Map<string, VerificationKey>()
  #withoutKid: VerificationKey[] = []
  #current: SigningKey | undefined
  readonly #removed: Array<() => void> = []
  #jwks: string | undefined

  get current (): SigningKey | undefined { return this.#current }

  byHeader (segment: string): VerificationKey | undefined { return this.#byHeader.get(segment) }
  byKid (kid: string): VerificationKey | undefined { return this.#byKid.get(kid) }
  withoutKid (): readonly VerificationKey[] { return this.#withoutKid }
  onRemoved (listener: () => void): void { this.#removed.push(listener) }
  keys (): IterableIterator<VerificationKey> { return this.#byKid.values() }

  add (key: VerificationKey): void {
    if (this.#byKid.has(key.kid)) throw new KeySetError(`a key with kid "${key.kid}" is already in the set; remove it first, or give the new key another kid`)
    this.#byKid.set(key.kid, key)
    this.#byHeader.set(key.header, key)
    if (key.alg === 'HS256') this.#withoutKid = [...this.#withoutKid, key]
    this.#jwks = undefined
  }

  use (kid: string): void {
    const key = this.#byKid.get(kid)
    if (key === undefined) throw new KeySetError(`no key with kid "${kid}" in the set; add it first`)
    if (!canSign(key)) throw new KeySetError(`the key "${kid}" is a public key and cannot sign; add its private key`)
    this.#current = key
  }

  remove (kid: string): void {
    const key = this.#byKid.get(kid)
    if (key === undefined) throw new KeySetError(`no key with kid "${kid}" in the set`)
    if (key === this.#current) throw new KeySetError(`the key "${kid}" signs new tokens; use() another key before removing it`)
    this.#byKid.delete(kid)
    this.#byHeader.delete(key.header)
    this.#withoutKid = this.#withoutKid.filter((k) => k !== key)
    this.#jwks = undefined
    for (const listener of this.#removed) listener()
  }

  /** The JWKS as JSON text, rebuilt only after the set changed. */
  jwksJson (): string {
    this.#jwks ??= JSON.stringify(this.jwks())
    return this.#jwks
  }

  jwks (): { keys: PublicJwk[] } {
    const keys: PublicJwk[] = []
    for (const key of this.#byKid.values()) if (key.jwk !== undefined) keys.push({ ...key.jwk })
    return { keys }
  }

  info (key: VerificationKey): KeyInfo {
    return { kid: key.kid, alg: key.alg, canSign: canSign(key), current: key === this.#current }
  }
}

const stores = new WeakMap<KeySet, LocalKeys>()

/** The set behind a {@link KeySet} made by {@link createKeySet}, or undefined for any other value. */
export function localKeysOf (set: unknown): LocalKeys | undefined {
  return set !== null && typeof set === 'object' ? stores.get(set as KeySet) : undefined
}

/** Reads a key input; `fail` turns a problem (`where` names the key) into the error to throw. */
function read (input: KeyInput, where: string, fail: (problem: string) => Error): VerificationKey {
  try {
    return readKey(input)
  } catch (err) {
    if (!(err instanceof KeyInputError)) throw err
    throw fail(`${where}: ${err.member === '' ? 'the key' : err.member} ${err.message}`)
  }
}

const keySetError = (problem: string): Error => new KeySetError(problem)

/**
 * The set of a list of key inputs: the first signs when it can. `fail` makes the error of a key that
 * cannot be read or a duplicate kid (the plugin's options name the option in theirs).
 */
export function localKeysFrom (inputs: readonly KeyInput[], fail: (problem: string) => Error): LocalKeys {
  const store = new LocalKeys()
  inputs.forEach((input, i) => {
    const key = read(input, `[${i}]`, fail)
    try {
      store.add(key)
    } catch {
      throw fail(`[${i}]: the kid "${key.kid}" is already taken by another key; give each key its own kid`)
    }
    if (i === 0 && canSign(key)) store.use(key.kid)
  })
  return store
}

/**
 * Builds a key set from a list of keys: the first one signs (it must be a private key or a secret,
 * unless the set only verifies), the others verify. Throws `FST_PWB_KEY_SET` for a key that cannot
 * be read, a duplicate kid, or an algorithm that does not match the key.
 *
 * @example
 * <!-- context:
 * declare const previousPublicPem: string
 * -->
 * ```ts
 * import { createKeySet } from 'fastify-password-bearer'
 *
 * const keys = createKeySet([{ privateKey: process.env.JWT_PRIVATE_KEY! }, { publicKey: previousPublicPem }])
 * ```
 */
export function createKeySet (keys: readonly KeyInput[]): KeySet {
  if (!Array.isArray(keys) || keys.length === 0) throw new KeySetError('createKeySet() needs a non-empty array of keys, e.g. [{ privateKey: pem }]')
  const store = localKeysFrom(keys, (problem) => keySetError(`keys${problem}`))
  const set: KeySet = {
    get current () {
      const current = store.current
      return current === undefined ? undefined : store.info(current)
    },
    list: () => [...store.keys()].map((key) => store.info(key)),
    add (input) {
      const key = read(input, 'add()', keySetError)
      store.add(key)
      return store.info(key)
    },
    use: (kid) => { store.use(kid) },
    rotate (input) {
      const key = read(input, 'rotate()', keySetError)
      // Checked before the set changes: a public key would otherwise stay in the set.
      if (!canSign(key)) throw new KeySetError('rotate(): the key is a public key and cannot sign; pass { privateKey } or { secret }')
      store.add(key)
      store.use(key.kid)
      return store.info(key)
    },
    remove: (kid) => { store.remove(kid) },
    jwks: () => store.jwks()
  }
  stores.set(set, store)
  return set
}
