/**
 * Brute-force throttling of the token route (RFC 6749 §4.3.2: the endpoint MUST be protected), on
 * @fastify/rate-limit's counters and stores: per client address before anything is parsed, and per
 * submitted username before any lookup or hashing, with lockouts that double for each consecutive
 * lockout of the same key, up to a cap.
 *
 * Counting: every request counts against its address, every well-formed login against its
 * username, before the work is done (so parallel guesses cannot slip past the limit); a successful
 * login then credits one attempt back, so a user who logs in often is never locked out. A credit
 * belongs to the window of the attempt it credits (its key names that window's end) and expires
 * with it, so successes can never pay for failures of a later window: per key and window,
 * failures stay at most `max`.
 */
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { createHmac } from 'node:crypto'
import { OAuthError, RateLimitTimeoutError, RETRY_AFTER } from '../errors.js'
import { Deadlines } from '../stores/deadlines.js'
import { LockTable } from './lock-table.js'
import { evictionPolicy, RedisLocks } from './redis-locks.js'
import type { AttemptLimit, ResolvedRateLimit } from './throttle-options.js'

// Consecutive lockouts of a key are remembered this long.
const STRIKE_MEMORY = 86_400_000
// The counters never refuse by themselves: the throttle compares their counts with its limits.
const UNLIMITED = 1_000_000_000

/** Which counter refused a request. */
export type ThrottleKind = 'address' | 'username'

/** The token route's throttle. Each check throws `slow_down` (429) while its key is locked. */
export interface Throttle {
  /** Counts the request against its client address (an `onRequest` hook). */
  checkAddress (request: FastifyRequest): Promise<void>
  /** Counts a login against the submitted username (before the user store is asked). */
  checkUsername (request: FastifyRequest, username: string): Promise<void>
  /** Credits a successful login back to its address and username, in the windows it was counted in. */
  succeeded (request: FastifyRequest): Promise<void>
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
  /** The key of the username HMACs (derived from the signing key, so instances that share it share counters). */
  keyOfKeys: Buffer
): Promise<Throttle> {
  await child.register(fastifyRateLimit, {
    global: false,
    nameSpace: options.nameSpace,
    cache: options.cache,
    // Store failures reach the throttle, which applies skipOnError to them and to its timeouts alike.
    skipOnError: false,
    ...(options.redis !== undefined ? { redis: options.redis } : {}),
    ...(options.store !== undefined ? { store: options.store as never } : {})
  })

  // Username keys are HMACs: no username sits in memory or in a shared store in clear.
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

  // Every store call (counters and Redis locks) is bounded in time: a store that fails or does not
  // answer in time (Redis down, paused, unreachable) gets the request a 503, never an unthrottled
  // attempt, unless skipOnError says to let it through as if nothing had been counted.
  const deadlines = new Deadlines(options.timeout)
  function guarded<T> (work: Promise<T>, skipped: T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (err: unknown): void => {
        if (options.skipOnError) resolve(skipped)
        else {
          reject(new OAuthError('temporarily_unavailable', 'The server cannot count login attempts right now: retry after the Retry-After delay',
            { 'retry-after': RETRY_AFTER.storeDown }, { reason: 'rate_limit_store', code: (err as { code?: string }).code }))
        }
      }
      const wait = deadlines.start(() => { fail(new RateLimitTimeoutError(deadlines.ms)) })
      work.then((value) => { if (deadlines.end(wait)) resolve(value) }, (err: unknown) => { if (deadlines.end(wait)) fail(err) })
    })
  }

  async function count (request: FastifyRequest, kind: ThrottleKind, key: string, window: number, increment: boolean): Promise<Count> {
    slots.set(request, { key: `pwb:${kind}:${key}`, window })
    const result = await guarded(counters[kind](request, { increment }), { isAllowed: true, key: '' } as const)
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

  // Per request, the credit counter of the window each of its attempts was counted in.
  const credits = new WeakMap<FastifyRequest, Partial<Record<ThrottleKind, Slot>>>()

  // Lockouts: in process memory, a table no flood can evict a live lock from (lock-table.ts); in
  // Redis, two keys per throttle key written by one script (redis-locks.ts); in another shared
  // store, counters that expire with the lock.
  const locks = options.redis !== undefined
    ? redisLocks(child, options, guarded, lockFor)
    : options.store === undefined
      ? tableLocks(new LockTable(options.maxLocks, STRIKE_MEMORY), lockFor)
      : counterLocks(count, lockFor)

  async function check (request: FastifyRequest, kind: ThrottleKind, id: string, limit: Required<AttemptLimit>): Promise<void> {
    const { strikes, lockedFor } = await locks.state(request, kind, id)
    if (lockedFor > 0) throw refuse(kind, lockedFor, strikes, false)
    const attempts = await count(request, kind, id + ':attempts', limit.timeWindow, true)
    const windowLeft = Math.max(1, attempts.ttl)
    const credit = { key: `${id}:ok:${Math.round((Date.now() + windowLeft) / 1000)}`, window: windowLeft }
    credits.set(request, { ...credits.get(request), [kind]: credit })
    if (attempts.count <= limit.max) return
    const credited = await count(request, kind, credit.key, credit.window, false)
    if (attempts.count - credited.count <= limit.max) return
    const locked = await locks.lock(request, kind, id, limit)
    // A full lock table (or a failed store, with skipOnError) cannot record the lock: this request
    // is refused all the same.
    if (locked === undefined) throw refuse(kind, lockFor(limit, strikes + 1), strikes + 1, true)
    throw refuse(kind, locked.ms, locked.strikes, true)
  }

  return {
    async checkAddress (request) {
      if (options.address !== false) await check(request, 'address', addressKey(request), options.address)
    },
    async checkUsername (request, username) {
      if (options.username !== false) await check(request, 'username', usernameKey(username), options.username)
    },
    async succeeded (request) {
      // A failed credit only costs the user one attempt of their allowance: never fail the login.
      try {
        for (const [kind, credit] of Object.entries(credits.get(request) ?? {})) {
          await count(request, kind as ThrottleKind, credit.key, credit.window, true)
        }
      } catch {}
    }
  }
}

/** Where lockouts are kept: a key's consecutive lockouts and the lock's time left, and new locks. */
interface Locks {
  state (request: FastifyRequest, kind: ThrottleKind, id: string): Promise<{ strikes: number, lockedFor: number }>
  lock (request: FastifyRequest, kind: ThrottleKind, id: string, limit: Required<AttemptLimit>): Promise<{ strikes: number, ms: number } | undefined>
}

type LockFor = (limit: Required<AttemptLimit>, strikes: number) => number
type Guarded = <T>(work: Promise<T>, skipped: T) => Promise<T>
type CountFn = (request: FastifyRequest, kind: ThrottleKind, key: string, window: number, increment: boolean) => Promise<Count>

function tableLocks (table: LockTable, lockFor: LockFor): Locks {
  return {
    state: async (_request, kind, id) => table.state(`${kind}:${id}`),
    lock: async (_request, kind, id, limit) => table.lock(`${kind}:${id}`, (strikes) => lockFor(limit, strikes))
  }
}

function redisLocks (child: FastifyInstance, options: ResolvedRateLimit, guarded: Guarded, lockFor: LockFor): Locks {
  const redis = new RedisLocks(options.redis, `${options.nameSpace}pwb:`, STRIKE_MEMORY)
  // A Redis that may evict keys before they expire may lift a lock early: say so once, at startup.
  evictionPolicy(options.redis).then((policy) => {
    if (policy !== undefined) {
      child.log.warn({ event: 'rate_limit_config', maxmemoryPolicy: policy },
        `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict a login lockout before it ends; set it to "noeviction"`)
    }
  }, () => {})
  return {
    state: (_request, kind, id) => guarded(redis.state(`${kind}:${id}`), { strikes: 0, lockedFor: 0 }),
    lock: (_request, kind, id, limit) => guarded(redis.lock(`${kind}:${id}`, lockFor(limit, 1), options.maxLockout), undefined)
  }
}

// A store's counters only set their expiry when they are created, so the count of lockouts is
// remembered from the first lockout of a series; the lock is its own counter (not numbered by that
// count), so a lock holds for its full length even when the count is forgotten first.
function counterLocks (count: CountFn, lockFor: LockFor): Locks {
  return {
    async state (request, kind, id) {
      const strikes = (await count(request, kind, id + ':lockouts', STRIKE_MEMORY, false)).count
      const lock = await count(request, kind, id + ':lock', 1, false) // a read: the window is not used
      return { strikes, lockedFor: lock.count > 0 ? lock.ttl : 0 }
    },
    async lock (request, kind, id, limit) {
      const strikes = (await count(request, kind, id + ':lockouts', STRIKE_MEMORY, true)).count
      const ms = lockFor(limit, strikes)
      await count(request, kind, id + ':lock', ms, true)
      return { strikes, ms }
    }
  }
}
