/**
 * The revocation route's OpenAPI schema (RFC 7009): a form body, an empty 200, RFC 6749 §5.2 errors.
 */
import { oauthError } from './token-route-schema.js'

/** The revocation route's schema. */
export function revocationRouteSchema (): Record<string, unknown> {
  return {
    summary: 'Revoke a refresh token or an access token (log out)',
    description: 'RFC 7009 token revocation. A refresh token ends its whole family (every token of that login); ' +
      'an access token is refused from now until it expires. Answers 200 for any token, known or not.',
    tags: ['auth'],
    consumes: ['application/x-www-form-urlencoded'],
    body: {
      type: 'object',
      required: ['token'],
      properties: {
        token: { type: 'string', description: 'The refresh token or access token to revoke' },
        token_type_hint: { type: 'string', enum: ['refresh_token', 'access_token'], description: 'Optional; the server recognises both kinds without it' }
      }
    },
    response: {
      200: { description: 'Revoked, or there was nothing to revoke (RFC 7009 §2.2); empty body', type: 'null' },
      400: { ...oauthError, description: 'No token parameter, or a malformed request (RFC 6749 §5.2)' },
      401: { ...oauthError, description: 'Client authentication refused' },
      429: { ...oauthError, description: 'Too many requests from this address (slow_down): retry after the Retry-After delay' },
      503: { ...oauthError, description: 'The session store is not answering: retry after the Retry-After delay' }
    }
  }
}
