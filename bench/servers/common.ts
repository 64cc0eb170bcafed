/**
 * What every benchmark server shares: its configuration and ready message (the runner's side of the
 * IPC), the JSON every route answers, the secret its tokens are signed with.
 */
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'

export type ServerKind = 'bare' | 'noop-hook' | 'plugin' | 'fastify-jwt' | 'bearer-auth' | 'busy' | 'example' | 'resource' | 'sessions'

export interface ServerConfig {
  kind: ServerKind
  /** Plugin only: where the hook runs. */
  hook?: 'onRequest' | 'preHandler'
  /** Plugin only: `verifyCacheSize`. */
  verifyCacheSize?: number
  /** Plugin only: `maxConcurrentHashes`. */
  maxConcurrentHashes?: number
  /** Plugin only: a `loadUser` that re-loads the user from a Map, returning it or a promise of it. */
  loadUser?: 'sync' | 'async'
  /** Plugin and resource only: the signing algorithm (a key set of one fresh key). @default 'HS256' (the `secret`) */
  algorithm?: 'HS256' | 'EdDSA' | 'ES256'
  /**
   * Hand out this many distinct live access tokens (`ReadyMessage.tokens`), signed as the plugin
   * signs them, one per user of as many users the server knows. The plugin's server then also
   * serves `LIMIT_PATH`, the hand-written check of the same tokens (servers/peers.ts, `limitCheck`).
   */
  tokens?: number
  /** Sessions only (servers/sessions.ts): where refresh-token families and revocations live. */
  tokenStore?: 'memory' | 'redis'
  /** Sessions with the Redis store: the private redis-server the runner started (bench/private-redis.ts). */
  redisUrl?: string
}

/** What the server tells the runner once it listens. */
export interface ReadyMessage {
  type: 'ready'
  port: number
  /** The path under load. */
  path: string
  /** The bare route of this process: the same JSON, no hook. */
  barePath: string
  /** Authorization header values for each path the runner can exercise. */
  headers: Record<string, string>
  /** A form body that logs in (plugin only). */
  loginBody?: string
  /** With `ServerConfig.tokens`: Authorization header values, each a distinct live token. */
  tokens?: string[]
  /**
   * Sessions only: the token route, which refreshes, and the process's bare form route (a POST that
   * parses the same form body and answers JSON of the same size). The runner asks for live refresh
   * tokens over IPC (bench/refresh-load.ts).
   */
  refresh?: { path: string, barePath: string }
}

export const BODY = { hello: 'world' }
export const BARE_PATH = '/bare'
export const LIMIT_PATH = '/limit'
export const USERNAME = 'alice'
export const PASSWORD = 'correct horse battery staple'
/**
 * The lifetime, in seconds, of every token the benchmark servers issue or hand out: a full run
 * measures for longer than the plugin's default 15 minutes, and a server's tokens are signed when
 * it starts.
 */
export const TOKEN_TTL = 7200
export const SECRET = randomBytes(32)
export const STATIC_KEY = randomBytes(24).toString('base64url')

/** Flips a character in the middle of the signature: same length, wrong bytes. */
export function tamper (token: string): string {
  const i = token.lastIndexOf('.') + 10
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)
}

/** A server as a builder returns it. */
export interface Built {
  app: FastifyInstance
  headers: Record<string, string>
  loginBody?: string
  path?: string
  refresh?: ReadyMessage['refresh']
}
