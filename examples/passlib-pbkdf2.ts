/**
 * A verifier of your own, for the `legacyVerifiers` option: passlib's pbkdf2_sha256 hashes
 * (`$pbkdf2-sha256$29000$<salt>$<checksum>`, what CryptContext(schemes=["pbkdf2_sha256"]) stores),
 * checked with node:crypto. Any other format (scrypt, Django's PBKDF2, ...) follows the same shape.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import type { PasswordVerifier } from '../lib/index.js'

const pbkdf2Async = promisify(pbkdf2)

// Rounds, then salt and checksum in passlib's "adapted base64" ('.' for '+', no padding); a
// SHA-256 checksum is 32 bytes, 43 characters.
const PASSLIB_PBKDF2 = /^\$pbkdf2-sha256\$([1-9]\d{0,6})\$([./A-Za-z0-9]{0,128})\$([./A-Za-z0-9]{43})$/

function fromAb64 (text: string): Buffer {
  return Buffer.from(text.replaceAll('.', '+'), 'base64')
}

function toAb64 (data: Buffer): string {
  return data.toString('base64').replace(/=+$/, '').replaceAll('+', '.')
}

/**
 * Reads passlib's pbkdf2_sha256 hashes. `rounds` is the cost of the dummy hash: that of your
 * table's hashes (passlib's default is 29000).
 */
export function passlibPbkdf2Verifier ({ rounds = 29000 }: { rounds?: number } = {}): PasswordVerifier {
  return {
    name: 'pbkdf2-sha256',
    recognizes: (hash) => PASSLIB_PBKDF2.test(hash),
    async verify (hash, password) {
      const [, cost, salt, checksum] = PASSLIB_PBKDF2.exec(hash) as RegExpExecArray
      const expected = fromAb64(checksum as string)
      const actual = await pbkdf2Async(password, fromAb64(salt as string), Number(cost), expected.length, 'sha256')
      return timingSafeEqual(actual, expected)
    },
    async dummyHash () {
      const salt = randomBytes(16)
      const checksum = await pbkdf2Async(randomBytes(24).toString('base64url'), salt, rounds, 32, 'sha256')
      return `$pbkdf2-sha256$${rounds}$${toAb64(salt)}$${toAb64(checksum)}`
    }
  }
}
