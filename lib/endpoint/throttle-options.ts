/**
 * The `rateLimit` option of the token route's brute-force throttle: its shape, defaults and
 * validation (`FST_PWB_INVALID_OPTION`).
 */
import { InvalidOptionError } from '../errors.js'
import { integerOption, unknownKeys } from '../option-values.js'

/**
 * A counter store as @fastify/rate-limit defines it (its LocalStore and RedisStore, or your own).
 *
 * @example
 * <!-- context:
 * import type { RateLimitStore } from 'fastify-password-bearer'
 * declare const store: RateLimitStore
 * -->
 * ```ts
 * // How the throttle calls a store: count one attempt for a key in a window of 60 s, at most 10.
 * store.incr('203.0.113.7', (err, result) => {
 *   if (err === null && result !== undefined) console.log(result.current, result.ttl)
 * }, 60_000, 10)
 * ```
 */
export interface RateLimitStore {
  incr (key: string, callback: (err: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void
  read (key: string, callback: (err: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void
  child (options: Record<string, unknown>): RateLimitStore
}

/**
 * The constructor @fastify/rate-limit's `store` option takes.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type RateLimitStore, type RateLimitStoreConstructor } from 'fastify-password-bearer'
 *
 * // Counters in a Map: the shape of @fastify/rate-limit's stores, which the `store` option takes.
 * class MapStore implements RateLimitStore {
 *   readonly #counts = new Map<string, { current: number, resetAt: number }>()
 *   incr (key: string, callback: (err: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number): void {
 *     const now = Date.now()
 *     const entry = this.#counts.get(key)
 *     const next = entry === undefined || entry.resetAt <= now ? { current: 1, resetAt: now + timeWindow } : { ...entry, current: entry.current + 1 }
 *     this.#counts.set(key, next)
 *     callback(null, { current: next.current, ttl: next.resetAt - now })
 *   }
 *   read (key: string, callback: (err: Error | null, result?: { current: number, ttl: number }) => void): void {
 *     const entry = this.#counts.get(key)
 *     callback(null, entry === undefined ? undefined : { current: entry.current, ttl: entry.resetAt - Date.now() })
 *   }
 *   child (): RateLimitStore { return this }
 * }
 *
 * const store: RateLimitStoreConstructor = MapStore
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, rateLimit: { store } })
 * ```
 */
export type RateLimitStoreConstructor = new (options: Record<string, unknown>) => RateLimitStore

/**
 * A limit: at most `max` counted attempts per `timeWindow` milliseconds.
 *
 * @example
 * ```ts
 * import type { AttemptLimit } from 'fastify-password-bearer'
 *
 * const fivePerTenMinutes: AttemptLimit = { max: 5, timeWindow: 600_000 }
 * ```
 */
export interface AttemptLimit {
  /** Attempts allowed in a window. */
  max?: number
  /** Window length in milliseconds; also the first lockout's length. */
  timeWindow?: number
}

/**
 * Throttling of the token route. Counters live in @fastify/rate-limit's in-memory LRU store unless
 * `redis` or `store` is given (share counters between several app instances).
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import { Redis } from 'ioredis'
 * import fastifyPasswordBearer, { type RateLimitOptions } from 'fastify-password-bearer'
 *
 * const rateLimit: RateLimitOptions = { username: { max: 5, timeWindow: 600_000 }, redis: new Redis(process.env.REDIS_URL!) }
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, rateLimit })
 * ```
 */
export interface RateLimitOptions {
  /**
   * Failed logins per submitted username (counted whether the user exists or not), or `false`.
   * @default { max: 10, timeWindow: 900_000 } (10 per 15 minutes)
   */
  username?: AttemptLimit | false
  /**
   * Token requests per client address (`request.ip`; IPv6 per /64), or `false`. Behind a proxy, set
   * Fastify's `trustProxy` or every client shares the proxy's address.
   * @default { max: 100, timeWindow: 300_000 } (100 per 5 minutes)
   */
  address?: AttemptLimit | false
  /** Longest lockout in milliseconds: each consecutive lockout of a key doubles, up to this. @default 3_600_000 */
  maxLockout?: number
  /**
   * An ioredis client (`Redis` or `Cluster`): counters and lockouts shared by every instance using
   * the same Redis (docs/redis.md). Keep Redis's `maxmemory-policy` at `noeviction`.
   */
  redis?: unknown
  /** Key prefix in Redis. @default 'fastify-password-bearer-' */
  nameSpace?: string
  /** A custom @fastify/rate-limit store constructor. */
  store?: RateLimitStoreConstructor
  /** Keys kept per counter by the in-memory store (LRU). @default 50_000 */
  cache?: number
  /**
   * Lockouts kept in memory when no `redis` or `store` is given: a live lock is never evicted by
   * other traffic; about 150 bytes each. @default 100_000
   */
  maxLocks?: number
  /**
   * Milliseconds a counter store call (a Redis round trip) may take: a store that answers later, or
   * not at all (Redis down, paused, unreachable), fails the request like a store error.
   * @default 1000
   */
  timeout?: number
  /** When the store fails or times out: `true` lets logins through unthrottled, `false` answers 503. @default false */
  skipOnError?: boolean
}

/** Rate-limit options after defaults. */
export interface ResolvedRateLimit {
  username: Required<AttemptLimit> | false
  address: Required<AttemptLimit> | false
  maxLockout: number
  redis: unknown
  nameSpace: string
  store: RateLimitStoreConstructor | undefined
  cache: number
  maxLocks: number
  timeout: number
  skipOnError: boolean
}

export const RATE_LIMIT_DEFAULTS = Object.freeze({
  username: Object.freeze({ max: 10, timeWindow: 900_000 }),
  address: Object.freeze({ max: 100, timeWindow: 300_000 }),
  maxLockout: 3_600_000,
  nameSpace: 'fastify-password-bearer-',
  cache: 50_000,
  maxLocks: 100_000,
  timeout: 1000
})

const DAY = 86_400_000

function limit (name: string, value: unknown, fallback: Required<AttemptLimit>): Required<AttemptLimit> | false {
  if (value === false) return false
  if (value === undefined) return { ...fallback }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(name, 'expected { max, timeWindow } or false')
  }
  const { max, timeWindow } = value as AttemptLimit
  return {
    max: integerOption(`${name}.max`, max, fallback.max, 1, 1_000_000),
    timeWindow: integerOption(`${name}.timeWindow`, timeWindow, fallback.timeWindow, 1000, DAY)
  }
}

/** Applies defaults to the `rateLimit` option and validates it; throws `FST_PWB_INVALID_OPTION`. */
export function resolveRateLimit (value: unknown): ResolvedRateLimit | false {
  if (value === false) return false
  if (value === undefined) value = {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('rateLimit', 'expected an object { username, address, maxLockout, redis, store, ... } or false')
  }
  const options = value as RateLimitOptions
  unknownKeys('rateLimit', options, ['username', 'address', 'maxLockout', 'redis', 'nameSpace', 'store', 'cache', 'maxLocks', 'timeout', 'skipOnError'])
  if (options.store !== undefined && typeof options.store !== 'function') {
    throw new InvalidOptionError('rateLimit.store', 'expected a @fastify/rate-limit store constructor')
  }
  if (options.redis !== undefined && (options.redis === null || typeof options.redis !== 'object')) {
    throw new InvalidOptionError('rateLimit.redis', 'expected an ioredis client')
  }
  if (options.nameSpace !== undefined && (typeof options.nameSpace !== 'string' || options.nameSpace === '')) {
    throw new InvalidOptionError('rateLimit.nameSpace', 'expected a non-empty string')
  }
  if (options.skipOnError !== undefined && typeof options.skipOnError !== 'boolean') {
    throw new InvalidOptionError('rateLimit.skipOnError', 'expected a boolean')
  }
  return {
    username: limit('rateLimit.username', options.username, RATE_LIMIT_DEFAULTS.username),
    address: limit('rateLimit.address', options.address, RATE_LIMIT_DEFAULTS.address),
    maxLockout: integerOption('rateLimit.maxLockout', options.maxLockout, RATE_LIMIT_DEFAULTS.maxLockout, 1000, DAY),
    redis: options.redis,
    nameSpace: options.nameSpace ?? RATE_LIMIT_DEFAULTS.nameSpace,
    store: options.store,
    cache: integerOption('rateLimit.cache', options.cache, RATE_LIMIT_DEFAULTS.cache, 100, 10_000_000),
    maxLocks: integerOption('rateLimit.maxLocks', options.maxLocks, RATE_LIMIT_DEFAULTS.maxLocks, 100, 10_000_000),
    timeout: integerOption('rateLimit.timeout', options.timeout, RATE_LIMIT_DEFAULTS.timeout, 1, 60_000),
    skipOnError: options.skipOnError ?? false
  }
}
