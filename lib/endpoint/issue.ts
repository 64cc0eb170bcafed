/**
 * Issuing an access token (RFC 6749 §5.1, RFC 9068 claims): the one place every grant answers
 * through, so each token carries the same claims whatever grant produced it.
 */
import type { FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'
import type { AccessTokenFormat } from '../access-token/format.js'
import { OAuthError } from '../errors.js'
import type { Sessions } from '../sessions/sessions.js'

/**
 * RFC 6749 §5.1 success body.
 *
 * @example
 * ```ts
 * import type { TokenResponse } from 'fastify-password-bearer'
 *
 * const res = await fetch('http://127.0.0.1:3000/token', {
 *   method: 'POST',
 *   body: new URLSearchParams({ grant_type: 'password', username: 'alice', password: 'secret' })
 * })
 * const { access_token: accessToken, expires_in: expiresIn } = await res.json() as TokenResponse
 * ```
 */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
  /** With `refreshTokens` on: the token to send with `grant_type=refresh_token`. */
  refresh_token?: string
  scope: string
}

/** Who is granted what. */
export interface Grantee {
  id: string
  username: string
}

export interface IssueOptions {
  format: Pick<AccessTokenFormat, 'sign'>
  /** Lifetime in seconds. */
  accessTokenTtl: number
  clientId: string
  /** Refresh tokens and revocation, when on. */
  sessions?: Sessions | undefined
}

/**
 * Issues an access token for `user` with `scopes`. With refresh tokens on, a login (no
 * `refreshToken`) starts a family and answers its first refresh token; a refresh passes the
 * rotated token it answers with.
 */
export type IssueToken = (request: FastifyRequest, user: Grantee, scopes: readonly string[], refreshToken?: string) => Promise<TokenResponse>

/** The issuer of one plugin instance: signs a token for `user` with `scopes` and logs it. */
export function createIssuer ({ format, accessTokenTtl, clientId, sessions }: IssueOptions): IssueToken {
  return async function issueToken (request, user, scopes, refreshToken) {
    let grant: string | undefined
    if (sessions !== undefined) {
      await sessions.beforeIssuing(user.id)
      if (sessions.refresh !== undefined) {
        grant = refreshToken === undefined ? 'password' : 'refresh_token'
        refreshToken ??= await sessions.startFamily(user, scopes, clientId)
        if (refreshToken === undefined) {
          throw new OAuthError('invalid_grant', 'The user\'s sessions were ended during this login: log in again', {}, { reason: 'sessions_ended', userId: user.id })
        }
      }
    }
    const iat = Math.floor(Date.now() / 1000)
    const scope = scopes.join(' ')
    const accessToken = format.sign({
      sub: user.id,
      iat,
      exp: iat + accessTokenTtl,
      jti: randomBytes(16).toString('base64url'),
      client_id: clientId,
      scope,
      preferred_username: user.username
    })
    request.log.info({ event: 'login', outcome: 'success', ...(grant !== undefined ? { grant } : {}), userId: user.id, scope }, 'access token issued')
    return refreshToken === undefined
      ? { access_token: accessToken, token_type: 'Bearer', expires_in: accessTokenTtl, scope }
      : { access_token: accessToken, token_type: 'Bearer', expires_in: accessTokenTtl, refresh_token: refreshToken, scope }
  }
}
