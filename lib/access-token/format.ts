/**
 * The access-token format: an RFC 9068 JWT (`typ: at+jwt`) signed with the current key of a key set
 * (HS256, EdDSA, ES256 or RS256, see keys.ts), every token naming its key in a `kid` header. The
 * only module that knows how a token is signed and checked; the token endpoint signs through it,
 * the resource hooks verify through it, and other parts that need a key of their own derive it here.
 *
 * fast-jwt (the engine of @fastify/jwt) signs. Registering @fastify/jwt itself only added
 * decorators that had to be renamed and hidden from the app. Verification is written here because
 * the rules this package enforces are stricter than fast-jwt's (canonical base64url, integer
 * times, typ, each key pinned to one algorithm and found by its kid, never by anything else in the
 * header), and checking them around fast-jwt's verifier meant decoding every token twice and
 * checking its signature twice. Cheapest checks first: a token with a header this package writes
 * is checked against its key without parsing the header, a bad shape or signature is refused
 * without parsing the payload, and nothing here throws.
 */
import { createHmac } from 'node:crypto'
import type { AccessTokenClaims } from '../types.js'
import { decodeObject, splitCompact, type CompactJws } from './compact.js'
import { LocalKeys, type KeyLookup } from './key-set.js'
import { isKid, readKey, TOKEN_TYPE, type SigningKey, type VerificationKey } from './keys.js'

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

/** The verdict of {@link TokenVerifier.verify}. */
export type VerifyResult =
  | VerifiedToken
  /** A token of ours (signature and every other rule good) whose `exp` has passed. */
  | 'expired'
  /** A well-formed asymmetric token whose kid is not in the key set (yet: a remote set may fetch it). */
  | 'unknown-key'
  /** Any other rule refuses it. */
  | undefined

export interface TokenVerifier {
  /** Checks a token against the key set and every rule. Never throws. */
  verify (token: string): VerifyResult
}

export interface AccessTokenFormat extends TokenVerifier {
  /** Signs the claims with the current key, adding `iss` and `aud`. */
  sign (claims: IssuedClaims): string
  /** A key for another use (e.g. keyed hashes of usernames), derived from the secret, else from the signing key at creation. */
  deriveKey (purpose: string): Buffer
}

/** What the rules check besides the signature. */
export interface ClaimRules {
  issuer: string
  audience: string
  /** Leeway for `exp` and `nbf`, in seconds. */
  clockTolerance: number
  /** The clock, in milliseconds (tests). */
  now?: () => number
}

export interface FormatOptions extends ClaimRules {
  /**
   * An HS256 secret (at least 32 bytes, checked by the options). Alone, it is the one key; with
   * `keys`, it only keys {@link AccessTokenFormat.deriveKey}.
   */
  secret?: string | Buffer
  /** The key set; its current key signs. @default a set of the one HS256 `secret` */
  keys?: LocalKeys
}

// Header members that point at keys or extensions elsewhere (RFC 7515 §4.1): never followed, and a
// token that carries one is refused (no key of this package is named that way).
const FOREIGN_HEADERS = ['crit', 'jku', 'x5u', 'jwk', 'x5c'] as const
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

interface TokenHeader { alg: unknown, kid?: string }

/** The header rules: typ at+jwt, a kid that is a kid, and none of the foreign members. */
function headerAllowed (header: Record<string, unknown> | undefined): header is Record<string, unknown> & TokenHeader {
  if (header === undefined || !isAccessTokenType(header.typ)) return false
  for (const name of FOREIGN_HEADERS) if (name in header) return false
  return header.kid === undefined || isKid(header.kid)
}

function hasAudience (aud: unknown, audience: string): boolean {
  if (typeof aud === 'string') return aud === audience
  return Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') && aud.includes(audience)
}

/**
 * The key of a token from its header: by the exact header segment this package writes, else by
 * its kid with the algorithm the key is pinned to; a token without a kid only under an HS256 key
 * whose signature it carries (tokens of versions before kids).
 */
function keyOf (keys: KeyLookup, jws: CompactJws): VerificationKey | 'unknown-key' | undefined {
  const own = keys.byHeader(jws.header)
  if (own !== undefined) return own
  const header = decodeObject(jws.header)
  if (!headerAllowed(header)) return undefined
  const { alg, kid } = header
  if (kid === undefined) {
    if (alg !== 'HS256') return undefined
    return keys.withoutKid().find((key) => key.verify(jws.signingInput, jws.signature))
  }
  const key = keys.byKid(kid)
  if (key === undefined) return alg === 'EdDSA' || alg === 'ES256' || alg === 'RS256' ? 'unknown-key' : undefined
  return key.alg === alg ? key : undefined
}

/**
 * Builds the verifier of one key set and issuer.
 *
 * @example
 * const verifier = createTokenVerifier({ keys, issuer: 'https://auth.example.com', audience: 'api', clockTolerance: 5 })
 * verifier.verify(token) // { claims, expiresAt } | 'expired' | 'unknown-key' | undefined
 */
export function createTokenVerifier (keys: KeyLookup, rules: ClaimRules): TokenVerifier {
  const { issuer, audience } = rules
  const toleranceMs = rules.clockTolerance * 1000
  const now = rules.now ?? Date.now

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
    verify (token) {
      const jws = splitCompact(token)
      if (jws === undefined) return undefined
      const key = keyOf(keys, jws)
      if (typeof key !== 'object') return key
      if (!key.verify(jws.signingInput, jws.signature)) return undefined
      const claims = decodeObject(jws.payload)
      const at = now()
      if (claims === undefined || !claimsAllowed(claims, at)) return undefined
      const expiresAt = (claims.exp as number) * 1000 + toleranceMs
      if (at > expiresAt) return 'expired'
      return { claims: Object.freeze(claims) as AccessTokenClaims, expiresAt }
    }
  }
}

/**
 * Builds the format of one key set and issuer: the verifier, signing with the set's current key,
 * and derived keys.
 *
 * @example
 * const format = createAccessTokenFormat({ secret, issuer: 'api', audience: 'api', clockTolerance: 5 })
 * const verified = format.verify(format.sign(claims)) // { claims, expiresAt }
 */
export function createAccessTokenFormat (options: FormatOptions): AccessTokenFormat {
  const { secret, issuer, audience } = options
  const keys = options.keys ?? oneSecret(secret)
  const signing = keys.current
  if (signing === undefined) throw new TypeError('the key set has no key that signs')
  // Fixed at creation: a rotation at run time must not change the keys of other uses.
  const material = secret === undefined ? signing.material : Buffer.from(secret)
  const verifier = createTokenVerifier(keys, options)

  return {
    verify: verifier.verify,

    sign (claims) {
      const { sub, ...rest } = claims
      // iss, sub, aud first, in the order of RFC 9068 §2.2 (and of tokens from earlier versions).
      return (keys.current as SigningKey).sign({ iss: issuer, sub, aud: audience, ...rest })
    },

    deriveKey (purpose) {
      return createHmac('sha256', material).update(purpose).digest()
    }
  }
}

/** The key set of one HS256 secret. */
function oneSecret (secret: string | Buffer | undefined): LocalKeys {
  if (secret === undefined) throw new TypeError('a secret or a key set is needed')
  const keys = new LocalKeys()
  const key = readKey({ secret }) as SigningKey
  keys.add(key)
  keys.use(key.kid)
  return keys
}
