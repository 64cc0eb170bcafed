/**
 * Defaults and validation of the plugin options: a bad option fails registration with
 * `FST_PWB_INVALID_OPTION`, naming the option and what it accepts.
 */
import { availableParallelism } from 'node:os'
import { resolveLegacyVerifiers } from './endpoint/hash-schemes.js'
import { DEFAULT_HASH_OPTIONS, type HashOptions } from './endpoint/password-hash.js'
import { resolveRateLimit, type ResolvedRateLimit } from './endpoint/throttle-options.js'
import { InvalidOptionError } from './errors.js'
import { describe, integerOption as int, pathOption, unknownKeys } from './option-values.js'
import { resolveNames, type ResolvedNames } from './resource/decorators.js'
import { isScopeToken } from './scopes.js'
import { resolveSessionOptions, type SessionOptions } from './sessions/session-options.js'
import type { FastifyPasswordBearerOptions, LoadUser, PasswordVerifier, UserStore } from './types.js'

/** What the token format needs: the key, and the claims every token must carry. */
export interface FormatOptions {
  secret: string | Buffer
  issuer: string
  audience: string
  clockTolerance: number
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

/** Options after defaults are applied. */
export type ResolvedOptions = FormatOptions & EndpointOptions & ResourceOptions

/** Every top-level option name. */
export const OPTION_NAMES = Object.freeze([
  'secret', 'users', 'tokenUrl', 'accessTokenTtl', 'issuer', 'audience', 'clientId', 'clockTolerance', 'scopes',
  'loadUser', 'realm', 'passwordMaxLength', 'usernameMaxLength', 'hash', 'legacyVerifiers', 'maxConcurrentHashes', 'maxQueuedHashes',
  'userLookupTimeout', 'tokenBodyLimit', 'securitySchemeName', 'verifyCacheSize', 'rateLimit',
  'refreshTokens', 'revocation', 'revokeUrl', 'tokenStore', 'tokenStoreTimeout', 'decorators'
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

const MIN_SECRET_BYTES = 32
// Printable ASCII without '"' and '\\': safe in headers, JSON claims and quoted-strings.
const SAFE_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/

function text (name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !SAFE_TEXT.test(value)) {
    throw new InvalidOptionError(name, `expected a non-empty string of printable ASCII without '"' or '\\', got ${describe(value)}`)
  }
  return value
}

/** Applies defaults and validates every option; throws `FST_PWB_INVALID_OPTION`. */
export function resolveOptions (options: FastifyPasswordBearerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'expected an object with at least "secret" and "users"')
  }
  unknownKeys('', options, OPTION_NAMES)
  const { secret, users, loadUser, scopes = {}, hash = {} } = options

  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new InvalidOptionError('secret', `expected a string or Buffer of at least ${MIN_SECRET_BYTES} bytes (e.g. crypto.randomBytes(32)), got ${describe(secret)}`)
  }
  const secretBytes = typeof secret === 'string' ? Buffer.byteLength(secret) : secret.length
  if (secretBytes < MIN_SECRET_BYTES) {
    throw new InvalidOptionError('secret', `expected at least ${MIN_SECRET_BYTES} bytes for HS256, got ${secretBytes}; generate one with crypto.randomBytes(32)`)
  }

  if (users === null || typeof users !== 'object' || typeof users.findByUsername !== 'function') {
    throw new InvalidOptionError('users', 'expected an object with a findByUsername(username) function')
  }
  if (users.updatePasswordHash !== undefined && typeof users.updatePasswordHash !== 'function') {
    throw new InvalidOptionError('users.updatePasswordHash', 'expected a function (user, passwordHash) or undefined')
  }
  if (loadUser !== undefined && typeof loadUser !== 'function') {
    throw new InvalidOptionError('loadUser', 'expected a function (claims, request) returning the user or null')
  }

  const tokenUrl = pathOption('tokenUrl', options.tokenUrl, DEFAULTS.tokenUrl)

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
    secret,
    users,
    loadUser,
    tokenUrl,
    accessTokenTtl: int('accessTokenTtl', options.accessTokenTtl, DEFAULTS.accessTokenTtl, 1, 86_400),
    issuer: text('issuer', options.issuer, DEFAULTS.issuer),
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
    sessions: resolveSessionOptions(options, tokenUrl),
    decorators: resolveNames(options.decorators)
  }
}
