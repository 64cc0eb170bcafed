/**
 * Pure parsing of the Authorization request header (RFC 6750 §2.1, RFC 9110 §11) and building of
 * the WWW-Authenticate challenge (RFC 6750 §3). No Fastify here: unit-tested on its own.
 */

/** What an Authorization header says about a Bearer token. */
export type BearerCredentials =
  | { kind: 'none' } // no header, or another auth scheme
  | { kind: 'malformed' } // the Bearer scheme, but not `1*SP b64token`
  | { kind: 'token', token: string }

const NONE: BearerCredentials = Object.freeze({ kind: 'none' })
const MALFORMED: BearerCredentials = Object.freeze({ kind: 'malformed' })

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** {@link bearerCandidate}: the header carries no Bearer credentials (absent, or another scheme). */
export const NOT_BEARER = 0
/** {@link bearerCandidate}: the Bearer scheme with no space-separated credentials after it. */
export const BEARER_WITHOUT_TOKEN = 1

/**
 * The first step of {@link parseAuthorization}: the text after `Bearer` and its spaces, not yet
 * checked to be a b64token, or why there is none. The resource hooks look a token up among those
 * already verified (each of which is a b64token) before paying for the syntax check.
 */
export function bearerCandidate (header: string | undefined): string | typeof NOT_BEARER | typeof BEARER_WITHOUT_TOKEN {
  if (header === undefined || header.length === 0) return NOT_BEARER
  // The auth-scheme ends at the first space or tab (or the end of the value).
  let end = 0
  while (end < header.length) {
    const c = header.charCodeAt(end)
    if (c === 0x20 || c === 0x09) break
    end++
  }
  if (end !== 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return NOT_BEARER
  let start = end
  while (start < header.length && header.charCodeAt(start) === 0x20) start++
  if (start === end) return BEARER_WITHOUT_TOKEN // "Bearer" alone, or "Bearer<TAB>..."
  return header.slice(start)
}

/** True when `token` is an RFC 6750 §2.1 b64token. */
export function isB64Token (token: string): boolean {
  return B64TOKEN.test(token)
}

/**
 * Parses an Authorization header value. The scheme is case-insensitive and followed by one or more
 * spaces (SP only: a tab is malformed) and a b64token with nothing after it.
 *
 * @example parseAuthorization('Bearer abc.def.ghi') // { kind: 'token', token: 'abc.def.ghi' }
 */
export function parseAuthorization (header: string | undefined): BearerCredentials {
  const token = bearerCandidate(header)
  if (token === NOT_BEARER) return NONE
  if (token === BEARER_WITHOUT_TOKEN || !B64TOKEN.test(token)) return MALFORMED
  return { kind: 'token', token }
}

// Three base64url segments without padding (RFC 7515 §2, §7.1).
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// The last character of an unpadded base64url segment whose length is 2 or 3 (mod 4) carries
// 4 or 2 unused bits: canonical encoders leave them zero.
const LAST_OF_2 = /[AQgw]$/
const LAST_OF_3 = /[AEIMQUYcgkosw048]$/

function isCanonicalSegment (segment: string): boolean {
  switch (segment.length % 4) {
    case 0: return true
    case 2: return LAST_OF_2.test(segment)
    case 3: return LAST_OF_3.test(segment)
    default: return false // a length of 1 (mod 4) decodes to nothing whole
  }
}

/**
 * True when `token` is a JWS in compact serialisation with every segment in canonical base64url:
 * no padding, no standard-alphabet characters, no non-zero unused bits. Lenient decoders map many
 * strings to the same bytes, so without this a valid token could be altered and still verify.
 *
 * @example isCanonicalJws('eyJhbGciOiJIUzI1NiJ9.e30.sig') // true or false; never throws
 */
export function isCanonicalJws (token: string): boolean {
  if (!JWS_COMPACT.test(token)) return false
  const first = token.indexOf('.')
  const last = token.lastIndexOf('.')
  return isCanonicalSegment(token.slice(0, first)) &&
    isCanonicalSegment(token.slice(first + 1, last)) &&
    isCanonicalSegment(token.slice(last + 1))
}

/**
 * Quotes a value as an RFC 9110 quoted-string: `"` and `\` are escaped; control characters, which a
 * header may not carry, are dropped.
 */
export function quoteString (value: string): string {
  // eslint-disable-next-line no-control-regex
  return '"' + value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&') + '"'
}

/** Parameters of a Bearer challenge (RFC 6750 §3). */
export interface ChallengeParams {
  realm: string
  error?: string | undefined
  errorDescription?: string | undefined
  scope?: string | undefined
}

/**
 * Builds a `WWW-Authenticate: Bearer ...` value.
 *
 * @example buildChallenge({ realm: 'api', error: 'invalid_token' }) // 'Bearer realm="api", error="invalid_token"'
 */
export function buildChallenge ({ realm, error, errorDescription, scope }: ChallengeParams): string {
  let value = 'Bearer realm=' + quoteString(realm)
  if (error !== undefined) value += ', error=' + quoteString(error)
  if (errorDescription !== undefined) value += ', error_description=' + quoteString(errorDescription)
  if (scope !== undefined) value += ', scope=' + quoteString(scope)
  return value
}
