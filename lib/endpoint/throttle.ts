/**
 * Brute-force throttling of the token route (RFC 6749 §4.3.2: the endpoint MUST be protected), on
 * @fastify/rate-limit's counters and stores: per client address before anything is parsed, and per
 * submitted username before any lookup or hashing, with lockouts that double for each consecutive
 * lockout of the same key, up to a cap.
 *
 * Counting: every request counts against its address, every well-formed login against its
 * username, before the work is done (so parallel guesses cannot slip past the limit); a successful
 * login then credits one attempt back, so a user who logs in often is never locked out.
 */
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createHmac } from 'node:crypto'
import { InvalidOptionError, OAuthError } from '../errors.js'

/** A counter store as @fastify/rate-limit defines it (its LocalStore and RedisStore, or your own). */
export interface RateLimitStore {
  incr (key: string, callback: (err: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void
  read (key: string, callback: (err: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number, max: number): void
  child (options: Record<string, unknown>): RateLimitStore
}

/** The constructor @fastify/rate-limit's `store` option takes. */
export type RateLimitStoreConstructor = new (options: Record<string, unknown>) => RateLimitStore

/** A limit: at most `max` counted attempts per `timeWindow` milliseconds. */
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
 * rateLimit: { username: { max: 5, timeWindow: 600_000 }, redis: new Redis() }
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
  /** An ioredis client: counters shared by every instance using the same Redis. */
  redis?: unknown
  /** Key prefix in Redis. @default 'fastify-password-bearer-' */
  nameSpace?: string
  /** A custom @fastify/rate-limit store constructor. */
  store?: RateLimitStoreConstructor
  /** Keys kept per counter by the in-memory store (LRU). @default 50_000 */
  cache?: number
  /** When the store fails: `true` lets logins through unthrottled, `false` answers 503. @default false */
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
  skipOnError: boolean
}

export const RATE_LIMIT_DEFAULTS = Object.freeze({
  username: Object.freeze({ max: 10, timeWindow: 900_000 }),
  address: Object.freeze({ max: 100, timeWindow: 300_000 }),
  maxLockout: 3_600_000,
  nameSpace: 'fastify-password-bearer-',
  cache: 50_000
})

const DAY = 86_400_000
// Consecutive lockouts of a key are remembered this long.
const STRIKE_MEMORY = DAY
const UNLIMITED = 1_000_000_000

function integer (name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `expected an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : `a value of type ${typeof value}`}`)
  }
  return value
}

function limit (name: string, value: unknown, fallback: Required<AttemptLimit>): Required<AttemptLimit> | false {
  if (value === false) return false
  if (value === undefined) return { ...fallback }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(name, 'expected { max, timeWindow } or false')
  }
  const { max, timeWindow } = value as AttemptLimit
  return {
    max: integer(`${name}.max`, max, fallback.max, 1, 1_000_000),
    timeWindow: integer(`${name}.timeWindow`, timeWindow, fallback.timeWindow, 1000, DAY)
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
  const known = new Set(['username', 'address', 'maxLockout', 'redis', 'nameSpace', 'store', 'cache', 'skipOnError'])
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new InvalidOptionError('rateLimit', `unknown key "${key}"; known: ${[...known].join(', ')}`)
  }
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
    maxLockout: integer('rateLimit.maxLockout', options.maxLockout, RATE_LIMIT_DEFAULTS.maxLockout, 1000, DAY),
    redis: options.redis,
    nameSpace: options.nameSpace ?? RATE_LIMIT_DEFAULTS.nameSpace,
    store: options.store,
    cache: integer('rateLimit.cache', options.cache, RATE_LIMIT_DEFAULTS.cache, 100, 10_000_000),
    skipOnError: options.skipOnError ?? false
  }
}

/** Which counter refused a request. */
export type ThrottleKind = 'address' | 'username'

/** The token route's throttle. Each check throws `slow_down` (429) while its key is locked. */
export interface Throttle {
  /** Counts the request against its client address (an `onRequest` hook). */
  checkAddress (request: FastifyRequest): Promise<void>
  /** Counts a login against the submitted username (before the user store is asked). */
  checkUsername (request: FastifyRequest, username: string): Promise<void>
  /** Credits a successful login back to its address and username. */
  succeeded (request: FastifyRequest, username: string): Promise<void>
}

interface Count { count: number, ttl: number }
interface Slot { key: string, window: number }

/**
 * Normalises a username for counting: Unicode NFKC, trimmed, lower case, so `Alice`, ` alice` and
 * `ａｌｉｃｅ` share a counter whatever the store's own matching rules.
 */
export function normalizeUsername (username: string): string {
  return username.normalize('NFKC').trim().toLowerCase()
}

/**
 * Registers @fastify/rate-limit in the token route's (non-fp) child context, so it never touches
 * the app's other routes, and builds the throttle on its counters.
 */
export async function createThrottle (
  child: FastifyInstance,
  options: ResolvedRateLimit,
  secret: string | Buffer
): Promise<Throttle> {
  await child.register(fastifyRateLimit, {
    global: false,
    nameSpace: options.nameSpace,
    cache: options.cache,
    skipOnError: options.skipOnError,
    ...(options.redis !== undefined ? { redis: options.redis } : {}),
    ...(options.store !== undefined ? { store: options.store as never } : {})
  })

  // Username keys are HMACs under a key derived from the signing secret: no username sits in
  // memory or in a shared store in clear, and instances sharing a secret share counters.
  const keyOfKeys = createHmac('sha256', secret).update('fastify-password-bearer/rate-limit').digest()
  const usernameKey = (username: string): string =>
    createHmac('sha256', keyOfKeys).update(normalizeUsername(username)).digest('base64url')
  const addressKey = (request: FastifyRequest): string => normalizeIP(request.ip)

  // One @fastify/rate-limit counter per kind (two LRUs: a spray of addresses cannot evict the
  // username counters), pointed at a key and window per call.
  const slots = new WeakMap<FastifyRequest, Slot>()
  const counterOptions = {
    max: UNLIMITED,
    keyGenerator: (request: FastifyRequest) => (slots.get(request) as Slot).key,
    timeWindow: (request: FastifyRequest) => (slots.get(request) as Slot).window,
    cache: options.cache
  } as Parameters<FastifyInstance['createRateLimit']>[0]
  const counters = {
    address: child.createRateLimit(counterOptions),
    username: child.createRateLimit(counterOptions)
  }

  async function count (request: FastifyRequest, kind: ThrottleKind, key: string, window: number, increment: boolean): Promise<Count> {
    const counter = counters[kind]
    slots.set(request, { key: `pwb:${kind}:${key}`, window })
    let result
    try {
      result = await counter(request, { increment })
    } catch (err) {
      throw new OAuthError('temporarily_unavailable', 'The server cannot count login attempts right now: retry after the Retry-After delay',
        { 'retry-after': '5' }, { reason: 'rate_limit_store', code: (err as { code?: string }).code })
    }
    if (result.isAllowed) return { count: 0, ttl: 0 }
    return { count: UNLIMITED - result.remaining, ttl: result.ttl }
  }

  function lockFor (limit: Required<AttemptLimit>, strikes: number): number {
    return Math.min(limit.timeWindow * 2 ** Math.min(strikes - 1, 30), options.maxLockout)
  }

  // The token route logs the refusal as a `lockout` event with these fields.
  function refuse (kind: ThrottleKind, ms: number, strikes: number, started: boolean): OAuthError {
    const retryAfter = Math.max(1, Math.ceil(ms / 1000))
    return new OAuthError('slow_down', 'Too many login attempts: retry after the Retry-After delay',
      { 'retry-after': String(retryAfter) }, { reason: kind, lockouts: strikes, started, retryAfter })
  }

  async function check (request: FastifyRequest, kind: ThrottleKind, id: string, limit: Required<AttemptLimit>): Promise<void> {
    const strikes = (await count(request, kind, id + ':lockouts', STRIKE_MEMORY, false)).count
    if (strikes > 0) {
      const lock = await count(request, kind, `${id}:lock:${strikes}`, lockFor(limit, strikes), false)
      if (lock.count > 0) throw refuse(kind, lock.ttl, strikes, false)
    }
    const attempts = await count(request, kind, id + ':attempts', limit.timeWindow, true)
    if (attempts.count <= limit.max) return
    const credited = await count(request, kind, id + ':ok', limit.timeWindow, false)
    if (attempts.count - credited.count <= limit.max) return
    const next = (await count(request, kind, id + ':lockouts', STRIKE_MEMORY, true)).count
    const ms = lockFor(limit, next)
    await count(request, kind, `${id}:lock:${next}`, ms, true)
    throw refuse(kind, ms, next, true)
  }

  return {
    async checkAddress (request) {
      if (options.address !== false) await check(request, 'address', addressKey(request), options.address)
    },
    async checkUsername (request, username) {
      if (options.username !== false) await check(request, 'username', usernameKey(username), options.username)
    },
    async succeeded (request, username) {
      // A failed credit only costs the user one attempt of their allowance: never fail the login.
      try {
        if (options.address !== false) await count(request, 'address', addressKey(request) + ':ok', options.address.timeWindow, true)
        if (options.username !== false) await count(request, 'username', usernameKey(username) + ':ok', options.username.timeWindow, true)
      } catch {}
    }
  }
}
