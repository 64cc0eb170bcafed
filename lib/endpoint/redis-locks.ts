/**
 * Where the throttle keeps lockouts when its counters live in Redis (`rateLimit.redis`). Per
 * throttle key, two Redis keys: the count of consecutive lockouts, remembered for `strikeMemory`
 * after the last one (as in the in-memory lock table), and the lock itself, which expires when the
 * lock ends. The lock key never depends on the count's expiry, so a lock holds for its full length
 * even when its count is forgotten first; and Redis drops neither before its time unless its
 * `maxmemory-policy` evicts keys (checked by {@link evictionPolicy}).
 *
 * Reading the state and recording a lock are one Lua script each: one round trip, atomic. The two
 * keys share a hash tag, so each script touches one slot and runs on Redis Cluster.
 */

/** The part of an ioredis client (`Redis` or `Cluster`) used here. */
interface ScriptClient {
  defineCommand (name: string, definition: { numberOfKeys: number, lua: string }): void
}

type Script = (...args: Array<string | number>) => Promise<[number, number]>

const STATE = 'fastifyPasswordBearerLockState'
const LOCK = 'fastifyPasswordBearerLock'

// KEYS: count, lock. Returns { consecutive lockouts, milliseconds the lock has left (0: none) }.
const STATE_LUA = `
local strikes = tonumber(redis.call('GET', KEYS[1]) or '0')
local left = redis.call('PTTL', KEYS[2])
if left < 0 then left = 0 end
return { strikes, left }
`

// KEYS: count, lock. ARGV: first lock (ms), longest lock (ms), count memory (ms).
// Each consecutive lockout doubles the lock, up to the longest (the throttle's lockFor, in Lua).
// Returns { consecutive lockouts, lock length in ms }.
const LOCK_LUA = `
local strikes = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local ms = math.floor(math.min(tonumber(ARGV[1]) * 2 ^ math.min(strikes - 1, 30), tonumber(ARGV[2])))
redis.call('SET', KEYS[2], strikes, 'PX', ms)
return { strikes, ms }
`

export class RedisLocks {
  readonly #client: Record<string, Script>
  readonly #prefix: string
  readonly #strikeMemory: number

  constructor (client: unknown, prefix: string, strikeMemory: number) {
    const scripts = client as ScriptClient & Record<string, Script | undefined>
    if (scripts[STATE] === undefined) scripts.defineCommand(STATE, { numberOfKeys: 2, lua: STATE_LUA })
    if (scripts[LOCK] === undefined) scripts.defineCommand(LOCK, { numberOfKeys: 2, lua: LOCK_LUA })
    this.#client = scripts as Record<string, Script>
    this.#prefix = prefix
    this.#strikeMemory = strikeMemory
  }

  /** Consecutive lockouts of `key` still remembered, and the milliseconds its lock has left (0: none). */
  async state (key: string): Promise<{ strikes: number, lockedFor: number }> {
    const [strikes, lockedFor] = await (this.#client[STATE] as Script)(...this.#keys(key))
    return { strikes, lockedFor }
  }

  /**
   * Locks `key` for `min(firstLock * 2 ** (strikes - 1), maxLock)` ms, `strikes` being its count
   * of consecutive lockouts with this one; returns that count and the length.
   */
  async lock (key: string, firstLock: number, maxLock: number): Promise<{ strikes: number, ms: number }> {
    const [strikes, ms] = await (this.#client[LOCK] as Script)(...this.#keys(key), firstLock, maxLock, this.#strikeMemory)
    return { strikes, ms }
  }

  #keys (key: string): [string, string] {
    // The braces are the hash tag: both keys of one throttle key land in one Cluster slot.
    return [`${this.#prefix}{${key}}:lockouts`, `${this.#prefix}{${key}}:lock`]
  }
}

/**
 * Redis's `maxmemory-policy` when it lets Redis evict keys that have not expired (every lock has a
 * TTL, so `volatile-*` policies evict locks too), or undefined for `noeviction` or when the server
 * does not say (CONFIG disabled, as on some managed services).
 */
export async function evictionPolicy (client: unknown): Promise<string | undefined> {
  const config = (client as { config: (...args: string[]) => Promise<unknown> }).config
  const reply = await config.call(client, 'GET', 'maxmemory-policy')
  // `[name, value]`, or `{ name: value }` from a client with RESP3 maps (replyMapping: 'resp3').
  const policy = Array.isArray(reply) ? reply[1] : (reply as Record<string, unknown> | null)?.['maxmemory-policy']
  return typeof policy === 'string' && policy !== 'noeviction' ? policy : undefined
}
