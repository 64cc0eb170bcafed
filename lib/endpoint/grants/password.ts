/**
 * The resource owner password credentials grant (RFC 6749 §4.3): a username and password checked
 * against the user store with argon2id, behind the brute-force throttle.
 */
import type { FastifyRequest } from 'fastify'
import { OAuthError } from '../../errors.js'
import { grantScopes } from '../../scopes.js'
import { checkCredentials, rehashIfNeeded, type LoginDeps } from '../credentials.js'
import type { IssueToken } from '../issue.js'
import { invalidRequest, requestedScopes, type TokenParams } from '../request.js'
import type { Throttle } from '../throttle.js'
import type { Grant } from './grant.js'

/** A well-formed password-grant request. */
export interface PasswordRequest {
  username: string
  password: string
  /** Requested scopes; `null` when no (or an empty) `scope` parameter was sent. */
  scope: string[] | null
}

export interface PasswordLimits {
  usernameMaxLength: number
  passwordMaxLength: number
}

export interface PasswordGrantDeps {
  limits: PasswordLimits
  login: LoginDeps
  throttle: Throttle | undefined
  knownScopes: ReadonlySet<string>
  issue: IssueToken
}

// Control characters (C0, DEL, C1), line and paragraph separators, and code points that render as
// nothing (U+00AD, U+200B, ...): a user store whose collation ignores them would reach the same
// account through a name with its own lockout counter, so such names are refused.
const INVISIBLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Cs}]/u

/**
 * Checks the password grant's parameters (RFC 6749 §4.3.2).
 *
 * @example parsePasswordRequest({ grant_type: 'password', username: 'alice', password: 'secret' }, limits)
 */
export function parsePasswordRequest (params: TokenParams, limits: PasswordLimits): PasswordRequest {
  const { username, password } = params
  if (username === undefined || username === '') throw invalidRequest('The username parameter is required')
  if (username.length > limits.usernameMaxLength) {
    throw invalidRequest(`The username parameter is longer than ${limits.usernameMaxLength} characters`)
  }
  if (INVISIBLE.test(username)) throw invalidRequest('The username parameter contains control or invisible characters')
  if (password === undefined || password === '') throw invalidRequest('The password parameter is required')
  if (password.length > limits.passwordMaxLength) {
    throw invalidRequest(`The password parameter is longer than ${limits.passwordMaxLength} characters`)
  }
  return { username, password, scope: requestedScopes(params) }
}

export function createPasswordGrant (deps: PasswordGrantDeps): Grant<PasswordRequest> {
  const { login, throttle } = deps
  return {
    type: 'password',
    params: ['username', 'password'],
    parse: (params) => parsePasswordRequest(params, deps.limits),
    async handle (request: FastifyRequest, { username, password, scope }: PasswordRequest) {
      await throttle?.checkUsername(request, username)
      const result = await checkCredentials(login, username, password)
      if (!result.ok) {
        throw new OAuthError('invalid_grant', 'The username or password is incorrect', {}, { reason: result.reason })
      }
      const { user } = result
      const grant = grantScopes(scope, user.scopes ?? [], deps.knownScopes)
      if (!grant.ok) {
        throw new OAuthError('invalid_scope', grant.reason === 'unknown'
          ? 'The scope parameter names a scope this server does not know'
          : 'The user holds none of the requested scopes', {}, { userId: user.id })
      }
      await rehashIfNeeded(login, result, password, request.log)
      const response = await deps.issue(request, user, grant.scopes)
      await throttle?.succeeded(request)
      return response
    }
  }
}
