/**
 * The resource-side hooks: `authenticate`, `authenticateOptional` and `requireScopes(...)`, each a
 * pipeline of four steps: read the token, check it, load the user, check the scopes. A step that
 * may answer later (an async `loadUser`) goes through one continuation, `continueWith`, so a store
 * that answers synchronously finishes in the same tick; a token check that waits for the issuer's
 * keys (a verify-only service meeting a new kid) resumes at step 3 when they arrive.
 *
 * Each hook ends a request one of four ways, chosen by how it is called: as an `onRequest` or
 * `preHandler` hook (a `done` callback: refusals are answered with RFC 6750 §3 challenges, see
 * answers.ts, success calls `done()`, no promise), awaited (no `done`: refusals are answered, the
 * promise says whether the request may go on), and the same two through the hook's `passError`
 * form, which hands a refusal to `done(err)` or rejects with it instead of answering (@fastify/auth).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { InvalidOptionError, UnknownScopeError, UserStoreTimeoutError } from '../errors.js'
import type { HookSecurity } from '../openapi/route-security.js'
import type { Deadlines } from '../stores/deadlines.js'
import { awaitStore, isLoadedUser, isThenable, snapshot, storeError } from '../stores/user-store.js'
import type { AccessTokenClaims, AuthenticateHook, LoadedUser, LoadUser, PassErrorHook, PasswordBearerUser, RequireScopes } from '../types.js'
import { answers, refusalError, send, type Answer } from './answers.js'
import { authorizationCount, bearerCandidate } from './bearer-token.js'
import { setNoStore } from './no-store.js'
import { KEYS_UNAVAILABLE, NOT_B64TOKEN, type TokenRead, type TokenReader } from './verified-tokens.js'

export interface HookDeps {
  /** The RFC 9728 metadata URL, named in every challenge (`resource_metadata`). */
  resourceMetadata?: string | undefined
  realm: string
  knownScopes: ReadonlySet<string>
  loadUser: LoadUser | undefined
  /** Claims of a valid token, or undefined. */
  readToken: TokenReader
  /** The time limit of an async `loadUser`. */
  deadlines: Deadlines
  /** The request properties the hooks set: the user and the token's claims. */
  userProperty: string
  claimsProperty: string
}

export interface Authenticators {
  authenticate: AuthenticateHook
  authenticateOptional: AuthenticateHook
  requireScopes: RequireScopes
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
  /** Success (no argument); for `passOn`, a refusal too. */
  done: (err?: Error) => void
  refuse: Refuse
  guard: Guard
  claims: AccessTokenClaims
}

/** How a hook ends a request it refuses. */
type Refuse = (pass: Pass, answer: Answer) => void

/** A route hook answers the refusal; Fastify's `done` is not called. */
const answer: Refuse = (pass, a) => { send(pass.reply, a) }
/** What an awaited hook's `done` receives once it has answered a refusal (`hook` resolves `false`). */
const ANSWERED = new Error('answered')
/** Awaited: answers, then lets the caller's promise settle. */
const answerAndSettle: Refuse = (pass, a) => {
  send(pass.reply, a)
  pass.done(ANSWERED)
}

/** `bind` of a hook: the hook itself, unless arguments are bound too. */
function bindToSelf (this: (...args: unknown[]) => unknown, thisArg: unknown, ...args: unknown[]): unknown {
  return args.length === 0 ? this : Function.prototype.bind.call(this, thisArg, ...args)
}

/** The request's properties by name: the default names or the app's own (the `decorators` option). */
type Properties = Record<string, unknown>

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
  const { loadUser, readToken, deadlines, userProperty, claimsProperty } = deps
  const ANSWER = answers(deps.realm, deps.resourceMetadata)
  const registry = new WeakMap<object, HookSecurity>()

  /**
   * `passError`: the refusal goes to `done` as a BearerTokenError; nothing is sent. A user this hook
   * set before refusing (for a missing scope) is taken back: another strategy may still let the
   * request in, and it must not find a user whom this hook refused.
   */
  const passOn: Refuse = (pass, a) => {
    if (pass.claims !== undefined) {
      const properties = pass.request as unknown as Properties
      properties[userProperty] = null
      properties[claimsProperty] = null
    }
    pass.done(refusalError(a))
  }

  /** Step 1: the token of the Authorization header, or undefined once the request is answered. */
  function tokenOf (pass: Pass): string | undefined {
    const { request } = pass
    if (hasQueryToken(request)) {
      pass.refuse(pass, ANSWER.tokenInQuery)
      return undefined
    }
    // Its b64token syntax is checked by readToken, for tokens it has not verified before.
    const credentials = bearerCandidate(request.headers.authorization)
    if (authorizationCount(request.raw.rawHeaders) > 1) {
      // RFC 6750 §3.1: more than one credential is invalid_request, whichever one a reader keeps.
      pass.refuse(pass, ANSWER.multipleCredentials)
      return undefined
    }
    if (credentials.kind === 'none') {
      if (pass.guard.optional) pass.done()
      else pass.refuse(pass, ANSWER.noToken)
      return undefined
    }
    if (credentials.kind === 'malformed') {
      pass.refuse(pass, ANSWER.invalidRequest)
      return undefined
    }
    return credentials.token
  }

  /** Step 2: the token's claims, or undefined once the request is answered. */
  function claimsOf (pass: Pass, read: TokenRead): AccessTokenClaims | undefined {
    if (read === NOT_B64TOKEN) {
      pass.refuse(pass, ANSWER.invalidRequest)
      return undefined
    }
    if (read === KEYS_UNAVAILABLE) {
      pass.request.log.error({ event: 'authenticate', outcome: 'error', code: 'FST_PWB_KEYS_UNAVAILABLE' }, 'no issuer key to check the access token with')
      pass.refuse(pass, ANSWER.unavailable)
      return undefined
    }
    if (read === undefined) {
      pass.request.log.debug({ event: 'authenticate', outcome: 'invalid_token' }, 'access token refused')
      pass.refuse(pass, ANSWER.invalidToken)
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
      pass.refuse(pass, ANSWER.invalidToken)
      return
    }
    if (!isLoadedUser(user)) {
      pass.request.log.error({ event: 'authenticate', outcome: 'error' }, 'loadUser returned a value without id and username')
      pass.refuse(pass, ANSWER.serverError)
      return
    }
    authenticated(pass, userFromLoaded(user as LoadedUser, scopesOf(pass.claims)))
  }

  function authenticated (pass: Pass, user: PasswordBearerUser): void {
    const properties = pass.request as unknown as Properties
    properties[claimsProperty] = pass.claims
    properties[userProperty] = user
    scopesChecked(pass, user)
  }

  /** Step 4: every required scope is held, or 403. */
  function scopesChecked (pass: Pass, user: PasswordBearerUser): void {
    for (const scope of pass.guard.required) {
      if (!user.scopes.includes(scope)) {
        pass.request.log.debug({ event: 'authenticate', outcome: 'insufficient_scope' }, 'missing scope')
        pass.refuse(pass, pass.guard.insufficient as Answer)
        return
      }
    }
    pass.done()
  }

  function failed (pass: Pass, err: Error & { code?: string }): void {
    pass.request.log.error({ event: 'authenticate', outcome: 'error', code: err.code, err }, 'loadUser failed')
    pass.refuse(pass, err instanceof UserStoreTimeoutError ? ANSWER.unavailable : ANSWER.serverError)
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

  function run (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void, guard: Guard, refuse: Refuse): void {
    // Set here, on every path and in every form: a hook added to a scope with `addHook`, awaited
    // or run by @fastify/auth is not visible to the plugin's route marker.
    setNoStore(reply)
    const pass: Pass = { request, reply, done, refuse, guard, claims: undefined as unknown as AccessTokenClaims }
    // Already authenticated by an earlier hook of this plugin on the same request. `!= null`: a
    // request of a scope the plugin did not decorate has neither property.
    const properties = request as unknown as Properties
    const current = properties[userProperty]
    if (current != null && properties[claimsProperty] != null) {
      scopesChecked(pass, current as PasswordBearerUser)
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

  /**
   * One hook and its `passError` form. Called with a `done` callback (as a route hook, or by
   * @fastify/auth), a hook allocates no promise; without one (awaited), it returns a promise.
   */
  function hook (guard: Guard): AuthenticateHook {
    const passError = function passError (request: FastifyRequest, reply: FastifyReply, done?: (err?: Error) => void): Promise<void> | undefined {
      if (typeof done === 'function') {
        run(request, reply, done, guard, passOn)
        return undefined
      }
      return new Promise<void>((resolve, reject) => {
        run(request, reply, (err) => { if (err === undefined) resolve(); else reject(err) }, guard, passOn)
      })
    } as PassErrorHook
    const authenticate = function authenticate (request: FastifyRequest, reply: FastifyReply, done?: (err?: Error) => void): Promise<boolean> | undefined {
      if (typeof done === 'function') {
        run(request, reply, done, guard, answer)
        return undefined
      }
      return new Promise<boolean>((resolve) => {
        run(request, reply, (outcome) => { resolve(outcome !== ANSWERED) }, guard, answerAndSettle)
      })
    } as unknown as AuthenticateHook
    Object.defineProperty(authenticate, 'passError', { value: passError, enumerable: true })
    const security = { scopes: guard.required, optional: guard.optional }
    for (const fn of [authenticate, passError]) {
      // The hooks ignore `this`: binding one (as `app.getDecorator()` and @fastify/auth do) gives
      // the hook itself, which the route marker recognises and which keeps its `passError`.
      Object.defineProperty(fn, 'bind', { value: bindToSelf })
      registry.set(fn, security)
    }
    return authenticate
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
