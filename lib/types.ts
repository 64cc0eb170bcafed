import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import type { KeySet } from './access-token/key-set.js'
import type { KeyInput } from './access-token/keys.js'
import type { HashOptions } from './endpoint/password-hash.js'
import type { RateLimitOptions } from './endpoint/throttle-options.js'
import type { RefreshTokenOptions } from './sessions/session-options.js'
import type { TokenStore } from './stores/token-store.js'

/**
 * A user record as the app's store returns it. Apps' records may carry more fields.
 *
 * @example
 * ```ts
 * import { hashPassword, type StoredUser } from 'fastify-password-bearer'
 *
 * const alice: StoredUser = { id: '1', username: 'alice', passwordHash: await hashPassword('secret'), scopes: ['items:read'] }
 * const ssoOnly: StoredUser = { id: '2', username: 'bob', passwordHash: null } // cannot log in with a password
 * ```
 */
export interface StoredUser {
  /** Stable identifier; becomes the token's `sub` claim. */
  id: string
  username: string
  /**
   * An argon2 hash from {@link hashPassword} (or argon2-cffi, pwdlib, ...), a hash one of the
   * `legacyVerifiers` reads, or `null` for a user who cannot log in with a password.
   */
  passwordHash: string | null
  /** A disabled user cannot log in, and (with `loadUser`) their tokens stop working at once. */
  disabled?: boolean
  /** Scopes this user may be granted. */
  scopes?: string[]
}

/**
 * Where the plugin finds users.
 *
 * @example
 * <!-- context:
 * import type { StoredUser } from 'fastify-password-bearer'
 * declare const db: {
 *   userByName (username: string): Promise<StoredUser | null>
 *   setHash (id: string, hash: string, previous: string | null): Promise<void>
 * }
 * -->
 * ```ts
 * import type { UserStore } from 'fastify-password-bearer'
 *
 * const users: UserStore = {
 *   findByUsername: (username) => db.userByName(username),
 *   updatePasswordHash: (user, passwordHash) => db.setHash(user.id, passwordHash, user.passwordHash)
 * }
 * ```
 */
export interface UserStore {
  /** Looks a user up by the exact username submitted to the token route. */
  findByUsername (username: string): Promise<StoredUser | null | undefined> | StoredUser | null | undefined
  /**
   * Optional: stores a fresh argon2id hash when a user logs in with a hash made with other argon2
   * parameters than the current ones, or with a legacy hash (see `legacyVerifiers`). A failure is
   * logged and the login still succeeds.
   */
  updatePasswordHash? (user: StoredUser, passwordHash: string): Promise<void> | void
}

/**
 * Reads password hashes of one format other than argon2 (bcrypt, scrypt, PBKDF2, ...), so that the
 * users of a table filled by another library can log in; pass it in the `legacyVerifiers` option.
 * Each login verifies once per format (the user's hash in its own format, a dummy in each other),
 * so that no format, and no missing user, answers in a time of its own.
 *
 * @example
 * <!-- context:
 * declare function checkDjangoHash (hash: string, password: string): Promise<boolean>
 * declare function makeDjangoHash (password: string): Promise<string>
 * -->
 * ```ts
 * import { randomBytes } from 'node:crypto'
 * import type { PasswordVerifier } from 'fastify-password-bearer'
 *
 * const django: PasswordVerifier = {
 *   name: 'pbkdf2_sha256',
 *   recognizes: (hash) => hash.startsWith('pbkdf2_sha256$'),
 *   verify: (hash, password) => checkDjangoHash(hash, password),
 *   dummyHash: () => makeDjangoHash(randomBytes(16).toString('hex'))
 * }
 * ```
 */
export interface PasswordVerifier {
  /** The format's name, in logs (1 to 32 of `A-Za-z0-9._-`, not `argon2`). */
  readonly name: string
  /** True when `hash` is in this format. Asked only about stored hashes that are not argon2. */
  recognizes (hash: string): boolean
  /**
   * Whether `password` matches `hash`; only `true` is a match. Compare secrets in constant time
   * (`crypto.timingSafeEqual`). A throw or rejection is logged as `FST_PWB_VERIFIER` (500).
   */
  verify (hash: string, password: string): Promise<boolean> | boolean
  /**
   * A hash of a random password in this format, with the cost of the table's hashes: called once at
   * registration, and verified against at every login whose user has no hash of this format.
   */
  dummyHash (): Promise<string> | string
}

/**
 * The authenticated user on `request.currentUser`. Merge your own fields into it once, and they are
 * typed everywhere (fill them in with the `loadUser` option):
 *
 * @example
 * <!-- context:
 * import type { FastifyInstance } from 'fastify'
 * import 'fastify-password-bearer'
 * declare const app: FastifyInstance
 * -->
 * ```ts
 * declare module 'fastify-password-bearer' {
 *   interface PasswordBearerUser { email: string }
 * }
 *
 * app.get('/me', { onRequest: app.authenticate }, async (request) => request.currentUser?.email)
 * ```
 */
export interface PasswordBearerUser {
  id: string
  username: string
  /** The scopes granted to the current access token (and still held by the user). */
  scopes: string[]
}

/**
 * The claims of a verified access token (RFC 9068 §2.2). Verification requires `iss`, `sub`, `aud`,
 * `exp`, `iat` and `jti`; the others are in every token this plugin issues, but a token from
 * another issuer sharing the key may lack them, so they are typed as optional.
 *
 * @example
 * <!-- context:
 * import type { FastifyInstance } from 'fastify'
 * import 'fastify-password-bearer'
 * declare const app: FastifyInstance
 * -->
 * ```ts
 * import type { AccessTokenClaims } from 'fastify-password-bearer'
 *
 * app.get('/token-info', { onRequest: app.authenticate }, async (request) => {
 *   const claims: Readonly<AccessTokenClaims> = request.accessToken!
 *   return { subject: claims.sub, expires: new Date(claims.exp * 1000), scope: claims.scope }
 * })
 * ```
 */
export interface AccessTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  iat: number
  exp: number
  jti: string
  nbf?: number
  client_id?: string
  /** Space-separated granted scopes. */
  scope?: string
  preferred_username?: string
  [claim: string]: unknown
}

/**
 * A user as `loadUser` returns it: a stored user (its `passwordHash` is never exposed).
 *
 * @example
 * <!-- context:
 * declare const db: { userById (id: string): { id: string, name: string, active: boolean, roles: string[] } | undefined }
 * -->
 * ```ts
 * import type { LoadedUser } from 'fastify-password-bearer'
 *
 * function toLoadedUser (id: string): LoadedUser | null {
 *   const row = db.userById(id)
 *   return row === undefined ? null : { id: row.id, username: row.name, disabled: !row.active, scopes: row.roles }
 * }
 * ```
 */
export type LoadedUser = Omit<PasswordBearerUser, 'scopes'> & {
  scopes?: string[]
  disabled?: boolean
  passwordHash?: string | null
}

/**
 * Re-loads the user of a verified token on each request: return `null`/`undefined` (or a disabled
 * user) to refuse the token with 401 `invalid_token`.
 *
 * @example
 * <!-- context:
 * import type { LoadedUser, UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * declare const db: { userById (id: string): Promise<LoadedUser | null> }
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type LoadUser } from 'fastify-password-bearer'
 *
 * const loadUser: LoadUser = (claims) => db.userById(claims.sub) // null, or disabled: 401 invalid_token
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, loadUser })
 * ```
 */
export type LoadUser = (
  claims: AccessTokenClaims,
  request: FastifyRequest
) => Promise<LoadedUser | null | undefined> | LoadedUser | null | undefined

/**
 * `authenticate`, `authenticateOptional` and what `requireScopes(...)` returns: a hook that answers
 * a refusal itself (RFC 6750 status, `WWW-Authenticate`, JSON body), used in two ways.
 *
 * @example
 * <!-- context:
 * import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * declare const handler: RouteHandlerMethod
 * declare function verifyApiKey (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void
 * -->
 * ```ts
 * import fastifyAuth from '@fastify/auth'
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer from 'fastify-password-bearer'
 *
 * const app = Fastify()
 * await app.register(fastifyAuth)
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users })
 *
 * app.get('/me', { preHandler: app.authenticate }, handler)    // a route hook (onRequest or preHandler)
 * app.addHook('preHandler', async (request, reply) => {         // awaited in the app's own code
 *   if (!(await app.authenticate(request, reply))) return reply  // refused: already answered
 * })
 * app.get('/report', { preHandler: app.auth([app.authenticate.passError, verifyApiKey]) }, handler) // @fastify/auth
 * ```
 */
export interface AuthenticateHook {
  /**
   * Awaited: `true` when the request may go on (authenticated, or a guest of `authenticateOptional`);
   * `false` once a refusal has been answered (return `reply` then; `reply.sent` may still be `false`
   * while asynchronous onSend hooks run).
   */
  (request: FastifyRequest, reply: FastifyReply): Promise<boolean>
  // Last: Fastify's `decorate()` types a value by the last signature of the member of that name.
  /** As an `onRequest` or `preHandler` hook: answers a refusal, or calls `done()`. Synchronous when it can be. */
  (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  /**
   * The same check, but a refusal is passed on as a `BearerTokenError` instead of answered:
   * for @fastify/auth (`app.auth([app.authenticate.passError, ...])`), or thrown where it is awaited.
   */
  readonly passError: PassErrorHook
}

/**
 * The `passError` form of a hook: a refusal goes to `done(err)` (or rejects, when awaited) as a
 * `BearerTokenError`; nothing is sent. Unless the app has its own error handler, the plugin
 * answers that error exactly as the hook would have.
 *
 * @example
 * <!-- context:
 * import type { FastifyReply, FastifyRequest } from 'fastify'
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * declare function verifyApiKey (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void
 * -->
 * ```ts
 * import fastifyAuth from '@fastify/auth'
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type PassErrorHook } from 'fastify-password-bearer'
 *
 * const app = Fastify()
 * await app.register(fastifyAuth)
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users })
 * const bearer: PassErrorHook = app.authenticate.passError
 * app.get('/reports', { preHandler: app.auth([verifyApiKey, bearer]) }, async () => 'a token or a key')
 * ```
 */
export interface PassErrorHook {
  /** Awaited: resolves when the request may go on; rejects with the refusal. */
  (request: FastifyRequest, reply: FastifyReply): Promise<void>
  /** With a callback (@fastify/auth, a route hook): `done()`, or `done(err)` with the refusal. */
  (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void
}

/**
 * `requireScopes(...)`: a hook requiring a valid token that carries every named scope.
 *
 * @example
 * <!-- context:
 * import type { FastifyInstance } from 'fastify'
 * import 'fastify-password-bearer'
 * declare const app: FastifyInstance
 * -->
 * ```ts
 * import type { RequireScopes } from 'fastify-password-bearer'
 *
 * const requireScopes: RequireScopes = app.requireScopes
 * app.post('/items', { onRequest: requireScopes('items:write') }, async () => ({ created: true }))
 * ```
 */
export type RequireScopes = (...scopes: string[]) => AuthenticateHook

/**
 * The plugin's instance decorators, under their default names.
 *
 * @example
 * <!-- context:
 * import type { FastifyInstance } from 'fastify'
 * import 'fastify-password-bearer'
 * declare const app: FastifyInstance
 * -->
 * ```ts
 * import type { PasswordBearerInstanceDecorators } from 'fastify-password-bearer'
 *
 * // The hooks under their default names, e.g. to hand them to a function of your own:
 * function protect (hooks: Pick<PasswordBearerInstanceDecorators, 'authenticate' | 'requireScopes'>) {
 *   return { onRequest: hooks.requireScopes('admin') }
 * }
 * app.get('/admin', protect(app), async () => 'ok')
 * ```
 */
export interface PasswordBearerInstanceDecorators {
  /** Requires a valid Bearer access token (401/400 otherwise). Use as `onRequest` or `preHandler`, or await it. */
  authenticate: AuthenticateHook
  /** Like `authenticate`, but a request without an Authorization header passes as a guest. */
  authenticateOptional: AuthenticateHook
  /** Requires a valid token that carries every named scope (403 `insufficient_scope` otherwise). */
  requireScopes: RequireScopes
  /**
   * Ends every session of a user: their refresh tokens die, and every access token issued to them
   * until now is refused. Decorated only with `refreshTokens` or `revocation` on.
   */
  revokeUserSessions: (userId: string) => Promise<void>
}

/**
 * The plugin's request decorators, under their default names.
 *
 * @example
 * ```ts
 * import type { FastifyRequest } from 'fastify'
 * import type { PasswordBearerRequestDecorators } from 'fastify-password-bearer'
 *
 * function who (request: FastifyRequest): PasswordBearerRequestDecorators['currentUser'] {
 *   return request.currentUser // PasswordBearerUser | null
 * }
 * ```
 */
export interface PasswordBearerRequestDecorators {
  /** The authenticated user, or `null` (no hook ran, or a guest under `authenticateOptional`). */
  currentUser: PasswordBearerUser | null
  /** The verified access token's claims, or `null`. */
  accessToken: Readonly<AccessTokenClaims> | null
}

/**
 * The names the `decorators` option can change.
 *
 * @example
 * ```ts
 * import type { DecoratorKey } from 'fastify-password-bearer'
 *
 * const renamed: DecoratorKey[] = ['authenticate', 'currentUser'] // the names the decorators option can change
 * ```
 */
export type DecoratorKey = keyof PasswordBearerInstanceDecorators | keyof PasswordBearerRequestDecorators

/**
 * The names an app chose with the `decorators` option, for the types: merge the same names here
 * once, and Fastify's types (and the option) follow them. Left empty, the default names are typed.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer from 'fastify-password-bearer'
 *
 * declare module 'fastify-password-bearer' {
 *   interface PasswordBearerNames { authenticate: 'bearerAuth', currentUser: 'bearerUser' }
 * }
 *
 * // Then app.bearerAuth and request.bearerUser are typed, and the option must say the same names:
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, decorators: { authenticate: 'bearerAuth', currentUser: 'bearerUser' } })
 * app.get('/me', { onRequest: app.bearerAuth }, async (request) => request.bearerUser)
 * ```
 */
export interface PasswordBearerNames {}

/** One decorator, under the name merged into {@link PasswordBearerNames} or its default one. */
type Named<D, K extends keyof D & DecoratorKey> = K extends keyof PasswordBearerNames
  ? { [N in PasswordBearerNames[K] & string]: D[K] }
  : Pick<D, K>

/**
 * The instance decorators under the names of {@link PasswordBearerNames}: merged into `FastifyInstance`.
 *
 * @example
 * <!-- context:
 * import type { FastifyInstance } from 'fastify'
 * import 'fastify-password-bearer'
 * declare const app: FastifyInstance
 * -->
 * ```ts
 * import type { PasswordBearerInstance } from 'fastify-password-bearer'
 *
 * // The decorators under the names of PasswordBearerNames (here the defaults), as merged into FastifyInstance:
 * const hooks: PasswordBearerInstance = app
 * app.get('/me', { onRequest: hooks.authenticate }, async (request) => request.currentUser)
 * ```
 */
export type PasswordBearerInstance =
  Named<PasswordBearerInstanceDecorators, 'authenticate'> &
  Named<PasswordBearerInstanceDecorators, 'authenticateOptional'> &
  Named<PasswordBearerInstanceDecorators, 'requireScopes'> &
  Named<PasswordBearerInstanceDecorators, 'revokeUserSessions'>

/**
 * The request decorators under the names of {@link PasswordBearerNames}: merged into `FastifyRequest`.
 *
 * @example
 * ```ts
 * import type { FastifyRequest } from 'fastify'
 * import type { PasswordBearerRequest } from 'fastify-password-bearer'
 *
 * function claimsOf (request: FastifyRequest) {
 *   const decorated: PasswordBearerRequest = request
 *   return decorated.accessToken // Readonly<AccessTokenClaims> | null
 * }
 * ```
 */
export type PasswordBearerRequest =
  Named<PasswordBearerRequestDecorators, 'currentUser'> &
  Named<PasswordBearerRequestDecorators, 'accessToken'>

/**
 * The `decorators` option: another name for any of the plugin's decorators. A name merged into
 * {@link PasswordBearerNames} must be given here too, the same.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type DecoratorNames } from 'fastify-password-bearer'
 *
 * const decorators: DecoratorNames = { authenticate: 'bearerAuth' } // next to @fastify/jwt's authenticate
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, decorators })
 * ```
 */
export type DecoratorNames = {
  [K in DecoratorKey]?: K extends keyof PasswordBearerNames ? PasswordBearerNames[K] : string
}

/**
 * Where a verify-only service fetches the issuer's public keys: its JWKS URL, or its RFC 8414
 * metadata URL (read for `jwks_uri`; by default `<issuer>/.well-known/oauth-authorization-server`).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type RemoteKeysOptions } from 'fastify-password-bearer'
 *
 * // A service that only verifies the issuer's tokens: no users, no secret, no token route.
 * const remoteKeys: RemoteKeysOptions = { jwksUri: 'https://auth.example.com/.well-known/jwks.json', refreshInterval: 600_000 }
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { issuer: 'https://auth.example.com', resource: 'https://reports.example.com', remoteKeys })
 * ```
 */
export interface RemoteKeysOptions {
  /** The issuer's JWKS URL, e.g. `https://auth.example.com/.well-known/jwks.json`. */
  jwksUri?: string
  /** The issuer's RFC 8414 metadata URL; its `issuer` must equal the `issuer` option. */
  metadataUrl?: string
  /** Milliseconds a fetch may take. @default 5000 */
  timeout?: number
  /**
   * Milliseconds between two fetches started by tokens with an unknown kid (or after a failed
   * fetch); tokens with an unknown kid during it are refused without a fetch. @default 30000
   */
  cooldown?: number
  /** Milliseconds between scheduled refreshes of the keys. @default 300000 */
  refreshInterval?: number
}

/**
 * Options of the plugin. An issuer gives `users` and `secret` (HS256) or `keys`; a service that only
 * verifies the issuer's tokens gives `remoteKeys` (or public `keys`), `issuer` and `resource`, and no
 * `users`.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type FastifyPasswordBearerOptions } from 'fastify-password-bearer'
 *
 * const options: FastifyPasswordBearerOptions = {
 *   secret: process.env.JWT_SECRET!,
 *   users,
 *   issuer: 'https://api.example.com',
 *   audience: 'https://api.example.com/items',
 *   scopes: { 'items:read': 'Read items' }
 * }
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, options)
 * ```
 */
export interface FastifyPasswordBearerOptions {
  /**
   * HS256 signing key: a string or Buffer of at least 32 bytes. With `keys`, it signs nothing and
   * only keys the plugin's derived keys (the throttle's username hashes).
   */
  secret?: string | Buffer
  /** The user store; leave it out in a verify-only service. */
  users?: UserStore
  /**
   * Signing and verification keys (EdDSA, ES256, RS256 or HS256): a {@link KeySet} the app can
   * rotate at run time, or a list (the first key signs). With asymmetric keys the JWKS is served
   * at `/.well-known/jwks.json`.
   */
  keys?: KeySet | KeyInput[]
  /** Verify-only: fetch the issuer's public keys over HTTP (no `users`, `secret` or `keys`). */
  remoteKeys?: RemoteKeysOptions
  /**
   * This API's URL, its RFC 9728 resource identifier: the plugin then serves
   * `/.well-known/oauth-protected-resource` and names it in its challenges (`resource_metadata`).
   * Required in a verify-only service.
   */
  resource?: string
  /**
   * Path of the token route, relative to the route prefix the plugin is registered under (the
   * OpenAPI `tokenUrl` is the full path, prefix included). In a verify-only service: the issuer's
   * token endpoint, an absolute URL. @default '/token' (verify-only: `<issuer>/token`)
   */
  tokenUrl?: string
  /** Access token lifetime in seconds. @default 900 */
  accessTokenTtl?: number
  /**
   * The `iss` claim, required on verification. An http(s) URL (the app's public base URL) turns on
   * the RFC 8414 metadata route. @default 'fastify-password-bearer'
   */
  issuer?: string
  /** The `aud` claim, required on verification. @default 'fastify-password-bearer' */
  audience?: string
  /** The `client_id` claim (RFC 9068) of tokens issued by the password grant. @default 'fastify-password-bearer' */
  clientId?: string
  /** Leeway in seconds for `exp`/`nbf`, 0 to 60. @default 5 */
  clockTolerance?: number
  /** The known scopes with their descriptions. @default {} */
  scopes?: Record<string, string>
  /** Re-load the user on each authenticated request (see {@link LoadUser}). */
  loadUser?: LoadUser
  /** The `realm` of WWW-Authenticate challenges. @default 'api' */
  realm?: string
  /** Longest password accepted, in characters; longer ones are refused before hashing. @default 1024 */
  passwordMaxLength?: number
  /** Longest username accepted, in characters. @default 256 */
  usernameMaxLength?: number
  /** argon2id parameters for new hashes and re-hashing. @default OWASP baseline (19 MiB, t=2, p=1) */
  hash?: HashOptions
  /**
   * Verifiers of hashes that are not argon2 (at most 8), for a users table brought from another
   * library: `[bcryptVerifier()]`, or your own {@link PasswordVerifier}. A user who logs in with
   * one gets an argon2id hash through `users.updatePasswordHash`. @default []
   */
  legacyVerifiers?: PasswordVerifier[]
  /**
   * Password verifications running at once.
   * @default min(CPU cores - 1, UV_THREADPOOL_SIZE - 1), at least 1 (1 on a 2-core machine)
   */
  maxConcurrentHashes?: number
  /** Logins allowed to wait for a verification slot; more get 503. @default 32 */
  maxQueuedHashes?: number
  /** Milliseconds `findByUsername`/`loadUser` may take before the request gets 503. @default 5000 */
  userLookupTimeout?: number
  /** Largest token request body in bytes. @default 4096 */
  tokenBodyLimit?: number
  /** Name of the OpenAPI security scheme; one per registration in a document. @default 'OAuth2PasswordBearer' */
  securitySchemeName?: string
  /** Verified tokens kept in an LRU cache, each from its second verification on (0 disables it). @default 1000 */
  verifyCacheSize?: number
  /**
   * Brute-force throttling of the token route (per client address and per submitted username, with
   * growing lockouts; 429 `slow_down`), or `false` to turn it off. See docs/security.md.
   * @default { username: { max: 10, timeWindow: 900_000 }, address: { max: 100, timeWindow: 300_000 }, maxLockout: 3_600_000 }
   */
  rateLimit?: RateLimitOptions | false
  /**
   * Refresh tokens (RFC 6749 §6) with rotation and reuse detection: `true` for the default
   * lifetimes, or `{ absoluteTtl, idleTtl }` in seconds. Turns revocation on too. See docs/sessions.md.
   * @default false
   */
  refreshTokens?: boolean | RefreshTokenOptions
  /**
   * The revocation route (RFC 7009), `app.revokeUserSessions(userId)`, and refusing revoked access
   * tokens in `authenticate`. On with `refreshTokens`; `true` turns it on alone.
   * @default false, or true with refreshTokens
   */
  revocation?: boolean
  /** Path of the revocation route, relative to the route prefix like `tokenUrl`. @default '/revoke' */
  revokeUrl?: string
  /** Where refresh-token families and revocations live. @default a new MemoryTokenStore() */
  tokenStore?: TokenStore
  /** Milliseconds a `tokenStore` call may take before the request gets 503. @default 2000 */
  tokenStoreTimeout?: number
  /**
   * Other names for the plugin's decorators, e.g. `{ authenticate: 'bearerAuth', currentUser: 'user' }`
   * when the app (or @fastify/jwt's usual setup) already has an `authenticate`. Type them with
   * {@link PasswordBearerNames}. @default the names of {@link PasswordBearerInstanceDecorators} and {@link PasswordBearerRequestDecorators}
   */
  decorators?: DecoratorNames
}
