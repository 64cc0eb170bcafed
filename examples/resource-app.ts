/**
 * The example resource server: a separate API that only verifies the tokens the example server
 * (examples/app.ts, started with JWT_ALGORITHM=EdDSA) issues, with the issuer's public keys found
 * through its RFC 8414 metadata. No users, no secret, no token route: GET /reports needs the scope
 * items:read, and its Swagger UI's Authorize button logs in at the issuer.
 * `build()` returns the app without listening: `resource-server.ts` listens, the tests too.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyPasswordBearer, { redactPaths, serializers } from '../lib/index.js'
import { SCOPES } from './config.js'
import { DEFAULT_ISSUER } from './signing-key.js'

/** The resource identifier when RESOURCE_URL is not set. */
export const DEFAULT_RESOURCE = 'http://127.0.0.1:3001'

export interface ResourceBuildOptions {
  /** The issuer's URL: the tokens' `iss`, where its metadata and token route are. @default env ISSUER_URL, else 'http://127.0.0.1:3000' */
  issuerUrl?: string
  /** This API's URL (RFC 9728 resource identifier). @default env RESOURCE_URL, else 'http://127.0.0.1:3001' */
  resource?: string
  /** `true`, `false` or pino options. @default false */
  logger?: boolean | { level?: string, stream?: NodeJS.WritableStream }
  /** Where ISSUER_URL and RESOURCE_URL are read from. @default process.env */
  env?: NodeJS.ProcessEnv
}

const REPORTS = Object.freeze([
  { id: 'q1', title: 'First quarter', items: 12 },
  { id: 'q2', title: 'Second quarter', items: 31 }
])

const report = {
  type: 'object',
  required: ['id', 'title', 'items'],
  properties: { id: { type: 'string' }, title: { type: 'string' }, items: { type: 'integer' } }
} as const

const errorBody = { type: 'object', properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } } } as const

function fromEnv (value: string | undefined, fallback: string): string {
  return value === undefined || value === '' ? fallback : value
}

/**
 * @example
 * const app = await build({ issuerUrl: 'http://127.0.0.1:3000' })
 * await app.listen({ port: 3001 })
 */
export async function build (options: ResourceBuildOptions = {}): Promise<FastifyInstance> {
  const env = options.env ?? process.env
  const issuerUrl = options.issuerUrl ?? fromEnv(env.ISSUER_URL, DEFAULT_ISSUER)
  const resource = options.resource ?? fromEnv(env.RESOURCE_URL, DEFAULT_RESOURCE)
  const logger = options.logger === undefined || options.logger === false
    ? false
    : { level: 'info', ...(options.logger === true ? {} : options.logger), serializers, redact: [...redactPaths] }
  const app = Fastify({ logger })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'fastify-password-bearer example resource server',
        version: '1.0.0',
        description: `Reports, protected by tokens of the issuer at ${issuerUrl}. Click **Authorize** and log in ` +
          'as `alice` / `secret` or `carol` / `secret` (at the issuer), then try GET /reports.'
      }
    }
  })
  // Verify-only: the issuer's keys come from its metadata (<issuer>/.well-known/oauth-authorization-server).
  await app.register(fastifyPasswordBearer, {
    issuer: issuerUrl,
    resource,
    remoteKeys: {},
    scopes: { ...SCOPES }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs', 302))
  app.get('/reports', {
    onRequest: app.requireScopes('items:read'),
    schema: {
      summary: 'List reports (scope items:read)',
      response: {
        200: { type: 'object', properties: { user: { type: 'string' }, reports: { type: 'array', items: report } } },
        401: { ...errorBody, description: 'No token, or an invalid or expired one' },
        403: { ...errorBody, description: 'The token lacks items:read' },
        503: { ...errorBody, description: 'The issuer\'s keys could not be fetched yet' }
      }
    }
  }, async (request) => ({ user: request.currentUser?.username, reports: REPORTS }))
  return app
}
