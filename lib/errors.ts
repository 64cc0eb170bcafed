import createError, { type FastifyErrorConstructor } from '@fastify/error'

/**
 * The class of one thrown error: its arguments, literal `code` and `statusCode`; `instanceof` narrows
 * to it. Written out, not inferred: the inferred type is `createError.FastifyErrorConstructor` in the
 * published .d.ts, and under Bundler resolution that default import is @fastify/error's `default`
 * export, a value without the namespace (six TS2503 errors, or `any` classes with skipLibCheck).
 */
type ErrorClass<Code extends PasswordBearerErrorCode, Status extends number, Args extends unknown[]> =
  FastifyErrorConstructor<{ code: Code, statusCode: Status }, Args>

/**
 * Errors thrown by the plugin (at registration or from the helpers). Each has a stable `code`,
 * prefixed `FST_PWB_`, and a message that says what to do.
 *
 * `FST_PWB_INVALID_OPTION` (500): an option is missing or invalid at registration.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { InvalidOptionError } from 'fastify-password-bearer'
 *
 * if (err instanceof InvalidOptionError) {
 *   err.code       // 'FST_PWB_INVALID_OPTION'
 *   err.statusCode // 500
 *   // the message names the option and what it accepts
 * }
 * ```
 */
export const InvalidOptionError: ErrorClass<'FST_PWB_INVALID_OPTION', 500, [option: string, problem: string]> = createError(
  'FST_PWB_INVALID_OPTION',
  'fastify-password-bearer: invalid option "%s": %s',
  500,
  TypeError
)

/**
 * `FST_PWB_UNKNOWN_SCOPE` (500): `requireScopes(...)` names a scope not declared in `scopes`.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { UnknownScopeError } from 'fastify-password-bearer'
 *
 * if (err instanceof UnknownScopeError) {
 *   err.code       // 'FST_PWB_UNKNOWN_SCOPE'
 *   err.statusCode // 500
 * }
 * ```
 */
export const UnknownScopeError: ErrorClass<'FST_PWB_UNKNOWN_SCOPE', 500, [scope: string, declared: string]> = createError(
  'FST_PWB_UNKNOWN_SCOPE',
  'fastify-password-bearer: requireScopes("%s") names a scope that is not declared in the "scopes" option (declared: %s)',
  500,
  TypeError
)

/**
 * `FST_PWB_INVALID_HASH` (500): `verifyPassword` got a hash that is not argon2.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { InvalidHashError } from 'fastify-password-bearer'
 *
 * if (err instanceof InvalidHashError) {
 *   err.code       // 'FST_PWB_INVALID_HASH'
 *   err.statusCode // 500
 * }
 * ```
 */
export const InvalidHashError: ErrorClass<'FST_PWB_INVALID_HASH', 500, []> = createError(
  'FST_PWB_INVALID_HASH',
  'fastify-password-bearer: the stored password hash is not an argon2 hash; re-create it with hashPassword()',
  500
)

/**
 * `FST_PWB_INVALID_PASSWORD` (500): `hashPassword` got an empty or non-string password.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { InvalidPasswordError } from 'fastify-password-bearer'
 *
 * if (err instanceof InvalidPasswordError) {
 *   err.code       // 'FST_PWB_INVALID_PASSWORD'
 *   err.statusCode // 500
 * }
 * ```
 */
export const InvalidPasswordError: ErrorClass<'FST_PWB_INVALID_PASSWORD', 500, []> = createError(
  'FST_PWB_INVALID_PASSWORD',
  'fastify-password-bearer: hashPassword() needs a non-empty string password',
  500,
  TypeError
)

/**
 * `FST_PWB_UNKNOWN_HASH` (500) (logged): a stored hash that neither argon2 nor a `legacyVerifiers` entry reads.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { UnknownHashError } from 'fastify-password-bearer'
 *
 * if (err instanceof UnknownHashError) {
 *   err.code       // 'FST_PWB_UNKNOWN_HASH'
 *   err.statusCode // 500
 * }
 * ```
 */
export const UnknownHashError: ErrorClass<'FST_PWB_UNKNOWN_HASH', 500, [userId: string, readers: string]> = createError(
  'FST_PWB_UNKNOWN_HASH',
  'fastify-password-bearer: the stored password hash of user "%s" is in a format no verifier reads (tried: %s); pass a verifier for its format in the legacyVerifiers option (bcryptVerifier() reads $2a$, $2b$ and $2y$), or give the user a new hash with hashPassword()',
  500
)

/**
 * `FST_PWB_VERIFIER` (500) (logged, or at registration): a legacy verifier threw; the original error is the `cause`.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { VerifierError } from 'fastify-password-bearer'
 *
 * if (err instanceof VerifierError) {
 *   err.code       // 'FST_PWB_VERIFIER'
 *   err.statusCode // 500
 *   err.cause      // what the verifier threw
 * }
 * ```
 */
export const VerifierError: ErrorClass<'FST_PWB_VERIFIER', 500, [name: string, step: string]> = createError(
  'FST_PWB_VERIFIER',
  'fastify-password-bearer: the password verifier "%s" failed in %s (the original error is the cause); fix the verifier in the legacyVerifiers option or the hash it was given',
  500
)

/**
 * `FST_PWB_MISSING_PEER` (500): an optional peer package a feature needs is not installed (`bcryptVerifier()` without `bcrypt`).
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { MissingPeerError } from 'fastify-password-bearer'
 *
 * if (err instanceof MissingPeerError) {
 *   err.code       // 'FST_PWB_MISSING_PEER'
 *   err.statusCode // 500
 * }
 * ```
 */
export const MissingPeerError: ErrorClass<'FST_PWB_MISSING_PEER', 500, [feature: string, pkg: string]> = createError(
  'FST_PWB_MISSING_PEER',
  'fastify-password-bearer: %s needs the optional package "%s", which cannot be loaded; install it next to the plugin (with npm install, or your package manager) and start again',
  500
)

/**
 * `FST_PWB_USER_STORE` (500) (logged): the user store threw or returned a malformed record.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { UserStoreError } from 'fastify-password-bearer'
 *
 * if (err instanceof UserStoreError) {
 *   err.code       // 'FST_PWB_USER_STORE'
 *   err.statusCode // 500
 * }
 * ```
 */
export const UserStoreError: ErrorClass<'FST_PWB_USER_STORE', 500, [reason: string]> = createError(
  'FST_PWB_USER_STORE',
  'fastify-password-bearer: the user store failed: %s; check users.findByUsername / loadUser',
  500
)

/**
 * `FST_PWB_USER_STORE_TIMEOUT` (503) (logged): the user store did not answer within `userLookupTimeout`.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { UserStoreTimeoutError } from 'fastify-password-bearer'
 *
 * if (err instanceof UserStoreTimeoutError) {
 *   err.code       // 'FST_PWB_USER_STORE_TIMEOUT'
 *   err.statusCode // 503
 * }
 * ```
 */
export const UserStoreTimeoutError: ErrorClass<'FST_PWB_USER_STORE_TIMEOUT', 503, [ms: number]> = createError(
  'FST_PWB_USER_STORE_TIMEOUT',
  'fastify-password-bearer: the user store did not answer within %d ms; check its connection or raise userLookupTimeout',
  503
)

/**
 * `FST_PWB_RATE_LIMIT_TIMEOUT` (503) (logged): the throttle's counter store did not answer within `rateLimit.timeout`.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { RateLimitTimeoutError } from 'fastify-password-bearer'
 *
 * if (err instanceof RateLimitTimeoutError) {
 *   err.code       // 'FST_PWB_RATE_LIMIT_TIMEOUT'
 *   err.statusCode // 503
 * }
 * ```
 */
export const RateLimitTimeoutError: ErrorClass<'FST_PWB_RATE_LIMIT_TIMEOUT', 503, [ms: number]> = createError(
  'FST_PWB_RATE_LIMIT_TIMEOUT',
  'fastify-password-bearer: the rate-limit store did not answer within %d ms; check its (Redis) connection or raise rateLimit.timeout',
  503
)

/**
 * `FST_PWB_REDIS_TIMEOUT` (503): Redis did not answer a `RedisTokenStore` call within its `timeout`.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { RedisTimeoutError } from 'fastify-password-bearer'
 *
 * if (err instanceof RedisTimeoutError) {
 *   err.code       // 'FST_PWB_REDIS_TIMEOUT'
 *   err.statusCode // 503
 * }
 * ```
 */
export const RedisTimeoutError: ErrorClass<'FST_PWB_REDIS_TIMEOUT', 503, [ms: number]> = createError(
  'FST_PWB_REDIS_TIMEOUT',
  'fastify-password-bearer: Redis did not answer the token store within %d ms; check the Redis connection or raise the RedisTokenStore timeout (keep it below tokenStoreTimeout)',
  503
)

/**
 * `FST_PWB_SWAGGER_ORDER` (500) (at startup): @fastify/swagger was registered after the plugin.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { SwaggerOrderError } from 'fastify-password-bearer'
 *
 * if (err instanceof SwaggerOrderError) {
 *   err.code       // 'FST_PWB_SWAGGER_ORDER'
 *   err.statusCode // 500
 * }
 * ```
 */
export const SwaggerOrderError: ErrorClass<'FST_PWB_SWAGGER_ORDER', 500, [schemeName: string]> = createError(
  'FST_PWB_SWAGGER_ORDER',
  'fastify-password-bearer: @fastify/swagger was registered after this plugin, so its OpenAPI document would have no "%s" security scheme, no token route and no security on protected routes; register @fastify/swagger first (before the plugin, or before the @fastify/autoload directory that loads it)',
  500
)

/**
 * `FST_PWB_DUPLICATE_SCHEME` (500): two registrations publish the same `securitySchemeName` in one document.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { DuplicateSecuritySchemeError } from 'fastify-password-bearer'
 *
 * if (err instanceof DuplicateSecuritySchemeError) {
 *   err.code       // 'FST_PWB_DUPLICATE_SCHEME'
 *   err.statusCode // 500
 * }
 * ```
 */
export const DuplicateSecuritySchemeError: ErrorClass<'FST_PWB_DUPLICATE_SCHEME', 500, [schemeName: string]> = createError(
  'FST_PWB_DUPLICATE_SCHEME',
  'fastify-password-bearer: another registration of the plugin already publishes the security scheme "%s" in the same OpenAPI document; give each registration its own securitySchemeName',
  500
)

/**
 * `FST_PWB_TOKEN_STORE` (503): a `tokenStore` call failed (logged; thrown by `revokeUserSessions`).
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { TokenStoreError } from 'fastify-password-bearer'
 *
 * if (err instanceof TokenStoreError) {
 *   err.code       // 'FST_PWB_TOKEN_STORE'
 *   err.statusCode // 503
 * }
 * ```
 */
export const TokenStoreError: ErrorClass<'FST_PWB_TOKEN_STORE', 503, [reason: string]> = createError(
  'FST_PWB_TOKEN_STORE',
  'fastify-password-bearer: the token store failed: %s; check the tokenStore backend and its connection',
  503
)

/**
 * `FST_PWB_TOKEN_STORE_TIMEOUT` (503): a `tokenStore` call did not answer within `tokenStoreTimeout`.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { TokenStoreTimeoutError } from 'fastify-password-bearer'
 *
 * if (err instanceof TokenStoreTimeoutError) {
 *   err.code       // 'FST_PWB_TOKEN_STORE_TIMEOUT'
 *   err.statusCode // 503
 * }
 * ```
 */
export const TokenStoreTimeoutError: ErrorClass<'FST_PWB_TOKEN_STORE_TIMEOUT', 503, [ms: number]> = createError(
  'FST_PWB_TOKEN_STORE_TIMEOUT',
  'fastify-password-bearer: the token store did not answer within %d ms; check its connection or raise tokenStoreTimeout',
  503
)

/**
 * `FST_PWB_ALREADY_REGISTERED` (500): the plugin is already registered in this scope (or an enclosing one, under the same names).
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { AlreadyRegisteredError } from 'fastify-password-bearer'
 *
 * if (err instanceof AlreadyRegisteredError) {
 *   err.code       // 'FST_PWB_ALREADY_REGISTERED'
 *   err.statusCode // 500
 * }
 * ```
 */
export const AlreadyRegisteredError: ErrorClass<'FST_PWB_ALREADY_REGISTERED', 500, [where: string]> = createError(
  'FST_PWB_ALREADY_REGISTERED',
  'fastify-password-bearer: the plugin is already registered %s',
  500
)

/**
 * `FST_PWB_DECORATOR_PRESENT` (500): a name the plugin decorates is taken; the message names the `decorators` option that renames it.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { DecoratorPresentError } from 'fastify-password-bearer'
 *
 * if (err instanceof DecoratorPresentError) {
 *   err.code       // 'FST_PWB_DECORATOR_PRESENT'
 *   err.statusCode // 500
 * }
 * ```
 */
export const DecoratorPresentError: ErrorClass<'FST_PWB_DECORATOR_PRESENT', 500, [name: string, target: string, option: string]> = createError(
  'FST_PWB_DECORATOR_PRESENT',
  'fastify-password-bearer: "%s" is already taken on the %s (a decorator of the app or of another plugin, such as the "authenticate" of the usual @fastify/jwt setup, or a Fastify property); give the plugin\'s one another name with the option %s',
  500
)

/**
 * `FST_PWB_KEY_SET` (500): a key set was given a key it cannot take, or asked to do what it cannot
 * (remove its current key, use an unknown kid).
 *
 * @example
 * ```ts
 * import { createKeySet, KeySetError } from 'fastify-password-bearer'
 *
 * const keys = createKeySet([{ secret: process.env.JWT_SECRET!, kid: 'current' }])
 * try {
 *   keys.remove('current')
 * } catch (err) {
 *   if (err instanceof KeySetError) console.log(err.code) // 'FST_PWB_KEY_SET': the current key cannot be removed
 * }
 * ```
 */
export const KeySetError: ErrorClass<'FST_PWB_KEY_SET', 500, [problem: string]> = createError(
  'FST_PWB_KEY_SET',
  'fastify-password-bearer: key set: %s',
  500,
  TypeError
)

/**
 * `FST_PWB_KEYS_UNAVAILABLE` (503, logged): a verify-only service could not fetch the issuer's keys.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import { KeysUnavailableError } from 'fastify-password-bearer'
 *
 * if (err instanceof KeysUnavailableError) {
 *   err.code       // 'FST_PWB_KEYS_UNAVAILABLE'
 *   err.statusCode // 503
 * }
 * ```
 */
export const KeysUnavailableError: ErrorClass<'FST_PWB_KEYS_UNAVAILABLE', 503, [url: string, reason: string]> = createError(
  'FST_PWB_KEYS_UNAVAILABLE',
  'fastify-password-bearer: no verification key could be fetched from %s (%s); check the remoteKeys option and that the issuer answers there',
  503
)

/**
 * Retry-After delays, in seconds: after a store (user store, throttle counters, the issuer's keys) did not answer, and
 * after the argon2 queue was full (a slot frees within one verification).
 */
export const RETRY_AFTER = Object.freeze({ storeDown: '5', hashQueueFull: '1' })

/**
 * The codes of every error class above: `switch (err.code)` over this union.
 *
 * @example
 * <!-- context:
 * declare const err: unknown
 * -->
 * ```ts
 * import type { PasswordBearerErrorCode } from 'fastify-password-bearer'
 *
 * function hint (code: PasswordBearerErrorCode): string {
 *   switch (code) {
 *     case 'FST_PWB_USER_STORE_TIMEOUT': return 'the database is slow'
 *     case 'FST_PWB_TOKEN_STORE': return 'the token store is down'
 *     default: return code
 *   }
 * }
 * ```
 */
export type PasswordBearerErrorCode =
  | 'FST_PWB_INVALID_OPTION'
  | 'FST_PWB_UNKNOWN_SCOPE'
  | 'FST_PWB_INVALID_HASH'
  | 'FST_PWB_INVALID_PASSWORD'
  | 'FST_PWB_UNKNOWN_HASH'
  | 'FST_PWB_VERIFIER'
  | 'FST_PWB_MISSING_PEER'
  | 'FST_PWB_USER_STORE'
  | 'FST_PWB_USER_STORE_TIMEOUT'
  | 'FST_PWB_RATE_LIMIT_TIMEOUT'
  | 'FST_PWB_REDIS_TIMEOUT'
  | 'FST_PWB_SWAGGER_ORDER'
  | 'FST_PWB_DUPLICATE_SCHEME'
  | 'FST_PWB_TOKEN_STORE'
  | 'FST_PWB_TOKEN_STORE_TIMEOUT'
  | 'FST_PWB_ALREADY_REGISTERED'
  | 'FST_PWB_DECORATOR_PRESENT'
  | 'FST_PWB_KEY_SET'
  | 'FST_PWB_KEYS_UNAVAILABLE'

/**
 * RFC 6749 §5.2 error codes sent by the token route, with the HTTP status each is sent with.
 *
 * @example
 * ```ts
 * import { TOKEN_ERRORS } from 'fastify-password-bearer'
 *
 * TOKEN_ERRORS.invalid_grant // 400
 * TOKEN_ERRORS.slow_down     // 429
 * ```
 */
export const TOKEN_ERRORS = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  slow_down: 429,
  server_error: 500,
  temporarily_unavailable: 503
} as const

/**
 * @example
 * <!-- context:
 * declare const body: { error: string }
 * -->
 * ```ts
 * import { TOKEN_ERRORS, type TokenErrorCode } from 'fastify-password-bearer'
 *
 * // A client of the token route, reading an error answer:
 * const isKnown = (error: string): error is TokenErrorCode => Object.hasOwn(TOKEN_ERRORS, error)
 * if (isKnown(body.error) && body.error === 'slow_down') {
 *   // wait for Retry-After
 * }
 * ```
 */
export type TokenErrorCode = keyof typeof TOKEN_ERRORS

/** An RFC 6749 §5.2 error, raised inside the token route and turned into its JSON response. */
export class OAuthError extends Error {
  readonly error: TokenErrorCode
  readonly statusCode: number
  readonly headers: Record<string, string>
  /** Fields of the audit log event the token route writes for this refusal; never sent to the client. */
  readonly audit: Record<string, unknown>

  constructor (
    error: TokenErrorCode,
    description: string,
    headers: Record<string, string> = {},
    audit: Record<string, unknown> = {},
    /** Another status than the error's usual one (415 for a body the route cannot decode). */
    statusCode: number = TOKEN_ERRORS[error]
  ) {
    super(description)
    this.name = 'OAuthError'
    this.error = error
    this.statusCode = statusCode
    this.headers = headers
    this.audit = audit
  }
}

/**
 * RFC 6750 §3.1 outcomes of the resource-side hooks. `code` is the stable code in the JSON body;
 * `error` is the RFC 6750 error attribute (none for a request without credentials).
 *
 * @example
 * ```ts
 * import { RESOURCE_ERRORS } from 'fastify-password-bearer'
 *
 * RESOURCE_ERRORS.FST_PWB_INSUFFICIENT_SCOPE // 403
 * ```
 */
export const RESOURCE_ERRORS = {
  FST_PWB_NO_TOKEN: {
    statusCode: 401,
    error: undefined,
    message: 'Authentication required: send "Authorization: Bearer <access_token>"; get a token from the token route'
  },
  FST_PWB_INVALID_REQUEST: {
    statusCode: 400,
    error: 'invalid_request',
    message: 'Malformed Authorization header: send exactly "Bearer <access_token>" in the Authorization header only'
  },
  FST_PWB_TOKEN_IN_QUERY: {
    statusCode: 400,
    error: 'invalid_request',
    message: 'An access token in the URL is refused: send it only as "Authorization: Bearer <access_token>"'
  },
  FST_PWB_MULTIPLE_CREDENTIALS: {
    statusCode: 400,
    error: 'invalid_request',
    message: 'More than one Authorization header: send exactly one "Authorization: Bearer <access_token>"'
  },
  FST_PWB_INVALID_TOKEN: {
    statusCode: 401,
    error: 'invalid_token',
    message: 'The access token is invalid, expired or revoked: request a new one from the token route'
  },
  FST_PWB_INSUFFICIENT_SCOPE: {
    statusCode: 403,
    error: 'insufficient_scope',
    message: 'The access token lacks a required scope: request a token with the scopes listed in WWW-Authenticate'
  },
  FST_PWB_SERVER_ERROR: {
    statusCode: 500,
    error: 'server_error',
    message: 'The server could not check the access token; try again later'
  },
  FST_PWB_UNAVAILABLE: {
    statusCode: 503,
    error: 'temporarily_unavailable',
    message: 'The server is busy and could not check the access token; retry after the Retry-After delay'
  }
} as const

/**
 * @example
 * <!-- context:
 * declare const body: { code: string }
 * -->
 * ```ts
 * import { RESOURCE_ERRORS, type ResourceErrorCode } from 'fastify-password-bearer'
 *
 * const isRefusal = (code: string): code is ResourceErrorCode => Object.hasOwn(RESOURCE_ERRORS, code)
 * if (isRefusal(body.code) && body.code === 'FST_PWB_INVALID_TOKEN') {
 *   // log in again, or refresh
 * }
 * ```
 */
export type ResourceErrorCode = keyof typeof RESOURCE_ERRORS

/**
 * The JSON body of a resource-side refusal: `{ statusCode, code, error, message }`.
 *
 * @example
 * ```ts
 * import type { ResourceErrorBody } from 'fastify-password-bearer'
 *
 * const res = await fetch('http://127.0.0.1:3000/users/me')
 * if (res.status === 401) {
 *   const body = await res.json() as ResourceErrorBody // { statusCode, code, error, message }
 *   console.log(body.code) // 'FST_PWB_NO_TOKEN'
 * }
 * ```
 */
export interface ResourceErrorBody {
  statusCode: number
  code: ResourceErrorCode
  /** The RFC 6750 error code; `unauthorized` for a request without credentials. */
  error: string
  message: string
}

/** The body the hooks send for `code`. */
export function resourceErrorBody (code: ResourceErrorCode): ResourceErrorBody {
  const { statusCode, error, message } = RESOURCE_ERRORS[code]
  return { statusCode, code, error: error ?? 'unauthorized', message }
}

/**
 * A refusal of a protected route passed on as an error instead of answered: by a hook's
 * `passError` form (inside @fastify/auth, or awaited in the app's own code). It carries the answer
 * the hooks send: `statusCode`, `headers` (the `WWW-Authenticate` challenge, or `Retry-After`) and,
 * as `toJSON()`, the body. Without an error handler of the app's own, the plugin answers it exactly
 * as the hooks do; an app's error handler receives it (see docs/errors.md).
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { BearerTokenError } from 'fastify-password-bearer'
 *
 * const app = Fastify()
 * app.setErrorHandler((err, request, reply) => {
 *   if (err instanceof BearerTokenError) return reply.code(err.statusCode).headers(err.headers).send(err.toJSON())
 *   return reply.send(err)
 * })
 * ```
 */
export class BearerTokenError extends Error {
  readonly code: ResourceErrorCode
  readonly statusCode: number
  /** The RFC 6750 error code (`invalid_token`, ...); `unauthorized` for a request without credentials. */
  readonly error: string
  /** Headers of the answer: `www-authenticate` for the client's errors, `retry-after` for FST_PWB_UNAVAILABLE. */
  readonly headers: Record<string, string>

  constructor (code: ResourceErrorCode, headers: Readonly<Record<string, string>> = {}) {
    const body = resourceErrorBody(code)
    super(body.message)
    this.name = 'BearerTokenError'
    this.code = code
    this.statusCode = body.statusCode
    this.error = body.error
    this.headers = { ...headers }
  }

  /** The JSON body the hooks send for this refusal. */
  toJSON (): ResourceErrorBody {
    return resourceErrorBody(this.code)
  }
}
