/**
 * The token route's OpenAPI schema: a form body and RFC 6749 §5.1 / §5.2 responses.
 */
import type { EndpointOptions } from '../options.js'

/** An RFC 6749 §5.2 error body. */
export const oauthError = {
  type: 'object',
  description: 'RFC 6749 §5.2 error',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_scope', 'slow_down', 'server_error', 'temporarily_unavailable']
    },
    error_description: { type: 'string' }
  }
}

/**
 * The token route's schema: a form body and RFC 6749 §5.1 / §5.2 responses; with `refresh`, the
 * refresh token grant too.
 */
export function tokenRouteSchema (options: EndpointOptions, refresh = false): Record<string, unknown> {
  const scopeList = Object.keys(options.scopes)
  const scopeDefault = refresh ? 'all the user holds; on a refresh, those of the login' : 'all the user holds'
  const scope = {
    type: 'string',
    description: scopeList.length > 0
      ? `Space-separated scopes to request (default: ${scopeDefault}). Known: ${scopeList.join(', ')}`
      : `Space-separated scopes to request (default: ${scopeDefault})`
  }
  const passwordForm = {
    ...(refresh ? { title: 'Password grant' } : {}),
    type: 'object',
    required: ['grant_type', 'username', 'password'],
    properties: {
      grant_type: { type: 'string', enum: ['password'], description: 'Always "password"' },
      username: { type: 'string', maxLength: options.usernameMaxLength },
      password: { type: 'string', format: 'password', maxLength: options.passwordMaxLength },
      scope
    }
  }
  const refreshForm = {
    title: 'Refresh token grant',
    type: 'object',
    required: ['grant_type', 'refresh_token'],
    properties: {
      grant_type: { type: 'string', enum: ['refresh_token'], description: 'Always "refresh_token"' },
      refresh_token: { type: 'string', description: 'The latest refresh token' },
      scope
    }
  }
  return {
    summary: refresh
      ? 'Log in with a username and password, or refresh a session (OAuth2 password and refresh token grants)'
      : 'Log in with a username and password (OAuth2 password grant)',
    description: refresh
      ? 'RFC 6749 §4.3 resource owner password credentials grant, and §6 refresh token grant. Returns a Bearer access token (an RFC 9068 JWT) and a refresh token; a refresh token is single-use (each refresh answers a new one).'
      : 'RFC 6749 §4.3 resource owner password credentials grant. Returns a Bearer access token (an RFC 9068 JWT).',
    tags: ['auth'],
    consumes: ['application/x-www-form-urlencoded'],
    body: refresh ? { oneOf: [passwordForm, refreshForm] } : passwordForm,
    response: {
      200: {
        description: 'Access token issued (RFC 6749 §5.1)',
        type: 'object',
        required: refresh ? ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'] : ['access_token', 'token_type', 'expires_in', 'scope'],
        properties: {
          access_token: { type: 'string' },
          token_type: { type: 'string', enum: ['Bearer'] },
          expires_in: { type: 'integer', description: 'Lifetime in seconds' },
          ...(refresh ? { refresh_token: { type: 'string', description: 'Single-use: send it with grant_type=refresh_token for the next access token' } } : {}),
          scope: { type: 'string', description: 'Space-separated granted scopes' }
        }
      },
      400: { ...oauthError, description: 'Invalid request, credentials, refresh token or scope (RFC 6749 §5.2)' },
      401: { ...oauthError, description: 'Client authentication refused' },
      429: { ...oauthError, description: 'Too many login attempts for this username or address (slow_down): retry after the Retry-After delay' },
      500: { ...oauthError, description: 'Server error' },
      503: { ...oauthError, description: refresh ? 'Too many logins at once, or the user store or session store is not answering' : 'Too many logins at once, or the user store is not answering' }
    }
  }
}

/**
 * The token route's form for Swagger 2, which has no `oneOf` for form parameters: one form whose
 * only required field is `grant_type`, each other field saying which grant reads it.
 */
export function swagger2RefreshForm (options: EndpointOptions): Record<string, unknown> {
  const schema = tokenRouteSchema(options, true) as { body: { oneOf: Array<{ properties: Record<string, Record<string, unknown>> }> } }
  const [password, refresh] = schema.body.oneOf as [typeof schema.body.oneOf[0], typeof schema.body.oneOf[0]]
  return {
    type: 'object',
    required: ['grant_type'],
    properties: {
      grant_type: { type: 'string', enum: ['password', 'refresh_token'], description: '"password" to log in, "refresh_token" to refresh' },
      username: { ...password.properties.username, description: 'With grant_type=password' },
      password: { ...password.properties.password, description: 'With grant_type=password' },
      refresh_token: { ...refresh.properties.refresh_token, description: 'With grant_type=refresh_token: the latest refresh token' },
      scope: password.properties.scope
    }
  }
}
