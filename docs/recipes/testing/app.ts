// The app under test: built by a function, so that tests build it without listening.
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyPasswordBearer, { type FastifyPasswordBearerOptions } from '../../../lib/index.js'

export async function buildApp (options: FastifyPasswordBearerOptions): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyPasswordBearer, { scopes: { 'items:read': 'Read items', 'items:write': 'Create items' }, ...options })
  app.get('/users/me', { onRequest: app.authenticate }, async (request) => request.currentUser)
  app.get('/items', { onRequest: app.requireScopes('items:read') }, async () => ['apple'])
  app.post('/items', { onRequest: app.requireScopes('items:write') }, async (_request, reply) => reply.code(201).send({ created: true }))
  return app
}
