/**
 * The token route's OpenAPI schema: a form body and RFC 6749 §5.1 / §5.2 responses.
 */
import type { EndpointOptions } from '../options.js'

const oauthError = {
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

/** The token route's schema: a form body and RFC 6749 §5.1 / §5.2 responses. */
export function tokenRouteSchema (options: EndpointOptions): Record<string, unknown> {
  const scopeList = Object.keys(options.scopes)
  return {
    summary: 'Log in with a username and password (OAuth2 password grant)',
    description: 'RFC 6749 §4.3 resource owner password credentials grant. Returns a Bearer access token (an RFC 9068 JWT).',
    tags: ['auth'],
    consumes: ['application/x-www-form-urlencoded'],
    body: {
      type: 'object',
      required: ['grant_type', 'username', 'password'],
      properties: {
        grant_type: { type: 'string', enum: ['password'], description: 'Always "password"' },
        username: { type: 'string', maxLength: options.usernameMaxLength },
        password: { type: 'string', format: 'password', maxLength: options.passwordMaxLength },
        scope: {
          type: 'string',
          description: scopeList.length > 0
            ? `Space-separated scopes to request (default: all the user holds). Known: ${scopeList.join(', ')}`
            : 'Space-separated scopes to request (default: all the user holds)'
        }
      }
    },
    response: {
      200: {
        description: 'Access token issued (RFC 6749 §5.1)',
        type: 'object',
        required: ['access_token', 'token_type', 'expires_in', 'scope'],
        properties: {
          access_token: { type: 'string' },
          token_type: { type: 'string', enum: ['Bearer'] },
          expires_in: { type: 'integer', description: 'Lifetime in seconds' },
          scope: { type: 'string', description: 'Space-separated granted scopes' }
        }
      },
      400: { ...oauthError, description: 'Invalid request, credentials or scope (RFC 6749 §5.2)' },
      401: { ...oauthError, description: 'Client authentication refused' },
      429: { ...oauthError, description: 'Too many login attempts for this username or address (slow_down): retry after the Retry-After delay' },
      500: { ...oauthError, description: 'Server error' },
      503: { ...oauthError, description: 'Too many logins at once, or the user store is not answering' }
    }
  }
}
