/**
 * Defaults and validation of the plugin options: a bad option fails registration with
 * `FST_PWB_INVALID_OPTION`, naming the option and what it accepts.
 */
import { availableParallelism } from 'node:os'
import { httpUrl, resolveKeys, type KeyOptions } from './access-token/key-options.js'
import { resolveLegacyVerifiers } from './endpoint/hash-schemes.js'
import { DEFAULT_HASH_OPTIONS, type HashOptions } from './endpoint/password-hash.js'
import { resolveRateLimit, type ResolvedRateLimit } from './endpoint/throttle-options.js'
import { InvalidOptionError } from './errors.js'
import { describe, integerOption as int, pathOption, unknownKeys } from './option-values.js'
import { resolveNames, type ResolvedNames } from './resource/decorators.js'
import { isScopeToken } from './scopes.js'
import { resolveSessionOptions, type SessionOptions } from './sessions/session-options.js'
import type { FastifyPasswordBearerOptions, LoadUser, PasswordVerifier, UserStore } from './types.js'

/** What the token format needs: the keys, and the claims every token must carry. */
export interface FormatOptions extends KeyOptions {
  issuer: string
  audience: string
  clockTolerance: number
}

/** What the discovery routes need (lib/discovery/). */
export interface DiscoveryOptions {
  /** No token route: the keys come from `remoteKeys` or are public `keys`. */
  verifyOnly: boolean
  /** The issuer when it is an http(s) URL: the base of the authorization server metadata's URLs. */
  issuerUrl: string | undefined
  /** This API's resource identifier (RFC 9728), an http(s) URL; its metadata route is served when set. */
  resource: string | undefined
  /** Verify-only: the issuer's token endpoint, an absolute URL (the OpenAPI scheme's tokenUrl). */
  remoteTokenUrl: string | undefined
}

/** What every part reads. */
export interface SharedOptions {
  scopes: Record<string, string>
  knownScopes: ReadonlySet<string>
  /** The `realm` of challenges (RFC 6750 §3, and Basic on the token route). */
  realm: string
  /** The time limit of every user-store call, in milliseconds. */
  userLookupTimeout: number
  securitySchemeName: string
}

/** What the token endpoint needs. */
export interface EndpointOptions extends SharedOptions {
  users: UserStore
  tokenUrl: string
  accessTokenTtl: number
  clientId: string
  passwordMaxLength: number
  usernameMaxLength: number
  hash: Required<HashOptions>
  legacyVerifiers: readonly PasswordVerifier[]
  maxConcurrentHashes: number
  maxQueuedHashes: number
  tokenBodyLimit: number
  rateLimit: ResolvedRateLimit | false
  /** Refresh tokens and revocation; undefined when both are off. */
  sessions: SessionOptions | undefined
}

/** What the resource-side hooks need. */
export interface ResourceOptions extends SharedOptions {
  loadUser: LoadUser | undefined
  verifyCacheSize: number
  decorators: ResolvedNames
}

/** Options after defaults are applied; `users` is undefined in a verify-only service. */
export type ResolvedOptions = FormatOptions & Omit<EndpointOptions, 'users'> & ResourceOptions & DiscoveryOptions & {
  users: UserStore | undefined
}

/** Every top-level option name. */
export const OPTION_NAMES = Object.freeze([
  'secret', 'users', 'tokenUrl', 'accessTokenTtl', 'issuer', 'audience', 'clientId', 'clockTolerance', 'scopes',
  'loadUser', 'realm', 'passwordMaxLength', 'usernameMaxLength', 'hash', 'legacyVerifiers', 'maxConcurrentHashes', 'maxQueuedHashes',
  'userLookupTimeout', 'tokenBodyLimit', 'securitySchemeName', 'verifyCacheSize', 'rateLimit',
  'refreshTokens', 'revocation', 'revokeUrl', 'tokenStore', 'tokenStoreTimeout', 'decorators',
  'keys', 'remoteKeys', 'resource'
] as const satisfies ReadonlyArray<keyof FastifyPasswordBearerOptions>)

/**
 * argon2 verifications at once: one core less than the machine has (the event loop keeps one to
 * answer protected routes during a login flood) and one thread less than libuv's pool (file and DNS
 * work keep one), at least 1. 1 on a 2-core machine, 3 on 8 cores with the default pool of 4.
 */
export function defaultHashConcurrency (
  cores: number = availableParallelism(),
  poolSize: number = Number(process.env.UV_THREADPOOL_SIZE) || 4
): number {
  return Math.max(1, Math.min(cores - 1, poolSize - 1))
}

export const DEFAULTS = Object.freeze({
  tokenUrl: '/token',
  accessTokenTtl: 900,
  issuer: 'fastify-password-bearer',
  audience: 'fastify-password-bearer',
  clientId: 'fastify-password-bearer',
  clockTolerance: 5,
  realm: 'api',
  passwordMaxLength: 1024,
  usernameMaxLength: 256,
  maxConcurrentHashes: defaultHashConcurrency(),
  maxQueuedHashes: 32,
  userLookupTimeout: 5000,
  tokenBodyLimit: 4096,
  securitySchemeName: 'OAuth2PasswordBearer',
  verifyCacheSize: 1000
})

// Printable ASCII without '"' and '\\': safe in headers, JSON claims and quoted-strings.
const SAFE_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/

function text (name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !SAFE_TEXT.test(value)) {
    throw new InvalidOptionError(name, `expected a non-empty string of printable ASCII without '"' or '\\', got ${describe(value)}`)
  }
  return value
}

function checkUsers (users: unknown): asserts users is UserStore {
  if (users === null || typeof users !== 'object' || typeof (users as UserStore).findByUsername !== 'function') {
    throw new InvalidOptionError('users', 'expected an object with a findByUsername(username) function (a service that only verifies tokens leaves out users and secret, and gives remoteKeys)')
  }
  const { updatePasswordHash } = users as UserStore
  if (updatePasswordHash !== undefined && typeof updatePasswordHash !== 'function') {
    throw new InvalidOptionError('users.updatePasswordHash', 'expected a function (user, passwordHash) or undefined')
  }
}

/** Verify-only: no sessions (refresh tokens and revocation belong to the issuer's token route). */
function noSessions (options: FastifyPasswordBearerOptions): undefined {
  for (const name of ['refreshTokens', 'revocation', 'revokeUrl', 'tokenStore', 'tokenStoreTimeout'] as const) {
    if (options[name] !== undefined) {
      throw new InvalidOptionError(name, 'belongs to the issuer: a verify-only service (no users) has no token route, no refresh tokens and no revocation route; remove it')
    }
  }
  return undefined
}

/** Verify-only: the issuer's token endpoint, from `tokenUrl` (an absolute URL) or the issuer's URL. */
function remoteTokenUrlOf (tokenUrl: unknown, given: unknown, issuer: string): string {
  const url = httpUrl(given === undefined ? undefined : tokenUrl)
  if (url !== undefined) return url
  const base = httpUrl(issuer)
  if (given === undefined && base !== undefined) return base.replace(/\/+$/, '') + DEFAULTS.tokenUrl
  throw new InvalidOptionError('tokenUrl', `a verify-only service publishes the issuer's token endpoint in its OpenAPI scheme: expected an absolute http(s) URL (or leave it out and set issuer to the issuer's URL), got ${describe(given)}`)
}

/** Applies defaults and validates every option; throws `FST_PWB_INVALID_OPTION`. */
export function resolveOptions (options: FastifyPasswordBearerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'expected an object with at least "secret" and "users"')
  }
  unknownKeys('', options, OPTION_NAMES)
  const { users, loadUser, scopes = {}, hash = {} } = options
  const issuer = text('issuer', options.issuer, DEFAULTS.issuer)
  const { verifyOnly, ...keys } = resolveKeys(options, issuer)

  if (!verifyOnly) checkUsers(users)
  if (loadUser !== undefined && typeof loadUser !== 'function') {
    throw new InvalidOptionError('loadUser', 'expected a function (claims, request) returning the user or null')
  }

  const tokenUrl = verifyOnly ? options.tokenUrl ?? DEFAULTS.tokenUrl : pathOption('tokenUrl', options.tokenUrl, DEFAULTS.tokenUrl)
  const remoteTokenUrl = verifyOnly ? remoteTokenUrlOf(tokenUrl, options.tokenUrl, issuer) : undefined
  const resource = options.resource === undefined ? undefined : httpUrl(options.resource)
  if (resource === undefined && (options.resource !== undefined || verifyOnly)) {
    throw new InvalidOptionError('resource', `expected this API's URL (its RFC 9728 resource identifier, e.g. "https://api.example.com")${verifyOnly ? ', required in a verify-only service' : ''}, got ${describe(options.resource)}`)
  }

  if (scopes === null || typeof scopes !== 'object' || Array.isArray(scopes)) {
    throw new InvalidOptionError('scopes', 'expected an object mapping each scope to its description, e.g. { "items:read": "Read items" }')
  }
  for (const [scope, description] of Object.entries(scopes)) {
    if (!isScopeToken(scope) || scope.length > 128) {
      throw new InvalidOptionError('scopes', `the scope name ${JSON.stringify(scope)} has characters outside RFC 6749 scope-token (printable ASCII except space, '"' and '\\')`)
    }
    if (typeof description !== 'string') {
      throw new InvalidOptionError('scopes', `the description of "${scope}" must be a string`)
    }
  }

  if (hash === null || typeof hash !== 'object') {
    throw new InvalidOptionError('hash', 'expected an object { memoryCost, timeCost, parallelism }')
  }
  unknownKeys('hash', hash, ['memoryCost', 'timeCost', 'parallelism'])

  return {
    ...keys,
    verifyOnly,
    issuerUrl: httpUrl(issuer),
    resource,
    remoteTokenUrl,
    users: verifyOnly ? undefined : users,
    loadUser,
    tokenUrl,
    accessTokenTtl: int('accessTokenTtl', options.accessTokenTtl, DEFAULTS.accessTokenTtl, 1, 86_400),
    issuer,
    audience: text('audience', options.audience, DEFAULTS.audience),
    clientId: text('clientId', options.clientId, DEFAULTS.clientId),
    clockTolerance: int('clockTolerance', options.clockTolerance, DEFAULTS.clockTolerance, 0, 60),
    scopes: { ...scopes },
    knownScopes: new Set(Object.keys(scopes)),
    realm: text('realm', options.realm, DEFAULTS.realm),
    passwordMaxLength: int('passwordMaxLength', options.passwordMaxLength, DEFAULTS.passwordMaxLength, 8, 65_536),
    usernameMaxLength: int('usernameMaxLength', options.usernameMaxLength, DEFAULTS.usernameMaxLength, 1, 4096),
    hash: {
      memoryCost: int('hash.memoryCost', hash.memoryCost, DEFAULT_HASH_OPTIONS.memoryCost, 1024, 4_194_304),
      timeCost: int('hash.timeCost', hash.timeCost, DEFAULT_HASH_OPTIONS.timeCost, 1, 100),
      parallelism: int('hash.parallelism', hash.parallelism, DEFAULT_HASH_OPTIONS.parallelism, 1, 64)
    },
    legacyVerifiers: resolveLegacyVerifiers(options.legacyVerifiers),
    maxConcurrentHashes: int('maxConcurrentHashes', options.maxConcurrentHashes, DEFAULTS.maxConcurrentHashes, 1, 1024),
    maxQueuedHashes: int('maxQueuedHashes', options.maxQueuedHashes, DEFAULTS.maxQueuedHashes, 0, 100_000),
    userLookupTimeout: int('userLookupTimeout', options.userLookupTimeout, DEFAULTS.userLookupTimeout, 1, 600_000),
    tokenBodyLimit: int('tokenBodyLimit', options.tokenBodyLimit, DEFAULTS.tokenBodyLimit, 256, 1_048_576),
    securitySchemeName: text('securitySchemeName', options.securitySchemeName, DEFAULTS.securitySchemeName),
    verifyCacheSize: int('verifyCacheSize', options.verifyCacheSize, DEFAULTS.verifyCacheSize, 0, 1_000_000),
    rateLimit: resolveRateLimit(options.rateLimit),
    sessions: verifyOnly ? noSessions(options) : resolveSessionOptions(options, tokenUrl),
    decorators: resolveNames(options.decorators)
  }
}
