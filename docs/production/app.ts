// The production checklist (docs/production.md) as one app: each setting where the checklist names it.
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import fastifyPasswordBearer, { createKeySet, redactPaths, RedisTokenStore, serializers, type UserStore } from '../../lib/index.js'

export interface ProductionOptions {
  users: UserStore
  /** The signing key, read from a secret store or a mounted file: never in the code or the image. */
  privateKeyPem: string
  /** Where this service is reached, e.g. https://auth.example.com: the tokens' `iss`. */
  issuer: string
  /** The API the tokens are for, e.g. https://api.example.com: their `aud`. */
  audience: string
  /** The reverse proxies' addresses or ranges (trustProxy). */
  proxies: string[]
  /** Several instances: one Redis for all of them. */
  redisUrl?: string
  logLevel?: string
}

export async function buildApp (options: ProductionOptions): Promise<FastifyInstance> {
  const app = Fastify({
    trustProxy: options.proxies, // request.ip is the client's: the login throttle counts per client
    logger: {
      level: options.logLevel ?? 'info',
      serializers, // URLs without their query string
      redact: { paths: [...redactPaths], censor: '[redacted]' } // Authorization, cookies, passwords, tokens
    },
    // Slow clients: the headers within 10 s, the whole request within 30 s, checked every second.
    http: { headersTimeout: 10_000, connectionsCheckingInterval: 1_000 },
    requestTimeout: 30_000,
    keepAliveTimeout: 5_000,
    connectionTimeout: 30_000,
    bodyLimit: 16 * 1024
  })
  app.server.maxConnections = 1_000 // beyond it, Node closes new connections at once

  // Several instances share the sessions and the login counters through Redis.
  const redis = options.redisUrl === undefined ? undefined : new Redis(options.redisUrl)
  redis?.on('error', (err) => app.log.warn({ err }, 'redis')) // ioredis reconnects by itself
  const tokenStore = redis === undefined ? undefined : new RedisTokenStore({ client: redis, logger: app.log })
  app.addHook('onClose', async () => {
    tokenStore?.close()
    await redis?.quit()
  })

  await app.register(fastifyPasswordBearer, {
    keys: createKeySet([{ privateKey: options.privateKeyPem }]), // rotate with keys.add / use / remove
    users: options.users,
    issuer: options.issuer,
    audience: options.audience,
    refreshTokens: true,
    ...(tokenStore === undefined ? {} : { tokenStore }),
    rateLimit: redis === undefined ? {} : { redis }
  })
  app.get('/health', async () => ({ ok: true }))
  return app
}
