/**
 * What the suite measures: one entry per row of the results table, in the order the rounds run
 * them and the table shows them. The servers behind them are built by bench/server.ts.
 */
import { LIMIT_PATH, type ServerConfig } from './servers/common.js'

export interface Scenario {
  id: string
  name: string
  server: ServerConfig
  /** Which Authorization header the server handed out (none: no header). */
  auth?: string
  /** Replace the token's signature with random characters on every request. */
  spray?: boolean
  /**
   * Send, instead of an Authorization header, an `x-padding` header of the same length as this one
   * of the server's: a request of the same size that no hook reads.
   */
  padding?: string
  /** The status every response must have. */
  status: number
  /** The body a 200 must have. @default '{"hello":"world"}' */
  body?: string
  /**
   * Measure against the server process of this earlier scenario instead of a new one: a pair that
   * differs only in the request (a route with and without a token) then shares its process too.
   */
  sameServerAs?: string
  /** The path to load instead of the server's own (another route of the same process). */
  path?: string
  /**
   * The scenario whose req/s this one is a share of, and what to call it. By default, the bare route
   * of the scenario's own server process, sent the same request headers (a refresh row: its bare
   * form route, sent the same bodies).
   */
  reference?: { id: string, label: string }
  /**
   * Send the server's distinct tokens (`ServerConfig.tokens`) as the Authorization header,
   * round-robin, the next one on every request; the bare route of the process gets the same.
   */
  tokens?: boolean
  /** With `tokens`: the bare route of the process gets the first token on every request instead. */
  referenceOneToken?: boolean
  /**
   * POST /token with `grant_type=refresh_token`, a live refresh token per request, against the
   * process's bare form route (bench/refresh-load.ts). Needs a sessions server.
   */
  refresh?: boolean
  /** A name `--only` also accepts for this scenario and the others of its group. */
  group?: string
  target?: number
}

const PLUGIN: ServerConfig = { kind: 'plugin', hook: 'preHandler', verifyCacheSize: 1000 }

/** More distinct live tokens than the plugin's default verifyCacheSize (1000) holds. */
const TOKENS = 10_000
const MANY = { tokens: true, group: 'many-tokens', status: 200 } as const

/** The server configuration of the login flood: the plugin's, with this argon2 concurrency cap. */
export function floodServer (maxConcurrentHashes: number): ServerConfig {
  return { ...PLUGIN, maxConcurrentHashes }
}

// Sessions on (bench/servers/sessions.ts), the token store in the server's memory or in the
// runner's private redis-server: a valid token checked against the local revocation list (no store
// call), and refreshes (bench/refresh-load.ts). Each store's pair of rows shares one server process.
const SESSIONS_MEMORY: ServerConfig = { kind: 'sessions', hook: 'preHandler', verifyCacheSize: 1000, tokenStore: 'memory' }
const SESSIONS_REDIS: ServerConfig = { ...SESSIONS_MEMORY, tokenStore: 'redis' }
const SESSIONS = { group: 'sessions', status: 200 } as const
const SESSION_SCENARIOS: Scenario[] = [
  { id: 'valid-revocation-memory', name: 'valid token, revocation on (memory store)', server: SESSIONS_MEMORY, auth: 'valid', target: 0.85, ...SESSIONS },
  { id: 'refresh-memory', name: 'refresh (memory store)', server: SESSIONS_MEMORY, refresh: true, sameServerAs: 'valid-revocation-memory', ...SESSIONS },
  { id: 'valid-revocation-redis', name: 'valid token, revocation on (Redis store)', server: SESSIONS_REDIS, auth: 'valid', target: 0.85, ...SESSIONS },
  { id: 'refresh-redis', name: 'refresh (Redis store)', server: SESSIONS_REDIS, refresh: true, sameServerAs: 'valid-revocation-redis', ...SESSIONS }
]

export const SCENARIOS: Scenario[] = [
  { id: 'bare', name: 'bare route (same JSON)', server: { kind: 'bare' }, status: 200 },
  { id: 'noop-hook', name: 'no-op preHandler (the floor of any hook)', server: { kind: 'noop-hook' }, status: 200 },
  { id: 'valid', name: 'valid token (preHandler)', server: PLUGIN, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-onrequest', name: 'valid token (onRequest)', server: { ...PLUGIN, hook: 'onRequest' }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-loaduser', name: 'valid token, loadUser returning the user', server: { ...PLUGIN, loadUser: 'sync' }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-loaduser-async', name: 'valid token, loadUser returning a promise', server: { ...PLUGIN, loadUser: 'async' }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-nocache', name: 'valid token, verifyCacheSize: 0', server: { ...PLUGIN, verifyCacheSize: 0 }, auth: 'valid', status: 200, target: 0.85 },
  // Asymmetric keys: the verified-token cache makes a known token cost the same whatever signed it.
  { id: 'valid-eddsa', name: 'valid token, EdDSA key (preHandler)', server: { ...PLUGIN, algorithm: 'EdDSA' }, auth: 'valid', status: 200, group: 'keys', target: 0.85 },
  { id: 'valid-es256', name: 'valid token, ES256 key (preHandler)', server: { ...PLUGIN, algorithm: 'ES256' }, auth: 'valid', status: 200, group: 'keys', target: 0.85 },
  { id: 'resource-valid', name: 'verify-only service: valid EdDSA token, keys from the issuer\'s JWKS', server: { kind: 'resource', hook: 'preHandler', algorithm: 'EdDSA' }, auth: 'valid', status: 200, group: 'keys', target: 0.85 },
  { id: 'no-token', name: 'rejected: no token', server: PLUGIN, status: 401, target: 0.6 },
  { id: 'malformed', name: 'rejected: malformed header', server: PLUGIN, auth: 'malformed', status: 400, target: 0.6 },
  { id: 'bad-signature', name: 'rejected: bad signature', server: PLUGIN, auth: 'bad-signature', status: 401, target: 0.6 },
  { id: 'bad-signature-spray', name: 'rejected: bad signature, a new one each request', server: PLUGIN, auth: 'valid', spray: true, status: 401, target: 0.6 },
  { id: 'expired', name: 'rejected: expired token', server: PLUGIN, auth: 'expired', status: 401, target: 0.6 },
  { id: 'peer-jwt', name: 'peer: @fastify/jwt jwtVerify()', server: { kind: 'fastify-jwt' }, auth: 'valid', status: 200 },
  { id: 'peer-jwt-bad-signature', name: 'peer: @fastify/jwt, bad signature', server: { kind: 'fastify-jwt' }, auth: 'bad-signature', status: 401 },
  { id: 'peer-bearer-auth', name: 'peer: @fastify/bearer-auth static key', server: { kind: 'bearer-auth' }, auth: 'valid', status: 200 },
  { id: 'example-guest', name: 'example app: GET /hello, no token (a header of the same size)', server: { kind: 'example' }, padding: 'valid', status: 200, body: '{"message":"Hello guest"}' },
  { id: 'example-token', name: 'example app: GET /hello, token, user re-loaded from SQLite', server: { kind: 'example' }, auth: 'valid', status: 200, body: '{"message":"Hello alice"}', sameServerAs: 'example-guest', reference: { id: 'example-guest', label: 'no token' }, target: 0.85 },
  // 10,000 distinct tokens round-robin: nearly every request brings a token no cache holds. The
  // first row checks that the load generator keeps up: the bare route with the 10,000 tokens
  // against the same route sent one of them every time.
  { id: 'bare-many-tokens', name: 'bare route, 10,000 distinct tokens round-robin', server: { kind: 'bare', tokens: TOKENS }, referenceOneToken: true, ...MANY },
  { id: 'valid-many-tokens', name: '10,000 distinct valid tokens (verifyCacheSize 1000)', server: { ...PLUGIN, tokens: TOKENS }, target: 0.45, ...MANY },
  { id: 'peer-jwt-many-tokens', name: 'peer: @fastify/jwt jwtVerify(), 10,000 distinct tokens', server: { kind: 'fastify-jwt', tokens: TOKENS }, ...MANY },
  // The limit in the plugin row's own process: separate processes of the same code served their
  // bare routes up to 20 % apart, which moved the two rows' ratios apart by as much.
  { id: 'bare-hmac-many-tokens', name: 'bare-HMAC limit: hand-written check, no cache, 10,000 tokens', server: { ...PLUGIN, tokens: TOKENS }, sameServerAs: 'valid-many-tokens', path: LIMIT_PATH, ...MANY },
  ...SESSION_SCENARIOS
]

/** The scenarios `--only` names, by id or group (all of them without it), in the suite's order. */
export function selectScenarios (only: string[] | undefined): Scenario[] {
  return SCENARIOS.filter((s) => only === undefined || only.includes(s.id) || (s.group !== undefined && only.includes(s.group)))
}

export function findScenario (id: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.id === id)
  if (scenario === undefined) throw new Error(`no scenario "${id}"; one of ${SCENARIOS.map((s) => s.id).join(', ')}`)
  return scenario
}
