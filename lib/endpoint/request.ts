/**
 * Pure parsing of a password-grant token request (RFC 6749 §4.3.2, §2.3.1): the form body and the
 * optional HTTP Basic client credentials. Throws {@link OAuthError} for anything the RFC refuses.
 */
import { OAuthError } from '../errors.js'
import { parseScope } from '../scopes.js'

/** A well-formed password-grant request. */
export interface TokenRequest {
  username: string
  password: string
  /** Requested scopes; `null` when no (or an empty) `scope` parameter was sent. */
  scope: string[] | null
}

/** Limits applied while parsing. */
export interface TokenRequestLimits {
  usernameMaxLength: number
  passwordMaxLength: number
  realm: string
}

const PARAMS = ['grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret'] as const
type Param = typeof PARAMS[number]

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/

function invalid (description: string): OAuthError {
  return new OAuthError('invalid_request', description)
}

/**
 * Reads HTTP Basic client credentials (RFC 6749 §2.3.1). Swagger UI sends `Basic Og==` (an empty
 * client id and secret): that, like no header or another scheme, means "no client authentication".
 * A client secret is refused: this server registers no confidential clients.
 */
function checkClientAuthentication (authorization: string | undefined, realm: string): void {
  if (authorization === undefined) return
  const match = /^basic +(.*)$/i.exec(authorization)
  if (match === null) return
  const encoded = match[1] as string
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    throw invalid('The Authorization header is not valid HTTP Basic credentials')
  }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) throw invalid('The Basic credentials have no colon between client id and secret')
  const secret = decoded.slice(colon + 1)
  if (secret.length > 0) {
    throw new OAuthError('invalid_client', 'Client authentication is not supported: send no client secret',
      { 'www-authenticate': `Basic realm="${realm}"` })
  }
}

/**
 * Validates a parsed `application/x-www-form-urlencoded` body and returns the credentials.
 *
 * @example parseTokenRequest({ grant_type: 'password', username: 'alice', password: 'secret' }, undefined, limits)
 */
export function parseTokenRequest (
  body: unknown,
  authorization: string | undefined,
  limits: TokenRequestLimits
): TokenRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('Send grant_type, username and password as an application/x-www-form-urlencoded body')
  }
  const params: Partial<Record<Param, string>> = {}
  for (const name of PARAMS) {
    if (!Object.prototype.hasOwnProperty.call(body, name)) continue
    const value = (body as Record<string, unknown>)[name]
    if (typeof value !== 'string') throw invalid(`The ${name} parameter must be sent exactly once`)
    params[name] = value
  }

  const grantType = params.grant_type
  if (grantType === undefined || grantType === '') throw invalid('The grant_type parameter is required: send grant_type=password')
  if (grantType !== 'password') {
    throw new OAuthError('unsupported_grant_type', 'Only grant_type=password is supported by this token endpoint')
  }

  checkClientAuthentication(authorization, limits.realm)
  if (params.client_secret !== undefined && params.client_secret !== '') {
    throw new OAuthError('invalid_client', 'Client authentication is not supported: send no client_secret',
      { 'www-authenticate': `Basic realm="${limits.realm}"` })
  }

  const username = params.username
  if (username === undefined || username === '') throw invalid('The username parameter is required')
  if (username.length > limits.usernameMaxLength) {
    throw invalid(`The username parameter is longer than ${limits.usernameMaxLength} characters`)
  }
  if (CONTROL.test(username)) throw invalid('The username parameter contains control characters')

  const password = params.password
  if (password === undefined || password === '') throw invalid('The password parameter is required')
  if (password.length > limits.passwordMaxLength) {
    throw invalid(`The password parameter is longer than ${limits.passwordMaxLength} characters`)
  }

  let scope: string[] | null = null
  if (params.scope !== undefined) {
    const parsed = parseScope(params.scope)
    if (parsed === null) throw new OAuthError('invalid_scope', 'The scope parameter has characters outside the RFC 6749 scope syntax')
    scope = parsed.length > 0 ? parsed : null
  }

  return { username, password, scope }
}
