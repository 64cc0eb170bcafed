/**
 * The access-token format: an RFC 9068 JWT (`typ: at+jwt`) signed with HS256. The only module that
 * knows the algorithm and the key; the token endpoint signs through it, the resource hooks verify
 * through it, and other parts that need a key of their own derive it here.
 *
 * fast-jwt (the engine of @fastify/jwt) signs. Registering @fastify/jwt itself only added
 * decorators that had to be renamed and hidden from the app. Verification is written here because
 * the rules this package enforces are stricter than fast-jwt's (canonical base64url, integer
 * times, typ, a key pinned to one algorithm), and checking them around fast-jwt's verifier meant
 * decoding every token twice and computing its HMAC twice. Cheapest checks first: a token with a
 * bad shape or signature is refused without parsing any JSON, and nothing here throws.
 */
import { createSigner } from 'fast-jwt'
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import type { AccessTokenClaims } from '../types.js'
import { decodeObject, splitCompact } from './compact.js'

/** The claims the token endpoint puts in a token. */
export interface IssuedClaims {
  sub: string
  iat: number
  exp: number
  jti: string
  client_id: string
  scope: string
  preferred_username: string
}

/** A token that passed every rule. */
export interface VerifiedToken {
  /** Frozen: a cached token's claims are shared by every request that presents it. */
  claims: AccessTokenClaims
  /** Milliseconds since the epoch after which the token is refused (its `exp` plus the tolerance). */
  expiresAt: number
}

export interface AccessTokenFormat {
  /** Signs the claims, adding `iss` and `aud`. */
  sign (claims: IssuedClaims): string
  /**
   * The verified token; `'expired'` for a token of ours (signature and every other rule good) whose
   * `exp` has passed; undefined when any other rule refuses it. Never throws.
   */
  verify (token: string): VerifiedToken | 'expired' | undefined
  /** A key for another use (e.g. keyed hashes of usernames), derived from the signing key. */
  deriveKey (purpose: string): Buffer
}

export interface FormatOptions {
  /** The HS256 key: at least 32 bytes (checked by the options). */
  secret: string | Buffer
  issuer: string
  audience: string
  /** Leeway for `exp` and `nbf`, in seconds. */
  clockTolerance: number
  /** The clock, in milliseconds (tests). */
  now?: () => number
}

const TOKEN_TYPE = 'at+jwt'
const ALGORITHM = 'HS256'
const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'] as const

// NumericDate (RFC 7519 §2) as this package accepts it: whole seconds from 1970 to the year 3000.
// `1e400` parses to Infinity and would never expire; a fraction or a negative time is no token of ours.
const LATEST_TIME = 32_503_680_000

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < LATEST_TIME
}

/** RFC 9068 §4: `at+jwt`, also written `application/at+jwt`, in any case. */
function isAccessTokenType (typ: unknown): boolean {
  return typeof typ === 'string' && typ.toLowerCase().replace(/^application\//, '') === TOKEN_TYPE
}

/** Whether `signature` is the base64url of HMAC-SHA256(key, input), compared in constant time. */
function hs256Matches (key: KeyObject, input: string, signature: string): boolean {
  const expected = createHmac('sha256', key).update(input).digest('base64url')
  if (signature.length !== expected.length) return false
  let diff = 0
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ signature.charCodeAt(i)
  return diff === 0
}

/** The header rules: HS256, typ at+jwt, and no critical extension (none is understood, RFC 7515 §4.1.11). */
function headerAllowed (header: Record<string, unknown> | undefined): boolean {
  return header !== undefined && header.alg === ALGORITHM && isAccessTokenType(header.typ) && !('crit' in header)
}

function hasAudience (aud: unknown, audience: string): boolean {
  if (typeof aud === 'string') return aud === audience
  return Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') && aud.includes(audience)
}

/**
 * Builds the format for one key and issuer.
 *
 * @example
 * const format = createAccessTokenFormat({ secret, issuer: 'api', audience: 'api', clockTolerance: 5 })
 * const verified = format.verify(format.sign(claims)) // { claims, expiresAt }
 */
export function createAccessTokenFormat (options: FormatOptions): AccessTokenFormat {
  const { secret, issuer, audience } = options
  const secretBytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret
  const key = createSecretKey(secretBytes)
  const toleranceMs = options.clockTolerance * 1000
  const now = options.now ?? Date.now
  const signer = createSigner({ key: secretBytes, algorithm: ALGORITHM, header: { alg: ALGORITHM, typ: TOKEN_TYPE } })
  // The header segment of every token signed here: it passes the header rules by construction, so
  // only another header is decoded (a first-seen token then costs one JSON.parse, not two).
  const ownHeader = Buffer.from(JSON.stringify({ alg: ALGORITHM, typ: TOKEN_TYPE })).toString('base64url')

  /** Every claim rule but expiry. */
  function claimsAllowed (claims: Record<string, unknown>, at: number): boolean {
    for (const name of REQUIRED_CLAIMS) if (!(name in claims)) return false
    const { iss, aud, sub, jti, exp, nbf, iat, scope } = claims
    return iss === issuer && hasAudience(aud, audience) &&
      typeof sub === 'string' && sub.length > 0 && typeof jti === 'string' &&
      (scope === undefined || typeof scope === 'string') &&
      isTime(iat) && iat * 1000 <= at + toleranceMs &&
      isTime(exp) &&
      (nbf === undefined || (isTime(nbf) && at >= nbf * 1000 - toleranceMs))
  }

  return {
    sign (claims) {
      const { sub, ...rest } = claims
      // iss, sub, aud first, in the order of RFC 9068 §2.2 (and of tokens from earlier versions).
      return signer({ iss: issuer, sub, aud: audience, ...rest })
    },

    verify (token) {
      const jws = splitCompact(token)
      if (jws === undefined || !hs256Matches(key, jws.signingInput, jws.signature)) return undefined
      if (jws.header !== ownHeader && !headerAllowed(decodeObject(jws.header))) return undefined
      const claims = decodeObject(jws.payload)
      const at = now()
      if (claims === undefined || !claimsAllowed(claims, at)) return undefined
      const expiresAt = (claims.exp as number) * 1000 + toleranceMs
      if (at > expiresAt) return 'expired'
      return { claims: Object.freeze(claims) as AccessTokenClaims, expiresAt }
    },

    deriveKey (purpose) {
      return createHmac('sha256', secretBytes).update(purpose).digest()
    }
  }
}
