/**
 * The resource-side hooks: `authenticate`, `authenticateOptional` and `requireScopes(...)`, each a
 * pipeline of four steps: read the token, check it, load the user, check the scopes. A step that
 * may answer later (an async `loadUser`) goes through one continuation, `continueWith`, so a store
 * that answers synchronously finishes in the same tick; a token check that waits for the issuer's
 * keys (a verify-only service meeting a new kid) resumes at step 3 when they arrive. Each hook works as `onRequest` or
 * `preHandler`; failures are answered with RFC 6750 §3 challenges (see answers.ts).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { InvalidOptionError, RETRY_AFTER, UnknownScopeError, UserStoreTimeoutError } from '../errors.js'
import type { HookSecurity } from '../openapi/route-security.js'
import type { Deadlines } from '../stores/deadlines.js'
import { awaitStore, isLoadedUser, isThenable, snapshot, storeError } from '../stores/user-store.js'
import type { AccessTokenClaims, AuthenticateHook, LoadedUser, LoadUser, PasswordBearerUser } from '../types.js'
import { answers, send, type Answer } from './answers.js'
import { authorizationCount, parseAuthorization } from './bearer-token.js'
import { KEYS_UNAVAILABLE, type TokenRead, type TokenReader } from './verified-tokens.js'

export interface HookDeps {
  realm: string
  /** The RFC 9728 metadata URL, named in every challenge (`resource_metadata`). */
  resourceMetadata?: string | undefined
  knownScopes: ReadonlySet<string>
  loadUser: LoadUser | undefined
  /** Claims of a valid token, or undefined. */
  readToken: TokenReader
  /** The time limit of an async `loadUser`. */
  deadlines: Deadlines
}

export interface Authenticators {
  authenticate: AuthenticateHook
  authenticateOptional: AuthenticateHook
  requireScopes: (...scopes: string[]) => AuthenticateHook
  /** Which hook protects how: read by the OpenAPI route marker. */
  registry: WeakMap<object, HookSecurity>
}

/** What one hook demands. */
interface Guard {
  optional: boolean
  required: readonly string[]
  /** The 403 of a token without a required scope. */
  insufficient: Answer | undefined
}

/** One request passing through a hook. */
interface Pass {
  request: FastifyRequest
  reply: FastifyReply
  done: HookHandlerDoneFunction
  guard: Guard
  claims: AccessTokenClaims
}

function hasQueryToken (request: FastifyRequest): boolean {
  // Cheap exits first; the parsed query decides (it decodes `access%5Ftoken` too), and a bracketed
  // name (`access_token[]`, which some parsers turn into an array) counts as well.
  const url = request.url
  if (!url.includes('access_token') && !url.includes('%')) return false
  const query = request.query as Record<string, unknown> | null | undefined
  if (query === null || typeof query !== 'object') return false
  for (const name of Object.keys(query)) if (name.startsWith('access_token')) return true
  return false
}

function scopesOf (claims: AccessTokenClaims): string[] {
  return claims.scope === undefined || claims.scope === '' ? [] : claims.scope.split(' ')
}

function userFromClaims (claims: AccessTokenClaims): PasswordBearerUser {
  return {
    id: claims.sub,
    username: typeof claims.preferred_username === 'string' ? claims.preferred_username : '',
    scopes: scopesOf(claims)
  } as PasswordBearerUser
}

/** `request.currentUser` from a loaded user: every field but `passwordHash`, scopes narrowed. */
function userFromLoaded (user: LoadedUser, tokenScopes: string[]): PasswordBearerUser {
  const current: Record<string, unknown> = {}
  for (const key of Object.keys(user)) {
    // An own `__proto__` key (a record parsed from JSON) would set the prototype: skipped.
    if (key !== 'passwordHash' && key !== '__proto__') current[key] = (user as Record<string, unknown>)[key]
  }
  const held = user.scopes
  current.scopes = held === undefined ? tokenScopes : tokenScopes.filter((s) => held.includes(s))
  return current as unknown as PasswordBearerUser
}

/** Builds the hooks. */
export function createAuthenticators (deps: HookDeps): Authenticators {
  const { loadUser, readToken, deadlines } = deps
  const ANSWER = answers(deps.realm, deps.resourceMetadata)
  const registry = new WeakMap<object, HookSecurity>()

  /** Step 1: the token of the Authorization header, or undefined once the request is answered. */
  function tokenOf (pass: Pass): string | undefined {
    const { request, reply } = pass
    if (hasQueryToken(request)) {
      send(reply, ANSWER.tokenInQuery)
      return undefined
    }
    const credentials = parseAuthorization(request.headers.authorization)
    if (authorizationCount(request.raw.rawHeaders) > 1) {
      // RFC 6750 §3.1: more than one credential is invalid_request, whichever one a reader keeps.
      send(reply, ANSWER.multipleCredentials)
      return undefined
    }
    if (credentials.kind === 'none') {
      if (pass.guard.optional) pass.done()
      else send(reply, ANSWER.noToken)
      return undefined
    }
    if (credentials.kind === 'malformed') {
      send(reply, ANSWER.invalidRequest)
      return undefined
    }
    return credentials.token
  }

  /** Step 2: the token's claims, or undefined once the request is answered. */
  function claimsOf (pass: Pass, read: TokenRead): AccessTokenClaims | undefined {
    if (read === KEYS_UNAVAILABLE) {
      pass.request.log.error({ event: 'authenticate', outcome: 'error', code: 'FST_PWB_KEYS_UNAVAILABLE' }, 'no issuer key to check the access token with')
      pass.reply.header('retry-after', RETRY_AFTER.storeDown)
      send(pass.reply, ANSWER.unavailable)
      return undefined
    }
    if (read === undefined) {
      pass.request.log.debug({ event: 'authenticate', outcome: 'invalid_token' }, 'access token refused')
      send(pass.reply, ANSWER.invalidToken)
    }
    return read
  }

  /** Step 3, after `loadUser`: the user it returned becomes `request.currentUser`. */
  function userLoaded (pass: Pass, loaded: unknown): void {
    let user: unknown
    try {
      user = snapshot(loaded) // the store's getters run here, once
    } catch (err) {
      failed(pass, err as Error & { code?: string })
      return
    }
    if (user === null || user === undefined || (isLoadedUser(user) && (user as LoadedUser).disabled === true)) {
      pass.request.log.info({ event: 'authenticate', outcome: 'invalid_token', reason: 'user_gone' }, 'token of a missing or disabled user refused')
      send(pass.reply, ANSWER.invalidToken)
      return
    }
    if (!isLoadedUser(user)) {
      pass.request.log.error({ event: 'authenticate', outcome: 'error' }, 'loadUser returned a value without id and username')
      send(pass.reply, ANSWER.serverError)
      return
    }
    authenticated(pass, userFromLoaded(user as LoadedUser, scopesOf(pass.claims)))
  }

  function authenticated (pass: Pass, user: PasswordBearerUser): void {
    pass.request.accessToken = pass.claims
    pass.request.currentUser = user
    scopesChecked(pass, user)
  }

  /** Step 4: every required scope is held, or 403. */
  function scopesChecked (pass: Pass, user: PasswordBearerUser): void {
    for (const scope of pass.guard.required) {
      if (!user.scopes.includes(scope)) {
        pass.request.log.debug({ event: 'authenticate', outcome: 'insufficient_scope' }, 'missing scope')
        send(pass.reply, pass.guard.insufficient as Answer)
        return
      }
    }
    pass.done()
  }

  function failed (pass: Pass, err: Error & { code?: string }): void {
    pass.request.log.error({ event: 'authenticate', outcome: 'error', code: err.code, err }, 'loadUser failed')
    if (err instanceof UserStoreTimeoutError) {
      pass.reply.header('retry-after', RETRY_AFTER.storeDown)
      send(pass.reply, ANSWER.unavailable)
    } else {
      send(pass.reply, ANSWER.serverError)
    }
  }

  /** Runs `next` now for a plain value, or once a promise settles within the store's time limit. */
  function continueWith (pass: Pass, value: unknown, next: (pass: Pass, value: unknown) => void): void {
    let pending: boolean
    try {
      pending = isThenable(value) // reads `then`: a throwing getter lands below
    } catch (cause) {
      failed(pass, storeError(cause))
      return
    }
    if (!pending) next(pass, value)
    else awaitStore(value as PromiseLike<unknown>, deadlines, (v) => { next(pass, v) }, (err) => { failed(pass, err) })
  }

  function run (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, guard: Guard): void {
    const pass = { request, reply, done, guard, claims: undefined as unknown as AccessTokenClaims }
    // Already authenticated by an earlier hook of this plugin on the same request.
    if (request.accessToken !== null && request.currentUser !== null) {
      scopesChecked(pass, request.currentUser)
      return
    }
    const token = tokenOf(pass)
    if (token === undefined) return
    const read = readToken(token)
    // The promise of a key fetch never rejects (verified-tokens.ts).
    if (read instanceof Promise) read.then((value) => { checked(pass, value) }, undefined)
    else checked(pass, read)
  }

  /** Steps 2 to 4, once the token was read. */
  function checked (pass: Pass, read: TokenRead): void {
    const claims = claimsOf(pass, read)
    if (claims === undefined) return
    const { request } = pass
    pass.claims = claims
    if (loadUser === undefined) {
      authenticated(pass, userFromClaims(claims))
      return
    }
    let loaded: unknown
    try {
      loaded = loadUser(claims, request)
    } catch (cause) {
      failed(pass, storeError(cause))
      return
    }
    continueWith(pass, loaded, userLoaded)
  }

  function hook (guard: Guard): AuthenticateHook {
    const fn: AuthenticateHook = (request, reply, done) => { run(request, reply, done, guard) }
    registry.set(fn, { scopes: guard.required, optional: guard.optional })
    return fn
  }

  const none: readonly string[] = Object.freeze([])

  function requireScopes (...scopes: string[]): AuthenticateHook {
    if (scopes.length === 0) throw new InvalidOptionError('requireScopes', 'name at least one scope, e.g. requireScopes(\'items:read\')')
    for (const scope of scopes) {
      if (typeof scope !== 'string' || !deps.knownScopes.has(scope)) {
        throw new UnknownScopeError(String(scope), [...deps.knownScopes].join(', ') || 'none')
      }
    }
    const required = Object.freeze([...new Set(scopes)])
    return hook({ optional: false, required, insufficient: ANSWER.insufficientScope(required.join(' ')) })
  }

  return {
    authenticate: hook({ optional: false, required: none, insufficient: undefined }),
    authenticateOptional: hook({ optional: true, required: none, insufficient: undefined }),
    requireScopes,
    registry
  }
}
