/**
 * What the example server and the add-user command share: the known scopes, the demo users and
 * where the SQLite database lives; the server's time limits and connection cap; and where the
 * sessions (refresh tokens, revocations) are kept.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MemoryTokenStore, type TokenStore } from '../lib/index.js'

/** The scopes the example knows, with the descriptions Swagger UI shows in its Authorize dialog. */
export const SCOPES: Readonly<Record<string, string>> = Object.freeze({
  'items:read': 'Read items',
  'items:write': 'Create items'
})

/** The users seeded into an empty database. Their password is "secret"; bob is disabled. */
export const DEMO_USERS: ReadonlyArray<{ username: string, password: string, scopes: string[], disabled: boolean }> = Object.freeze([
  { username: 'alice', password: 'secret', scopes: ['items:read', 'items:write'], disabled: false },
  { username: 'carol', password: 'secret', scopes: ['items:read'], disabled: false },
  { username: 'bob', password: 'secret', scopes: ['items:read'], disabled: true }
])

/** `example.db` at the repository root, whatever the current directory is. */
export const DEFAULT_DB_PATH = fileURLToPath(new URL('../example.db', import.meta.url))

/**
 * The database path: `EXAMPLE_DB` when set (relative paths are taken from the current directory;
 * `:memory:` keeps everything in memory), the repository's `example.db` otherwise.
 */
export function dbPathFromEnv (env: NodeJS.ProcessEnv = process.env): string {
  const value = env.EXAMPLE_DB
  if (value === undefined || value === '') return DEFAULT_DB_PATH
  return value === ':memory:' ? value : resolve(value)
}

/** The HTTP server's time limits (milliseconds) and connection cap: how long a slow client can hold on. */
export interface ServerLimits {
  /** The request line and headers must arrive within this (Node's `headersTimeout`). Env `HEADERS_TIMEOUT_MS`. */
  headersTimeout: number
  /** The whole request, body included, must arrive within this (`requestTimeout`). Env `REQUEST_TIMEOUT_MS`. */
  requestTimeout: number
  /** Idle time allowed between two requests on a kept-alive connection (`keepAliveTimeout`). Env `KEEP_ALIVE_TIMEOUT_MS`. */
  keepAliveTimeout: number
  /**
   * How often Node looks for connections past `headersTimeout` or `requestTimeout`
   * (`connectionsCheckingInterval`, 30 s in Node): a slow client can outlast a limit by up to this.
   * Env `CONNECTIONS_CHECKING_INTERVAL_MS`.
   */
  connectionsCheckingInterval: number
  /** Open connections at most; Node closes further ones as soon as it accepts them (`server.maxConnections`). Env `MAX_CONNECTIONS`. */
  maxConnections: number
}

/** The limits of the example server when the environment sets none. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  maxConnections: 1_000
})

/** The environment variable of each limit. */
export const SERVER_LIMIT_VARIABLES: Readonly<Record<keyof ServerLimits, string>> = Object.freeze({
  headersTimeout: 'HEADERS_TIMEOUT_MS',
  requestTimeout: 'REQUEST_TIMEOUT_MS',
  keepAliveTimeout: 'KEEP_ALIVE_TIMEOUT_MS',
  connectionsCheckingInterval: 'CONNECTIONS_CHECKING_INTERVAL_MS',
  maxConnections: 'MAX_CONNECTIONS'
})

/** Node's timers hold at most this many milliseconds (a longer delay becomes 1 ms). */
const MAX_LIMIT = 2_147_483_647

/**
 * The server limits: each variable of {@link SERVER_LIMIT_VARIABLES} when set, a positive integer
 * (0, which turns a Node limit off, is refused), the default otherwise. The headers may not be
 * given longer than the whole request: Node would then take the headers' limit as the request's.
 */
export function serverLimitsFromEnv (env: NodeJS.ProcessEnv = process.env): ServerLimits {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS }
  for (const key of Object.keys(SERVER_LIMIT_VARIABLES) as Array<keyof ServerLimits>) {
    const name = SERVER_LIMIT_VARIABLES[key]
    const value = env[name]
    if (value === undefined || value === '') continue
    const number = Number(value)
    if (!/^[1-9][0-9]*$/.test(value) || number > MAX_LIMIT) {
      throw new Error(`${name} must be an integer from 1 to ${MAX_LIMIT}, got ${JSON.stringify(value)}`)
    }
    limits[key] = number
  }
  if (limits.headersTimeout > limits.requestTimeout) {
    throw new Error(`HEADERS_TIMEOUT_MS (${limits.headersTimeout}) must not be more than REQUEST_TIMEOUT_MS (${limits.requestTimeout})`)
  }
  return limits
}

/**
 * Where the example keeps its sessions (refresh-token families, revoked access tokens and
 * "log out everywhere" times) without REDIS_URL: in this process's memory (lost on restart: users
 * log in again). With REDIS_URL, servers that must act as one share the Redis store of
 * examples/redis.ts instead.
 */
export function tokenStoreFromEnv (): TokenStore {
  return new MemoryTokenStore()
}
