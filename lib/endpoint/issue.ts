/**
 * Issuing an access token (RFC 6749 §5.1, RFC 9068 claims): the one place every grant answers
 * through, so each token carries the same claims whatever grant produced it.
 */
import type { FastifyRequest } from 'fastify'
import { randomBytes } from 'node:crypto'
import type { AccessTokenFormat } from '../access-token/format.js'

/** RFC 6749 §5.1 success body. */
export interface TokenResponse {
  access_token: string
  token_type: 'Bearer'
  expires_in: number
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
}

export type IssueToken = (request: FastifyRequest, user: Grantee, scopes: readonly string[]) => TokenResponse

/** The issuer of one plugin instance: signs a token for `user` with `scopes` and logs it. */
export function createIssuer ({ format, accessTokenTtl, clientId }: IssueOptions): IssueToken {
  return function issueToken (request, user, scopes) {
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
    request.log.info({ event: 'login', outcome: 'success', userId: user.id, scope }, 'access token issued')
    return { access_token: accessToken, token_type: 'Bearer', expires_in: accessTokenTtl, scope }
  }
}
