// Bearer tokens and API keys on the same app, combined per route with @fastify/auth.
import fastifyAuth from '@fastify/auth'
import createError from '@fastify/error'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { createHash, timingSafeEqual } from 'node:crypto'
import fastifyPasswordBearer, { type UserStore } from '../../../lib/index.js'

const BadApiKey = createError('APP_BAD_API_KEY', 'send a valid key in the x-api-key header', 401)

/** A check of the `x-api-key` header against the app's keys, in constant time (SHA-256 first: lengths do not show). */
function apiKeyCheck (keys: string[]) {
  const digest = (key: string): Buffer => createHash('sha256').update(key).digest()
  const known = keys.map(digest)
  return function verifyApiKey (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    const sent = request.headers['x-api-key']
    const candidate = digest(typeof sent === 'string' ? sent : '')
    let match = false
    for (const key of known) match = timingSafeEqual(key, candidate) || match
    done(match && typeof sent === 'string' ? undefined : new BadApiKey())
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    verifyApiKey: ReturnType<typeof apiKeyCheck>
  }
}

export async function buildApp (options: { secret: string, users: UserStore, apiKeys: string[] }): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(swagger, {
    openapi: {
      info: { title: 'Reports', version: '1.0.0' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } }
    }
  })
  await app.register(fastifyAuth)
  await app.register(fastifyPasswordBearer, {
    secret: options.secret,
    users: options.users,
    scopes: { 'reports:read': 'Read reports', 'reports:write': 'Write reports' }
  })
  app.decorate('verifyApiKey', apiKeyCheck(options.apiKeys))

  // Either a token or a key. The plugin's hook comes last: with neither, its 401 and Bearer challenge answer.
  app.get('/reports', {
    preHandler: app.auth([app.verifyApiKey, app.requireScopes('reports:read').passError]),
    schema: { security: [{ apiKey: [] }, { OAuth2PasswordBearer: ['reports:read'] }] } // @fastify/auth's hooks are not seen: say it
  }, async (request) => ({ reader: request.currentUser?.username ?? 'api key' }))

  // Both: a token with the scope, and a key.
  app.post('/reports', {
    preHandler: app.auth([app.requireScopes('reports:write').passError, app.verifyApiKey], { relation: 'and' }),
    schema: { security: [{ apiKey: [], OAuth2PasswordBearer: ['reports:write'] }] }
  }, async (request, reply) => reply.code(201).send({ author: request.currentUser!.username }))

  return app
}
