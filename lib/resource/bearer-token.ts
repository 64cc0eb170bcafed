/**
 * Pure parsing of the Authorization request header (RFC 6750 §2.1, RFC 9110 §11) and building of
 * the WWW-Authenticate challenge (RFC 6750 §3). No Fastify here: unit-tested on its own.
 */

/**
 * What an Authorization header says about a Bearer token.
 *
 * @example
 * ```ts
 * import { parseAuthorization, type BearerCredentials } from 'fastify-password-bearer'
 *
 * const credentials: BearerCredentials = parseAuthorization('Bearer abc.def.ghi')
 * if (credentials.kind === 'token') console.log(credentials.token) // 'abc.def.ghi'
 * ```
 */
export type BearerCredentials =
  | { kind: 'none' } // no header, or another auth scheme
  | { kind: 'malformed' } // the Bearer scheme, but not `1*SP b64token`
  | { kind: 'token', token: string }

const NONE: BearerCredentials = Object.freeze({ kind: 'none' })
const MALFORMED: BearerCredentials = Object.freeze({ kind: 'malformed' })

// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Parses an Authorization header value. The scheme is case-insensitive and followed by one or more
 * spaces (SP only: a tab is malformed) and a b64token with nothing after it.
 *
 * @example
 * ```ts
 * import { parseAuthorization } from 'fastify-password-bearer'
 *
 * parseAuthorization('Bearer abc.def.ghi') // { kind: 'token', token: 'abc.def.ghi' }
 * parseAuthorization('Basic Og==')         // another scheme: no Bearer token
 * parseAuthorization(undefined)            // no header
 * ```
 */
export function parseAuthorization (header: string | undefined): BearerCredentials {
  const credentials = bearerCandidate(header)
  return credentials.kind === 'token' && !isB64Token(credentials.token) ? MALFORMED : credentials
}

/**
 * The first step of {@link parseAuthorization}: `token` is the text after the scheme and its
 * spaces, not yet checked to be a b64token. The resource hooks look it up among the tokens already
 * verified (each one a b64token) before paying for that check, the costliest step of a cached token.
 */
export function bearerCandidate (header: string | undefined): BearerCredentials {
  if (header === undefined || header.length === 0) return NONE
  // The auth-scheme ends at the first space or tab (or the end of the value).
  let end = 0
  while (end < header.length) {
    const c = header.charCodeAt(end)
    if (c === 0x20 || c === 0x09) break
    end++
  }
  if (end !== 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return NONE
  let start = end
  while (start < header.length && header.charCodeAt(start) === 0x20) start++
  // "Bearer" alone, or "Bearer<TAB>...".
  if (start === end) return MALFORMED
  return { kind: 'token', token: header.slice(start) }
}

/** True when `token` is an RFC 6750 §2.1 b64token. */
export function isB64Token (token: string): boolean {
  return B64TOKEN.test(token)
}

/**
 * How many Authorization header lines a request carried (Node keeps only the first in
 * `request.headers`). `rawHeaders` alternates names and values.
 */
export function authorizationCount (rawHeaders: readonly string[]): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++
  }
  return count
}

/**
 * Quotes a value as an RFC 9110 quoted-string: `"` and `\` are escaped; control characters, which a
 * header may not carry, are dropped.
 */
export function quoteString (value: string): string {
  // eslint-disable-next-line no-control-regex
  return '"' + value.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&') + '"'
}

/**
 * Parameters of a Bearer challenge (RFC 6750 §3).
 *
 * @example
 * ```ts
 * import { buildChallenge, type ChallengeParams } from 'fastify-password-bearer'
 *
 * const params: ChallengeParams = { realm: 'api', error: 'insufficient_scope', scope: 'items:write' }
 * buildChallenge(params) // 'Bearer realm="api", error="insufficient_scope", scope="items:write"'
 * ```
 */
export interface ChallengeParams {
  realm: string
  error?: string | undefined
  errorDescription?: string | undefined
  scope?: string | undefined
  /** The RFC 9728 protected resource metadata URL (`resource_metadata`). */
  resourceMetadata?: string | undefined
}

/**
 * Builds a `WWW-Authenticate: Bearer ...` value.
 *
 * @example
 * ```ts
 * import { buildChallenge } from 'fastify-password-bearer'
 *
 * buildChallenge({ realm: 'api', error: 'invalid_token' }) // 'Bearer realm="api", error="invalid_token"'
 * ```
 */
export function buildChallenge ({ realm, error, errorDescription, scope, resourceMetadata }: ChallengeParams): string {
  let value = 'Bearer realm=' + quoteString(realm)
  if (error !== undefined) value += ', error=' + quoteString(error)
  if (errorDescription !== undefined) value += ', error_description=' + quoteString(errorDescription)
  if (scope !== undefined) value += ', scope=' + quoteString(scope)
  if (resourceMetadata !== undefined) value += ', resource_metadata=' + quoteString(resourceMetadata)
  return value
}
