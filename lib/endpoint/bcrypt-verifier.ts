/**
 * A ready-made legacy verifier for bcrypt hashes (`$2a$`, `$2b$`, `$2y$`): those of passlib's
 * CryptContext(schemes=["bcrypt"]) in FastAPI's older tutorials, pwdlib's BcryptHasher, Python's
 * bcrypt, PHP's password_hash and Node's bcrypt. The only module that loads bcrypt, an optional peer
 * dependency, imported when a registration first needs it: apps that do not pass this verifier
 * never install it.
 *
 * Why the native `bcrypt` package rather than `bcryptjs`: it hashes in libuv's thread pool, as
 * argon2 does, so `maxConcurrentHashes` keeps bounding the threads logins use and the event loop
 * stays free for protected routes; bcryptjs computes on the event loop itself (in slices), so a
 * login flood on bcrypt users would stall every other route. It is OpenBSD's C implementation, the
 * one Python's bcrypt 3 compiles, and it ships prebuilt binaries as argon2 does, whose install the
 * plugin already needs.
 */
import { randomBytes } from 'node:crypto'
import { MissingPeerError } from '../errors.js'
import { integerOption } from '../option-values.js'
import type { PasswordVerifier } from '../types.js'

/**
 * Options of {@link bcryptVerifier}.
 *
 * @example
 * ```ts
 * import { bcryptVerifier, type BcryptVerifierOptions } from 'fastify-password-bearer'
 *
 * const options: BcryptVerifierOptions = { rounds: 10 } // the cost of the table's hashes: $2b$10$...
 * const legacyVerifiers = [bcryptVerifier(options)]
 * ```
 */
export interface BcryptVerifierOptions {
  /**
   * The cost of the dummy hash that users without a bcrypt hash are checked against, 4 to 31: the
   * cost of your table's hashes (the two digits after `$2b$`), so that every login costs what a
   * bcrypt user's does. @default 12 (passlib's, pwdlib's and Python bcrypt's default)
   */
  rounds?: number
}

// A two-digit cost, then 22 characters of salt and 31 of hash in bcrypt's base64 alphabet.
const BCRYPT_HASH = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/

type Bcrypt = Pick<typeof import('bcrypt'), 'compare' | 'hash'>

/**
 * Imports an optional peer dependency; `FST_PWB_MISSING_PEER` (with the import error as `cause`)
 * when it is not installed or cannot load.
 */
export async function importOptionalPeer<T> (load: () => Promise<T>, pkg: string, feature: string): Promise<T> {
  try {
    return await load()
  } catch (cause) {
    throw Object.assign(new MissingPeerError(feature, pkg), { cause })
  }
}

let bcrypt: Promise<Bcrypt> | undefined

function loadBcrypt (): Promise<Bcrypt> {
  bcrypt ??= importOptionalPeer(async () => {
    const module = await import('bcrypt')
    return module.default ?? module
  }, 'bcrypt', 'bcryptVerifier()')
  return bcrypt
}

/**
 * Verifies bcrypt hashes made by other libraries, for the `legacyVerifiers` option: users with such
 * a hash log in, and get an argon2id hash through `users.updatePasswordHash`. Needs the `bcrypt`
 * package (`npm install bcrypt`); without it, registration fails with `FST_PWB_MISSING_PEER`.
 * bcrypt reads only the first 72 bytes of a password, as it did when the hash was made.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { bcryptVerifier } from 'fastify-password-bearer'
 *
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, {
 *   secret: process.env.JWT_SECRET!,
 *   users, // with updatePasswordHash: each bcrypt user gets an argon2id hash at their next login
 *   legacyVerifiers: [bcryptVerifier({ rounds: 12 })]
 * })
 * ```
 */
export function bcryptVerifier (options: BcryptVerifierOptions = {}): PasswordVerifier {
  const rounds = integerOption('bcryptVerifier({ rounds })', options?.rounds, 12, 4, 31)
  return {
    name: 'bcrypt',
    recognizes: (hash) => BCRYPT_HASH.test(hash),
    async verify (hash, password) {
      // $2y$ is PHP's name for $2b$ (the same algorithm), which the bcrypt package reads.
      return (await loadBcrypt()).compare(password, hash.replace(/^\$2y\$/, '$2b$'))
    },
    async dummyHash () {
      return (await loadBcrypt()).hash(randomBytes(24).toString('base64url'), rounds)
    }
  }
}
