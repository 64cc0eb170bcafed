/**
 * Token revocation (RFC 7009): the work of the revocation route. A refresh token ends its family;
 * a valid access token of this issuer is refused from now until its own expiry. Any other token
 * (unknown, expired, already revoked, garbage) changes nothing, and every one of them gets the same
 * empty 200, so the route tells nobody whether a token existed.
 *
 * `token_type_hint` is read and ignored (RFC 7009 §2.1 lets the server search every type): the two
 * kinds of token have shapes that cannot be mistaken for each other.
 */
import type { FastifyRequest } from 'fastify'
import type { AccessTokenFormat } from '../access-token/format.js'
import { parseRefreshToken } from '../sessions/refresh-token.js'
import type { Sessions } from '../sessions/sessions.js'
import { checkClientAuthentication, invalidRequest, readTokenParams } from './request.js'

export interface RevocationDeps {
  sessions: Sessions
  format: Pick<AccessTokenFormat, 'verify'>
  realm: string
}

/** What a revocation found, for the audit log. */
interface Revoked {
  type: 'refresh_token' | 'access_token' | 'unknown'
  userId?: string
}

/** Handles one revocation request; throws `OAuthError` for a malformed one, `FST_PWB_TOKEN_STORE*` when the store fails. */
export type Revoke = (request: FastifyRequest) => Promise<void>

export function createRevocation ({ sessions, format, realm }: RevocationDeps): Revoke {
  async function revokeToken (token: string): Promise<Revoked> {
    const ref = parseRefreshToken(token)
    if (ref !== undefined) {
      if (sessions.refresh === undefined) return { type: 'unknown' }
      const ended = await sessions.call((store) => store.revokeFamily(ref, Date.now()))
      return ended === undefined ? { type: 'unknown' } : { type: 'refresh_token', userId: ended.subject }
    }
    const verified = format.verify(token)
    if (typeof verified !== 'object') return { type: 'unknown' } // refused, expired, or of a key not in the set
    await sessions.revokeAccessToken(verified.claims.jti, verified.expiresAt)
    return { type: 'access_token', userId: verified.claims.sub }
  }

  return async function revoke (request) {
    const params = readTokenParams(request.body, ['token', 'token_type_hint'])
    checkClientAuthentication(request.headers.authorization, params, realm)
    const token = params.token
    if (token === undefined || token === '') throw invalidRequest('The token parameter is required')
    const revoked = await revokeToken(token)
    request.log.info({ event: 'revocation', outcome: 'success', ...revoked }, 'revocation request answered')
  }
}
