/**
 * Pure parsing of a token request (RFC 6749 §3.2, §2.3.1): the form parameters every grant shares
 * (`grant_type`, the client's credentials, `scope`) and the optional HTTP Basic client credentials.
 * What a grant reads besides is parsed by the grant. Throws {@link OAuthError} for anything the RFC
 * refuses.
 */
import { OAuthError } from '../errors.js'
import { parseScope } from '../scopes.js'
import type { Grant } from './grants/grant.js'

/** The form parameters of a token request, each sent at most once. */
export type TokenParams = Readonly<Record<string, string | undefined>>

const COMMON_PARAMS = ['grant_type', 'client_id', 'client_secret', 'scope'] as const

export function invalidRequest (description: string): OAuthError {
  return new OAuthError('invalid_request', description)
}

/**
 * The `invalid_client` answer: this server registers no confidential clients, so any client
 * secret is refused, with the Basic challenge RFC 6749 §5.2 asks for.
 */
export function invalidClient (realm: string, what: string): OAuthError {
  return new OAuthError('invalid_client', `Client authentication is not supported: send no ${what}`,
    { 'www-authenticate': `Basic realm="${realm}"` })
}

/**
 * Reads the parameters a token request may carry: the shared ones and `grantParams`. A parameter
 * sent twice, or with brackets that made the body parser build an array or object, is refused.
 *
 * @example readTokenParams({ grant_type: 'password', username: 'alice' }, ['username', 'password'])
 */
export function readTokenParams (body: unknown, grantParams: readonly string[]): TokenParams {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('Send the token request as an application/x-www-form-urlencoded body')
  }
  for (const name of Object.keys(body)) {
    // `username[]=x` beside `username=alice` must not be read differently by another parser.
    if (name.includes('[')) throw invalidRequest('Bracketed parameter names such as username[] are refused: send each parameter once, by its plain name')
  }
  const params: Record<string, string> = {}
  for (const name of [...COMMON_PARAMS, ...grantParams]) {
    if (!Object.prototype.hasOwnProperty.call(body, name)) continue
    const value = (body as Record<string, unknown>)[name]
    if (typeof value !== 'string') throw invalidRequest(`The ${name} parameter must be sent exactly once`)
    params[name] = value
  }
  return params
}

const UNDECODED = 'Send the token request uncompressed (no Content-Encoding), in UTF-8'

/**
 * Refuses a body the form parser would misread: a Content-Encoding it does not decode, or a charset
 * other than UTF-8 (or its subset ASCII). 415, with an RFC 6749 `invalid_request` body.
 */
export function checkBodyEncoding (contentEncoding: string | undefined, contentType: string | undefined): void {
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') {
    throw new OAuthError('invalid_request', UNDECODED, {}, { reason: 'content_encoding' }, 415)
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase()
  if (charset !== undefined && !['utf-8', 'utf8', 'us-ascii', 'ascii'].includes(charset)) {
    throw new OAuthError('invalid_request', UNDECODED, {}, { reason: 'charset' }, 415)
  }
}

/**
 * Checks the client's authentication (RFC 6749 §2.3.1). Swagger UI sends `Basic Og==` (an empty
 * client id and secret): that, like no header or another scheme, means "no client authentication".
 */
export function checkClientAuthentication (authorization: string | undefined, params: TokenParams, realm: string): void {
  if (authorization !== undefined) {
    const match = /^basic +(.*)$/i.exec(authorization)
    if (match !== null) {
      const encoded = match[1] as string
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
        throw invalidRequest('The Authorization header is not valid HTTP Basic credentials')
      }
      const decoded = Buffer.from(encoded, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon === -1) throw invalidRequest('The Basic credentials have no colon between client id and secret')
      if (decoded.length > colon + 1) throw invalidClient(realm, 'client secret')
    }
  }
  if (params.client_secret !== undefined && params.client_secret !== '') throw invalidClient(realm, 'client_secret')
}

/** The requested scopes; `null` when no (or an empty) `scope` parameter was sent. */
export function requestedScopes (params: TokenParams): string[] | null {
  if (params.scope === undefined) return null
  const parsed = parseScope(params.scope)
  if (parsed === null) throw new OAuthError('invalid_scope', 'The scope parameter has characters outside the RFC 6749 scope syntax')
  return parsed.length > 0 ? parsed : null
}

/**
 * Parses a token request for one of `grants`: the shared parameters, `grant_type`, the client's
 * authentication, then the grant's own parameters.
 */
export function parseTokenRequest<G extends Grant<unknown>> (
  body: unknown,
  authorization: string | undefined,
  grants: ReadonlyMap<string, G>,
  realm: string
): { grant: G, parsed: ReturnType<G['parse']> } {
  const params = readTokenParams(body, [...grants.values()].flatMap((g) => g.params))
  const type = params.grant_type
  if (type === undefined || type === '') {
    throw invalidRequest(`The grant_type parameter is required: send grant_type=${[...grants.keys()].join(' or ')}`)
  }
  const grant = grants.get(type)
  if (grant === undefined) {
    throw new OAuthError('unsupported_grant_type', `Only grant_type=${[...grants.keys()].join(', ')} is supported by this token endpoint`)
  }
  checkClientAuthentication(authorization, params, realm)
  return { grant, parsed: grant.parse(params) as ReturnType<G['parse']> }
}
