/**
 * The example's Redis, when `REDIS_URL` is set: one ioredis client for the session state (the
 * plugin's RedisTokenStore) and the brute-force counters (`rateLimit.redis`). Instances started
 * with the same REDIS_URL, JWT_SECRET and EXAMPLE_DB then behave as one service.
 */
import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'
import { RedisTokenStore } from '../lib/index.js'

/** The example's connection to Redis. */
export interface ExampleRedis {
  client: Redis
  tokenStore: RedisTokenStore
  /** Closes the store's subscriber and the client. */
  close: () => Promise<void>
}

/**
 * `REDIS_URL` when set (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS), else
 * undefined: the example then keeps everything in its own memory.
 */
export function redisUrlFromEnv (env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.REDIS_URL
  if (value === undefined || value === '') return undefined
  if (!/^rediss?:\/\/[^\s]+$/.test(value)) {
    throw new Error('REDIS_URL must look like redis://host:6379 (or rediss:// for TLS)')
  }
  return value
}

/**
 * Connects to Redis. ioredis connects in the background and reconnects by itself; each outage is
 * logged once when it starts and once when it ends (not at every reconnection attempt).
 */
export function connectRedis (url: string, log: FastifyBaseLogger): ExampleRedis {
  const client = new Redis(url)
  let down = false
  client.on('error', (err: Error) => {
    if (down) return
    down = true
    log.warn({ event: 'redis', err: { message: err.message, code: (err as { code?: string }).code } }, 'Redis is unreachable: logins and refreshes get 503 until it is back')
  })
  client.on('ready', () => {
    if (!down) return
    down = false
    log.info({ event: 'redis' }, 'Redis is reachable again')
  })
  const tokenStore = new RedisTokenStore({ client, logger: log })
  return {
    client,
    tokenStore,
    close: async () => {
      tokenStore.close()
      await client.quit().catch(() => { client.disconnect() })
    }
  }
}
