/**
 * The refresh token grant (RFC 6749 §6, RFC 9700 §4.14.2): a new access token and a new refresh
 * token for the current one, which dies at once. No password and no argon2 work, but the user
 * store is asked every time (a disabled or deleted user cannot refresh), and presenting a rotated
 * token again ends its whole family: it was stolen, by whoever presents it now or by whoever
 * presented it first.
 *
 * Unknown, malformed, expired, rotated and revoked tokens all get the same `invalid_grant`.
 */
import type { FastifyRequest } from 'fastify'
import { OAuthError, UserStoreError } from '../../errors.js'
import { parseRefreshToken, newRefreshToken } from '../../sessions/refresh-token.js'
import type { Sessions } from '../../sessions/sessions.js'
import type { Deadlines } from '../../stores/deadlines.js'
import type { RefreshFamily, RefreshTokenRef } from '../../stores/token-store.js'
import { callStore, isStoredUser } from '../../stores/user-store.js'
import type { StoredUser, UserStore } from '../../types.js'
import type { IssueToken } from '../issue.js'
import { invalidRequest, requestedScopes, type TokenParams } from '../request.js'
import type { Throttle } from '../throttle.js'
import type { Grant } from './grant.js'

/** A well-formed refresh request. */
export interface RefreshRequest {
  /** Undefined for a token that is not shaped like ours (answered like an unknown one). */
  token: RefreshTokenRef | undefined
  /** Requested scopes; `null` for the scopes of the original grant. */
  scope: string[] | null
}

export interface RefreshGrantDeps {
  sessions: Sessions
  /** Seconds. */
  idleTtl: number
  users: UserStore
  /** The time limit of user-store calls. */
  deadlines: Deadlines
  throttle: Throttle | undefined
  knownScopes: ReadonlySet<string>
  issue: IssueToken
}

const INVALID = 'The refresh token is invalid, expired or revoked: log in again'

/**
 * Checks the refresh grant's parameters (RFC 6749 §6).
 *
 * @example parseRefreshRequest({ grant_type: 'refresh_token', refresh_token: 'x', scope: 'items:read' })
 */
export function parseRefreshRequest (params: TokenParams): RefreshRequest {
  const token = params.refresh_token
  if (token === undefined || token === '') throw invalidRequest('The refresh_token parameter is required')
  return { token: parseRefreshToken(token), scope: requestedScopes(params) }
}

function invalidGrant (audit: Record<string, unknown>): OAuthError {
  return new OAuthError('invalid_grant', INVALID, {}, { grant: 'refresh_token', ...audit })
}

/**
 * The scopes of the new access token: those requested, each of which must have been granted at
 * login and still be held by the user and known; or, with none requested, every originally
 * granted scope still held and known.
 */
function refreshedScopes (requested: string[] | null, family: RefreshFamily, user: StoredUser, known: ReadonlySet<string>): string[] {
  const held = (scope: string): boolean => known.has(scope) && (user.scopes ?? []).includes(scope)
  if (requested === null) return family.scopes.filter(held)
  for (const scope of requested) {
    const reason = !family.scopes.includes(scope) ? 'wider' : held(scope) ? undefined : 'no_longer_held'
    if (reason !== undefined) {
      throw new OAuthError('invalid_scope', reason === 'wider'
        ? 'The scope parameter asks for more than the original login granted'
        : 'The scope parameter names a scope the user no longer holds', {}, { grant: 'refresh_token', userId: family.subject, reason })
    }
  }
  return requested
}

export function createRefreshGrant (deps: RefreshGrantDeps): Grant<RefreshRequest> {
  const { sessions, throttle } = deps
  const idleMs = deps.idleTtl * 1000

  /** The family's user as the store has them now, or undefined when deleted, renamed or disabled. */
  async function currentUser (family: RefreshFamily): Promise<StoredUser | undefined> {
    const found = await callStore(() => deps.users.findByUsername(family.username), deps.deadlines)
    if (found === null || found === undefined) return undefined
    if (!isStoredUser(found)) throw new UserStoreError('findByUsername returned a record without the StoredUser shape')
    return found.id === family.subject && found.disabled !== true ? found : undefined
  }

  /** The answer to a token that is not a live family's current one: reuse ends its family. */
  async function refuse (request: FastifyRequest, token: RefreshTokenRef): Promise<never> {
    const ended = await sessions.call((store) => store.revokeFamily(token, Date.now()))
    if (ended === undefined) throw invalidGrant({ reason: 'unknown_token' })
    reused(request, ended)
  }

  function reused (request: FastifyRequest, family: RefreshFamily): never {
    request.log.warn({ event: 'refresh_token_reuse', userId: family.subject, family: family.id, clientId: family.clientId },
      'a rotated refresh token was presented again: its family is revoked')
    throw invalidGrant({ reason: 'reused_token', userId: family.subject })
  }

  return {
    type: 'refresh_token',
    params: ['refresh_token'],
    parse: parseRefreshRequest,
    async handle (request: FastifyRequest, { token, scope }: RefreshRequest) {
      if (token === undefined) throw invalidGrant({ reason: 'unknown_token' })
      const family = await sessions.call((store) => store.findFamily(token, Date.now()))
      if (family === undefined) return await refuse(request, token)
      const user = await currentUser(family)
      if (user === undefined) {
        await sessions.call((store) => store.revokeFamily(token, Date.now()))
        throw invalidGrant({ reason: 'user_gone', userId: family.subject })
      }
      const scopes = refreshedScopes(scope, family, user, deps.knownScopes)
      const next = newRefreshToken(family.shard, family.id)
      const rotated = await sessions.call((store) => store.rotate(token, next.ref.hash, Date.now(), idleMs))
      if (rotated.status === 'reused') reused(request, rotated.family)
      if (rotated.status === 'unknown') throw invalidGrant({ reason: 'unknown_token' })
      const response = await deps.issue(request, { id: family.subject, username: user.username }, scopes, next.token)
      await throttle?.succeeded(request)
      return response
    }
  }
}
