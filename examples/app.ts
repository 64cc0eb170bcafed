/**
 * The example app: fastify-password-bearer over a SQLite user store, with Swagger UI at /docs.
 * `build()` returns the app without listening: `server.ts` listens, the tests use `inject`.
 */
import cors from '@fastify/cors'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import fastifyPasswordBearer, { createKeySet, redactPaths, serializers, type FastifyPasswordBearerOptions, type HashOptions, type TokenStore } from '../lib/index.js'
import { dbPathFromEnv, SCOPES, serverLimitsFromEnv, tokenStoreFromEnv, type ServerLimits } from './config.js'
import { connectRedis, redisUrlFromEnv, type ExampleRedis } from './redis.js'
import { algorithmFromEnv, corsOriginsFromEnv, issuerFromEnv, loadOrCreateKey, type ExampleAlgorithm } from './signing-key.js'
import { openStore, type ExampleStore } from './store.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The example's SQLite store (users and items); closed with the app. */
    exampleStore: ExampleStore
  }
}

export interface BuildOptions {
  /** SQLite database path; `:memory:` for a private in-memory one. @default env EXAMPLE_DB, else `<repo>/example.db` */
  dbPath?: string
  /** JWT signing secret, at least 32 bytes. @default env JWT_SECRET, else a random one per start (with a warning) */
  secret?: string | Buffer
  /** `true`, `false` or Fastify/pino logger options (e.g. `{ level: 'info', stream }`). @default false */
  logger?: boolean | Exclude<FastifyServerOptions['logger'], boolean | undefined>
  /** argon2id parameters for new hashes, re-hashing and the demo users. @default the plugin's (OWASP baseline) */
  hash?: HashOptions
  /** Access token lifetime in seconds. @default 900 */
  accessTokenTtl?: number
  /** Throttling of POST /token (see the plugin's `rateLimit` option). @default the plugin's */
  rateLimit?: FastifyPasswordBearerOptions['rateLimit']
  /**
   * Redis for the session state and the brute-force counters, shared by every instance using it.
   * @default env REDIS_URL, else everything stays in this process's memory
   */
  redisUrl?: string
  /** Where JWT_SECRET, EXAMPLE_DB, REDIS_URL and the server limits (examples/config.ts) are read from. @default process.env */
  env?: NodeJS.ProcessEnv
  /** Where refresh tokens and revocations live. @default tokenStoreFromEnv() (examples/config.ts) */
  tokenStore?: TokenStore
  // ---- keys and discovery (examples/signing-key.ts) ----
  /** `EdDSA`: sign with an Ed25519 key kept beside the database, and serve the JWKS. @default env JWT_ALGORITHM, else 'HS256' */
  algorithm?: ExampleAlgorithm
  /** The tokens' `iss` and the base of the metadata's URLs. @default env ISSUER, else 'http://127.0.0.1:3000' */
  issuer?: string
  /** Origins whose pages may log in from a browser (the resource server's Swagger UI). @default env CORS_ORIGINS, else the resource server's */
  corsOrigins?: string[]
}

const MIN_SECRET_BYTES = 32
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

const DESCRIPTION = `Example server of **fastify-password-bearer**: OAuth2 password flow and Bearer tokens for Fastify.

Click **Authorize**, log in as \`alice\` / \`secret\` (scopes items:read items:write) or \`carol\` / \`secret\`
(items:read only; bob is disabled), leave client_id and client_secret empty, then use **Try it out** on a route.

A login also answers a refresh token: exchange it at \`POST /token\` with \`grant_type=refresh_token\`, log out
with \`POST /revoke\`, or end every session of the current user with \`DELETE /users/me/sessions\`.`

// ---- JSON schemas, shared by the routes (they make the OpenAPI document at /docs/json) ----

const errorBody = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'Stable error code, e.g. FST_PWB_INVALID_TOKEN' },
    error: { type: 'string' },
    message: { type: 'string' }
  }
} as const

const authErrors = {
  400: { ...errorBody, description: 'Malformed Authorization header (WWW-Authenticate: Bearer error="invalid_request")' },
  401: { ...errorBody, description: 'No token, or an invalid or expired one, or its user is disabled or deleted (WWW-Authenticate: Bearer)' }
} as const

const scopeErrors = {
  ...authErrors,
  403: { ...errorBody, description: 'The token lacks a required scope (WWW-Authenticate: Bearer error="insufficient_scope")' }
} as const

const message = {
  type: 'object',
  required: ['message'],
  properties: { message: { type: 'string', examples: ['Hello alice'] } }
} as const

const user = {
  type: 'object',
  required: ['id', 'username', 'scopes'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    username: { type: 'string', examples: ['alice'] },
    scopes: { type: 'array', items: { type: 'string' }, description: 'Scopes granted to this token and still held by the user' }
  }
} as const

const item = {
  type: 'object',
  required: ['id', 'name', 'createdBy'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: { type: 'string', examples: ['Notebook'] },
    createdBy: { type: 'string', description: 'Username of the creator', examples: ['alice'] }
  }
} as const

const newItem = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', minLength: 1, maxLength: 100, pattern: '\\S', examples: ['Notebook'] } }
} as const

function resolveSecret (options: BuildOptions, env: NodeJS.ProcessEnv): { secret: string | Buffer, random: boolean } {
  if (options.secret !== undefined) return { secret: options.secret, random: false }
  const fromEnv = env.JWT_SECRET
  if (fromEnv === undefined || fromEnv === '') return { secret: randomBytes(32), random: true }
  if (Buffer.byteLength(fromEnv) < MIN_SECRET_BYTES) {
    throw new Error(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes; generate one with: ` +
      'node -e "console.log(require(\'node:crypto\').randomBytes(32).toString(\'base64url\'))"')
  }
  return { secret: fromEnv, random: false }
}

function loggerOptions (logger: BuildOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false
  const base = logger === true ? {} : logger
  return {
    level: 'info',
    ...base,
    // Requests are logged without their query string (a client may put a password there).
    serializers: { ...base.serializers, ...serializers },
    redact: [...redactPaths]
  }
}

/**
 * At most `maxConnections` open connections: Node closes further ones as soon as it accepts them.
 * Fastify has no option for it; the server exists from `Fastify()` on. A warning is logged at most
 * once a minute while connections are refused, so a flood does not turn into a flood of log lines.
 */
function capConnections (app: FastifyInstance, limits: ServerLimits): void {
  app.server.maxConnections = limits.maxConnections
  let refused = 0
  let warnedAt = -Infinity
  app.server.on('drop', () => {
    refused++
    const now = Date.now()
    if (now - warnedAt < 60_000) return
    app.log.warn({ refused, maxConnections: limits.maxConnections }, 'connection cap reached: new connections are closed')
    warnedAt = now
    refused = 0
  })
}

/**
 * Builds the example app (not listening). Close it with `app.close()`: that closes the database too.
 *
 * @example
 * const app = await build({ dbPath: ':memory:', secret: 'a secret of at least thirty-two bytes!' })
 * const res = await app.inject({ method: 'GET', url: '/hello' }) // {"message":"Hello guest"}
 */
export async function build (options: BuildOptions = {}): Promise<FastifyInstance> {
  const env = options.env ?? process.env
  const { secret, random } = resolveSecret(options, env)

  const limits = serverLimitsFromEnv(env)

  const app = Fastify({
    logger: loggerOptions(options.logger),
    // Time limits: a slow or idle client cannot hold a connection for long (docs/security.md).
    // Node checks headersTimeout and requestTimeout only every connectionsCheckingInterval (30 s by
    // default): without a short interval a request outlives its limit by up to that much. Node's
    // headersTimeout is 60 s unless set, and Node takes the longer of the two as the request limit.
    // Both are options of http.createServer, hence `http`; requestTimeout and keepAliveTimeout are
    // Fastify's own (it sets them on the server it creates, over any value given in `http`).
    http: { headersTimeout: limits.headersTimeout, connectionsCheckingInterval: limits.connectionsCheckingInterval },
    requestTimeout: limits.requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeout,
    // A connection with no traffic either way (e.g. a client that stops reading its answer).
    connectionTimeout: 30_000,
    // JSON bodies here are small (the token route sets its own 4 KiB limit).
    bodyLimit: 16 * 1024,
    // Refuse what the schemas do not allow instead of silently fixing it (Fastify's defaults
    // remove unknown properties and coerce types).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } }
  })
  capConnections(app, limits)
  if (random && (options.algorithm ?? algorithmFromEnv(env)) === 'HS256') {
    app.log.warn('JWT_SECRET is not set: using a random secret for this run; tokens stop working when the server restarts')
  }

  const dbPath = options.dbPath ?? dbPathFromEnv(env)
  const store = await openStore(dbPath, { hash: options.hash })
  app.decorate('exampleStore', store)
  app.addHook('onClose', async () => { store.close() })
  const redisUrl = options.redisUrl ?? redisUrlFromEnv(env)
  const redis = redisUrl === undefined ? undefined : connectRedis(redisUrl, app.log)
  if (redis !== undefined) app.addHook('onClose', redis.close)

  try {
    await register(app, store, signingOptions(app, options, env, dbPath, secret), options, redis)
  } catch (err) {
    store.close()
    await redis?.close()
    await app.close().catch(() => {})
    throw err
  }
  return app
}

/**
 * The plugin's key and issuer options: HS256 with the secret, or EdDSA with the key kept beside the
 * database (the secret then only keys the throttle's username hashes, as JWT_SECRET did before).
 */
function signingOptions (app: FastifyInstance, options: BuildOptions, env: NodeJS.ProcessEnv, dbPath: string, secret: string | Buffer): Partial<FastifyPasswordBearerOptions> {
  const issuer = options.issuer ?? issuerFromEnv(env)
  if ((options.algorithm ?? algorithmFromEnv(env)) === 'HS256') return { secret, issuer }
  const key = loadOrCreateKey(dbPath)
  if (key.created) app.log.info({ path: key.path ?? ':memory:' }, 'generated an Ed25519 signing key')
  return { keys: createKeySet([{ privateKey: key.privateKey }]), secret, issuer }
}

async function register (app: FastifyInstance, store: ExampleStore, signing: Partial<FastifyPasswordBearerOptions>, options: BuildOptions, redis: ExampleRedis | undefined): Promise<void> {
  // Before the plugin, so its token route answers the browser's preflight: Swagger UI on another
  // origin (the resource server's) logs in here.
  const origins = options.corsOrigins ?? corsOriginsFromEnv(options.env ?? process.env)
  if (origins.length > 0) await app.register(cors, { origin: origins })

  // @fastify/swagger goes BEFORE the plugin, so the plugin can publish its security scheme and mark
  // the routes it protects.
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'fastify-password-bearer example', version: VERSION, description: DESCRIPTION },
      tags: [
        { name: 'auth', description: 'Log in, refresh, log out' },
        { name: 'greetings', description: 'Hello routes' },
        { name: 'users', description: 'The current user' },
        { name: 'items', description: 'Items: read with items:read, create with items:write' }
      ]
    }
  })

  await app.register(fastifyPasswordBearer, {
    ...signing,
    users: store.users,
    scopes: { ...SCOPES },
    hash: options.hash,
    accessTokenTtl: options.accessTokenTtl,
    // Refresh tokens (30 days, 7 days idle), the revocation route POST /revoke and revokeUserSessions.
    // Their state and the login counters live in Redis when REDIS_URL is set, in this process otherwise.
    refreshTokens: true,
    tokenStore: options.tokenStore ?? redis?.tokenStore ?? tokenStoreFromEnv(),
    rateLimit: redis === undefined || options.rateLimit === false ? options.rateLimit : { ...options.rateLimit, redis: redis.client },
    // Re-load the user on each request: a user disabled or deleted after login is refused at once.
    loadUser: (claims) => {
      const found = store.users.findById(claims.sub)
      if (found === null) return null
      return { id: found.id, username: found.username, scopes: found.scopes, disabled: found.disabled }
    }
  })

  await app.register(swaggerUi, { routePrefix: '/docs' })

  // Server faults answer without internals; client errors keep Fastify's shape and code.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
    if (status === 503) {
      // A store that is not answering (the token store, for DELETE /users/me/sessions): retry later.
      request.log.error({ err: error }, 'request failed: a store is not answering')
      return reply.code(503).header('retry-after', '5').send({ statusCode: 503, code: 'EXAMPLE_UNAVAILABLE', error: 'Service Unavailable', message: 'A store the server needs is not answering; retry after the Retry-After delay' })
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed')
      return reply.code(500).send({ statusCode: 500, code: 'EXAMPLE_SERVER_ERROR', error: 'Internal Server Error', message: 'The server failed; see its log' })
    }
    request.log.info({ code: error.code, statusCode: status }, 'request refused')
    // Validation messages name the schema rule; other messages (a JSON parse error quotes the body)
    // are not echoed.
    const message = error.validation !== undefined ? error.message : (STATUS_CODES[status] ?? 'Bad Request')
    return reply.code(status).send({ statusCode: status, code: error.code, error: STATUS_CODES[status], message })
  })

  // Fastify's default 404 echoes the method and URL, query string included: not here.
  app.setNotFoundHandler((_request, reply) => {
    return reply.code(404).send({ statusCode: 404, code: 'EXAMPLE_NOT_FOUND', error: 'Not Found', message: 'No route matches this method and path; see /docs' })
  })

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 302))

  // The hooks run in onRequest: the token is checked before any body is read.
  app.get('/protected', {
    onRequest: app.authenticate,
    schema: {
      tags: ['greetings'],
      summary: 'Greet the logged-in user',
      response: { 200: { ...message, description: 'A greeting by username' }, ...authErrors }
    }
  }, async (request) => ({ message: `Hello ${request.currentUser?.username ?? ''}` }))

  app.get('/users/me', {
    onRequest: app.authenticate,
    schema: {
      tags: ['users'],
      summary: 'The current user',
      description: 'Re-loaded from the database on each request; never includes the password hash.',
      response: { 200: { ...user, description: 'The current user' }, ...authErrors }
    }
  }, async (request) => {
    const current = request.currentUser
    return { id: current?.id, username: current?.username, scopes: current?.scopes }
  })

  app.delete('/users/me/sessions', {
    onRequest: app.authenticate,
    schema: {
      tags: ['users'],
      summary: 'Log out everywhere',
      description: 'Ends every session of the current user: every refresh token dies, and every access token issued until now (this one too) is refused.',
      response: {
        204: { type: 'null', description: 'Every session ended' },
        ...authErrors,
        503: { ...errorBody, description: 'The session store is not answering: retry later' }
      }
    }
  }, async (request, reply) => {
    await app.revokeUserSessions(request.currentUser?.id ?? '')
    return reply.code(204).send()
  })

  app.get('/items', {
    onRequest: app.requireScopes('items:read'),
    schema: {
      tags: ['items'],
      summary: 'List items (scope items:read)',
      response: { 200: { type: 'array', items: item, description: 'Every item, oldest first (at most 1000)' }, ...scopeErrors }
    }
  }, async () => store.items.list())

  app.post('/items', {
    onRequest: app.requireScopes('items:write'),
    bodyLimit: 1024,
    schema: {
      tags: ['items'],
      summary: 'Create an item (scope items:write)',
      body: newItem,
      response: {
        201: { ...item, description: 'The item created' },
        ...scopeErrors,
        400: { ...errorBody, description: 'Invalid JSON body or name, or a malformed Authorization header' }
      }
    }
  }, async (request, reply) => {
    const { name } = request.body as { name: string }
    reply.code(201)
    return store.items.add(name, request.currentUser?.username ?? '')
  })

  app.get('/hello', {
    onRequest: app.authenticateOptional,
    schema: {
      tags: ['greetings'],
      summary: 'Greet the user, or a guest without a token',
      description: 'Works without a token; a token that is sent must be valid.',
      response: { 200: { ...message, description: '"Hello <username>" or "Hello guest"' }, ...authErrors }
    }
  }, async (request) => ({ message: `Hello ${request.currentUser?.username ?? 'guest'}` }))
}
