/**
 * The password-hash formats a login can verify: argon2, always first, then the app's legacy
 * verifiers (bcrypt, scrypt, PBKDF2, ... of a users table filled by another library). Each format
 * has a dummy hash made at registration, so that a login runs one verification per format — of the
 * user's hash for the format that reads it, of the dummy for every other — and costs the same time
 * whichever format holds the user's hash, and when there is no user at all.
 */
import type { FastifyBaseLogger } from 'fastify'
import { InvalidOptionError, MissingPeerError, UnknownHashError, VerifierError } from '../errors.js'
import { describe } from '../option-values.js'
import type { PasswordVerifier, UserStore } from '../types.js'
import { createDummyHash, isArgon2Hash, verifyPassword, type HashOptions } from './password-hash.js'

/** The name of the argon2 format, in logs (`from` of a re-hash) and in {@link HashScheme}. */
export const ARGON2 = 'argon2'

/** A format ready for logins: its checks, guarded, and its dummy hash. */
export interface HashScheme {
  readonly name: string
  /** True when this format reads `hash`. */
  recognizes (hash: string): boolean
  /** True for a match only; a verifier that throws becomes `FST_PWB_VERIFIER`. */
  verify (hash: string, password: string): Promise<boolean>
  /** A hash of a random password in this format, verified against when the user's hash is not. */
  readonly dummyHash: string
}

const MAX_VERIFIERS = 8
const NAME = /^[A-Za-z0-9._-]{1,32}$/

/** Validates the `legacyVerifiers` option; throws `FST_PWB_INVALID_OPTION`. */
export function resolveLegacyVerifiers (value: unknown): readonly PasswordVerifier[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > MAX_VERIFIERS) {
    throw new InvalidOptionError('legacyVerifiers', `expected an array of at most ${MAX_VERIFIERS} verifiers, such as [bcryptVerifier()], got ${describe(value)}`)
  }
  const names = new Set([ARGON2])
  return value.map((verifier: Partial<PasswordVerifier> | null, i) => {
    const option = `legacyVerifiers[${i}]`
    if (verifier === null || typeof verifier !== 'object' || typeof verifier.recognizes !== 'function' ||
      typeof verifier.verify !== 'function' || typeof verifier.dummyHash !== 'function') {
      throw new InvalidOptionError(option, 'expected { name, recognizes(hash), verify(hash, password), dummyHash() }, such as bcryptVerifier()')
    }
    if (typeof verifier.name !== 'string' || !NAME.test(verifier.name) || names.has(verifier.name)) {
      throw new InvalidOptionError(`${option}.name`, `expected 1 to 32 letters, digits, ".", "_" or "-", other than "${ARGON2}" and the names of the other verifiers, got ${describe(verifier.name)}`)
    }
    names.add(verifier.name)
    return verifier as PasswordVerifier
  })
}

function failed (name: string, step: string, cause: unknown): Error {
  return Object.assign(new VerifierError(name, step), { cause })
}

/** A legacy verifier behind guards: only `true` is a match, and a throw becomes a coded error. */
function guard (verifier: PasswordVerifier, dummyHash: string): HashScheme {
  const { name } = verifier
  return {
    name,
    dummyHash,
    recognizes (hash) {
      try {
        return verifier.recognizes(hash) === true
      } catch (cause) {
        throw failed(name, 'recognizes()', cause)
      }
    },
    async verify (hash, password) {
      try {
        return (await verifier.verify(hash, password)) === true
      } catch (cause) {
        throw failed(name, 'verify()', cause)
      }
    }
  }
}

/**
 * Makes a legacy verifier's dummy hash and checks it once: a verifier that cannot make or read its
 * own dummy fails registration rather than every login.
 */
async function prepareLegacy (verifier: PasswordVerifier, index: number): Promise<HashScheme> {
  let dummy: unknown
  try {
    dummy = await verifier.dummyHash()
  } catch (cause) {
    throw cause instanceof MissingPeerError ? cause : failed(verifier.name, 'dummyHash()', cause)
  }
  const scheme = guard(verifier, dummy as string)
  if (typeof dummy !== 'string' || isArgon2Hash(dummy) || !scheme.recognizes(dummy)) {
    throw new InvalidOptionError(`legacyVerifiers[${index}].dummyHash`, `expected a non-argon2 hash that the verifier's own recognizes() accepts, got ${describe(dummy)}`)
  }
  await scheme.verify(dummy, 'fastify-password-bearer registration check')
  return scheme
}

/** What {@link prepareHashSchemes} reads of the endpoint's options. */
export interface SchemeOptions {
  hash: Required<HashOptions>
  legacyVerifiers: readonly PasswordVerifier[]
  users: UserStore
}

/**
 * The formats of one registration, argon2 first, with their dummy hashes. Warns when legacy
 * verifiers come without `users.updatePasswordHash`: legacy hashes then stay, and so does the cost
 * of verifying every format at each login.
 */
export async function prepareHashSchemes (options: SchemeOptions, log: FastifyBaseLogger): Promise<HashScheme[]> {
  const argon2: HashScheme = {
    name: ARGON2,
    dummyHash: await createDummyHash(options.hash),
    recognizes: isArgon2Hash,
    verify: verifyPassword
  }
  const legacy: HashScheme[] = []
  for (const [i, verifier] of options.legacyVerifiers.entries()) legacy.push(await prepareLegacy(verifier, i))
  if (legacy.length > 0 && options.users.updatePasswordHash === undefined) {
    log.warn({ event: 'legacy_hashes', verifiers: legacy.map((s) => s.name) },
      'legacyVerifiers without users.updatePasswordHash: legacy hashes are never replaced by argon2id, and every login keeps paying for every format; add updatePasswordHash to the user store')
  }
  return [argon2, ...legacy]
}

/** The format that reads `hash`, argon2 first; `FST_PWB_UNKNOWN_HASH` when none does. */
export function schemeFor (schemes: readonly HashScheme[], hash: string, userId: string): HashScheme {
  const scheme = schemes.find((s) => s.recognizes(hash))
  if (scheme === undefined) throw new UnknownHashError(userId, schemes.map((s) => s.name).join(', '))
  return scheme
}
