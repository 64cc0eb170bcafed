/**
 * The only module that imports argon2: hashing, verification, the dummy hash that keeps failure
 * timings equal, and the re-hash check.
 */
import argon2 from 'argon2'
import { randomBytes } from 'node:crypto'
import { InvalidHashError, InvalidPasswordError } from '../errors.js'

/**
 * argon2id cost parameters.
 *
 * @example
 * ```ts
 * import { hashPassword, type HashOptions } from 'fastify-password-bearer'
 *
 * const cheap: HashOptions = { memoryCost: 1024, timeCost: 1, parallelism: 1 } // tests only
 * const hash = await hashPassword('secret', cheap)
 * ```
 */
export interface HashOptions {
  /** Memory in KiB. @default 19456 (19 MiB, OWASP's argon2id baseline) */
  memoryCost?: number
  /** Iterations. @default 2 */
  timeCost?: number
  /** Lanes. @default 1 */
  parallelism?: number
}

/**
 * OWASP Password Storage Cheat Sheet argon2id baseline: m=19 MiB, t=2, p=1.
 *
 * @example
 * ```ts
 * import { DEFAULT_HASH_OPTIONS, hashPassword } from 'fastify-password-bearer'
 *
 * // Twice the default memory, for a server that can afford it: pass the same `hash` option to the plugin.
 * const hash = await hashPassword('secret', { ...DEFAULT_HASH_OPTIONS, memoryCost: 2 * DEFAULT_HASH_OPTIONS.memoryCost })
 * ```
 */
export const DEFAULT_HASH_OPTIONS: Readonly<Required<HashOptions>> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1
})

function resolve (options: HashOptions | undefined): Required<HashOptions> {
  return { ...DEFAULT_HASH_OPTIONS, ...options }
}

/**
 * Writes the parameters in the order of the reference implementation (`m=..,t=..,p=..`), which
 * argon2-cffi — under pwdlib and passlib — requires: a Python app that shares the users table
 * verifies the plugin's hashes too. argon2 writes them in alphabetical order, and reads either.
 */
function referenceOrder (hash: string): string {
  return hash.replace(/^(\$argon2id\$v=\d+\$)m=(\d+),p=(\d+),t=(\d+)\$/, '$1m=$2,t=$4,p=$3$$')
}

/**
 * Hashes a password with argon2id, for apps that create users or change passwords.
 *
 * @example
 * ```ts
 * import { hashPassword } from 'fastify-password-bearer'
 *
 * const passwordHash = await hashPassword('correct horse battery staple') // '$argon2id$v=19$m=19456,t=2,p=1$...'
 * ```
 */
export async function hashPassword (password: string, options?: HashOptions): Promise<string> {
  if (typeof password !== 'string' || password.length === 0) throw new InvalidPasswordError()
  return referenceOrder(await argon2.hash(password, { ...resolve(options), type: argon2.argon2id }))
}

/** True when `hash` looks like a PHC-format argon2 hash that argon2.verify can read. */
export function isArgon2Hash (hash: string): boolean {
  return /^\$argon2(id|i|d)\$(v=\d+\$)?[a-z]+=\d+(,[a-z]+=\d+)*\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/.test(hash)
}

/**
 * Checks a password against an argon2 hash, exactly as given (no trimming or truncation).
 * Rejects with `FST_PWB_INVALID_HASH` when the hash is not an argon2 hash.
 *
 * @example
 * <!-- context:
 * declare const storedHash: string
 * -->
 * ```ts
 * import { verifyPassword } from 'fastify-password-bearer'
 *
 * const ok = await verifyPassword(storedHash, 'correct horse battery staple') // true or false
 * ```
 */
export async function verifyPassword (hash: string, password: string): Promise<boolean> {
  if (typeof hash !== 'string' || !isArgon2Hash(hash)) throw new InvalidHashError()
  if (typeof password !== 'string') return false
  try {
    return await argon2.verify(hash, password)
  } catch {
    throw new InvalidHashError()
  }
}

/**
 * True when `hash` was made with other parameters than `options` (so it should be re-hashed).
 *
 * @example
 * <!-- context:
 * declare const storedHash: string
 * -->
 * ```ts
 * import { needsRehash } from 'fastify-password-bearer'
 *
 * if (needsRehash(storedHash)) {
 *   // made with other parameters than today's defaults: the plugin re-hashes it at the next login
 *   // through users.updatePasswordHash
 * }
 * ```
 */
export function needsRehash (hash: string, options?: HashOptions): boolean {
  try {
    return argon2.needsRehash(hash, { ...resolve(options) })
  } catch {
    return false
  }
}

/**
 * A hash of a random password with the current parameters: verified against when there is no real
 * hash to check (unknown user, user without a password), so every failure costs the same time.
 */
export async function createDummyHash (options?: HashOptions): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64url'), options)
}
