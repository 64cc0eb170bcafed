/**
 * The resource-side hooks: `authenticate`, `authenticateOptional` and `requireScopes(...)`.
 * Callback-style and exception-free on the hot path; each works as `onRequest` or `preHandler`.
 * Failures are answered here with RFC 6750 §3 challenges.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { BEARER_WITHOUT_TOKEN, bearerCandidate, buildChallenge, isB64Token, NOT_BEARER } from './bearer-token.js'
import { InvalidOptionError, RESOURCE_ERRORS, UnknownScopeError, UserStoreTimeoutError, type ResourceErrorCode } from '../errors.js'
import type { HookSecurity } from '../openapi/openapi.js'
import type { ResolvedOptions } from '../options.js'
import { createClaimsReader } from './claims-reader.js'
import type { Deadlines } from '../stores/deadlines.js'
import type { AccessTokenClaims, AuthenticateHook, LoadedUser, PasswordBearerUser } from '../types.js'
import { awaitStore, isLoadedUser, isThenable, snapshot, storeError } from '../stores/user-store.js'

/** What a failed `loadUser` call becomes: a coded error, its cause kept for the logs. */
type StoreFailure = Error & { code?: string }

/** A prepared error answer: status, challenge header and JSON body, built once. */
interface Answer {
  statusCode: number
  challenge: string
  body: string
}

function answer (code: ResourceErrorCode, realm: string, scope?: string): Answer {
  const { statusCode, error, message } = RESOURCE_ERRORS[code]
  return {
    statusCode,
    challenge: buildChallenge({ realm, error, scope }),
    body: JSON.stringify({ statusCode, code, error: error ?? 'unauthorized', message })
  }
}

function send (reply: FastifyReply, a: Answer): void {
  reply.code(a.statusCode)
    .header('www-authenticate', a.challenge)
    .header('content-type', 'application/json; charset=utf-8')
    .send(a.body)
}

export interface Authenticators {
  authenticate: AuthenticateHook
  authenticateOptional: AuthenticateHook
  requireScopes: (...scopes: string[]) => AuthenticateHook
  /** Which hook protects how: read by the OpenAPI route marker. */
  registry: WeakMap<object, HookSecurity>
}

/**
 * Builds the hooks around a token verifier (throws on any invalid token); `deadlines` bounds each
 * `loadUser` call that returns a promise. Pass `hs256Key` only when
 * the verifier accepts HS256 with that key and nothing else: tokens signed otherwise are then
 * refused before the verifier runs, without an exception.
 */
export function createAuthenticators (
  options: ResolvedOptions,
  verify: (token: string) => unknown,
  deadlines: Deadlines,
  hs256Key?: string | Buffer
): Authenticators {
  const { realm, loadUser } = options
  const NO_TOKEN = answer('FST_PWB_NO_TOKEN', realm)
  const INVALID_REQUEST = answer('FST_PWB_INVALID_REQUEST', realm)
  const INVALID_TOKEN = answer('FST_PWB_INVALID_TOKEN', realm)
  const SERVER_ERROR = answer('FST_PWB_SERVER_ERROR', realm)
  const UNAVAILABLE = answer('FST_PWB_UNAVAILABLE', realm)
  const registry = new WeakMap<object, HookSecurity>()

  function hasQueryToken (request: FastifyRequest): boolean {
    // Cheap exits first; the parsed query decides (it decodes `access%5Ftoken` too).
    const url = request.url
    if (!url.includes('access_token') && !url.includes('%')) return false
    const query = request.query as Record<string, unknown> | null | undefined
    return query !== null && typeof query === 'object' && query.access_token !== undefined
  }

  // Cached, exception-free token checks in front of the verifier (see claims-reader.ts).
  const readClaims = createClaimsReader({
    verify,
    cacheSize: options.verifyCacheSize,
    clockTolerance: options.clockTolerance,
    hs256Key
  })

  function check (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    required: readonly string[],
    insufficient: Answer | undefined
  ): void {
    const scopes = (request.currentUser as PasswordBearerUser).scopes
    for (const scope of required) {
      if (!scopes.includes(scope)) {
        request.log.debug({ event: 'authenticate', outcome: 'insufficient_scope' }, 'missing scope')
        send(reply, insufficient as Answer)
        return
      }
    }
    done()
  }

  /** `request.currentUser` from a loaded user: every field but `passwordHash`, scopes narrowed. */
  function fromLoaded (user: LoadedUser, tokenScopes: string[]): PasswordBearerUser {
    const current: Record<string, unknown> = {}
    // `user` is the plugin's own plain copy (snapshot): reading it runs no getter of the store's.
    const keys = Object.keys(user)
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string
      // An own `__proto__` key (a record parsed from JSON) would set the prototype: skipped.
      if (key !== 'passwordHash' && key !== '__proto__') current[key] = (user as Record<string, unknown>)[key]
    }
    const held = user.scopes
    current.scopes = held === undefined ? tokenScopes : tokenScopes.filter((s) => held.includes(s))
    return current as unknown as PasswordBearerUser
  }

  function run (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    optional: boolean,
    required: readonly string[],
    insufficient: Answer | undefined
  ): void {
    // Already authenticated by an earlier hook of this plugin on the same request.
    if (request.accessToken !== null && request.currentUser !== null) {
      check(request, reply, done, required, insufficient)
      return
    }
    const token = bearerCandidate(request.headers.authorization)
    if (token === NOT_BEARER) {
      if (optional && !hasQueryToken(request)) {
        done()
        return
      }
      send(reply, hasQueryToken(request) ? INVALID_REQUEST : NO_TOKEN)
      return
    }
    if (token === BEARER_WITHOUT_TOKEN || hasQueryToken(request)) {
      send(reply, INVALID_REQUEST)
      return
    }
    // A token verified before is a b64token: the syntax check waits until a token is refused.
    const claims = readClaims(token)
    if (claims === undefined) {
      if (!isB64Token(token)) {
        send(reply, INVALID_REQUEST)
        return
      }
      request.log.debug({ event: 'authenticate', outcome: 'invalid_token' }, 'access token refused')
      send(reply, INVALID_TOKEN)
      return
    }
    const tokenScopes = claims.scope === undefined || claims.scope === '' ? [] : claims.scope.split(' ')

    if (loadUser === undefined) {
      request.accessToken = claims
      request.currentUser = {
        id: claims.sub,
        username: typeof claims.preferred_username === 'string' ? claims.preferred_username : '',
        scopes: tokenScopes
      } as PasswordBearerUser
      check(request, reply, done, required, insufficient)
      return
    }

    // A store that answers synchronously (an in-memory map, better-sqlite3) is answered in this
    // tick: no timer and no promise on the hot path. A promise is awaited with the time limit.
    let loaded: ReturnType<typeof loadUser>
    let pending: boolean
    try {
      loaded = loadUser(claims, request)
      pending = isThenable(loaded) // reads `then`: a throwing getter lands below
    } catch (cause) {
      failed(request, reply, storeError(cause))
      return
    }
    if (pending) {
      awaitStore(loaded as PromiseLike<unknown>, deadlines, (user) => {
        loadedUser(request, reply, done, claims, tokenScopes, user, required, insufficient)
      }, (err) => { failed(request, reply, err) })
      return
    }
    loadedUser(request, reply, done, claims, tokenScopes, loaded, required, insufficient)
  }

  function loadedUser (
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    claims: AccessTokenClaims,
    tokenScopes: string[],
    loaded: unknown,
    required: readonly string[],
    insufficient: Answer | undefined
  ): void {
    let user: unknown
    try {
      user = snapshot(loaded) // the store's getters run here, once
    } catch (err) {
      failed(request, reply, err as StoreFailure)
      return
    }
    if (user === null || user === undefined || (isLoadedUser(user) && (user as LoadedUser).disabled === true)) {
      request.log.info({ event: 'authenticate', outcome: 'invalid_token', reason: 'user_gone' }, 'token of a missing or disabled user refused')
      send(reply, INVALID_TOKEN)
      return
    }
    if (!isLoadedUser(user)) {
      request.log.error({ event: 'authenticate', outcome: 'error' }, 'loadUser returned a value without id and username')
      send(reply, SERVER_ERROR)
      return
    }
    request.accessToken = claims
    request.currentUser = fromLoaded(user as LoadedUser, tokenScopes)
    check(request, reply, done, required, insufficient)
  }

  function failed (request: FastifyRequest, reply: FastifyReply, err: StoreFailure): void {
    const timeout = err instanceof UserStoreTimeoutError
    request.log.error({ event: 'authenticate', outcome: 'error', code: err.code, err }, 'loadUser failed')
    if (timeout) reply.header('retry-after', '5')
    send(reply, timeout ? UNAVAILABLE : SERVER_ERROR)
  }

  const none: readonly string[] = Object.freeze([])

  const authenticate: AuthenticateHook = function authenticate (request, reply, done) {
    run(request, reply, done, false, none, undefined)
  }
  const authenticateOptional: AuthenticateHook = function authenticateOptional (request, reply, done) {
    run(request, reply, done, true, none, undefined)
  }
  registry.set(authenticate, { scopes: none, optional: false })
  registry.set(authenticateOptional, { scopes: none, optional: true })

  function requireScopes (...scopes: string[]): AuthenticateHook {
    if (scopes.length === 0) throw new InvalidOptionError('requireScopes', 'name at least one scope, e.g. requireScopes(\'items:read\')')
    for (const scope of scopes) {
      if (typeof scope !== 'string' || !options.knownScopes.has(scope)) {
        throw new UnknownScopeError(String(scope), [...options.knownScopes].join(', ') || 'none')
      }
    }
    const required = Object.freeze([...new Set(scopes)])
    const insufficient = answer('FST_PWB_INSUFFICIENT_SCOPE', realm, required.join(' '))
    const hook: AuthenticateHook = function requireScopes (request, reply, done) {
      run(request, reply, done, false, required, insufficient)
    }
    registry.set(hook, { scopes: required, optional: false })
    return hook
  }

  return { authenticate, authenticateOptional, requireScopes, registry }
}
