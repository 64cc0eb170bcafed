// Behind a reverse proxy, under a route prefix: the client's address for the throttle, the token URL for Swagger UI.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyPasswordBearer, { type UserStore } from '../../../lib/index.js'

export interface ProxiedAppOptions {
  secret: string
  users: UserStore
  /** The proxies' addresses (or CIDR ranges) in front of the app: trustProxy. */
  proxies: string[]
}

export async function buildApp ({ secret, users, proxies }: ProxiedAppOptions): Promise<FastifyInstance> {
  // Trust X-Forwarded-For only from the proxies: request.ip is then the client's address, which the
  // login throttle counts per. Never `trustProxy: true` unless nothing but the proxy can reach the app.
  const app = Fastify({ trustProxy: proxies })

  await app.register(swagger, { openapi: { info: { title: 'My API', version: '1.0.0' } } })
  await app.register(async (api) => {
    await api.register(fastifyPasswordBearer, {
      secret,
      users,
      scopes: { 'items:read': 'Read items' },
      rateLimit: { address: { max: 20, timeWindow: 60_000 } } // per client, not per proxy
    })
    api.get('/me', { onRequest: api.authenticate }, async (request) => ({ username: request.currentUser!.username, ip: request.ip }))
  }, { prefix: '/api/v1' }) // the token route: POST /api/v1/token, and the document says so
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' })
  return app
}
