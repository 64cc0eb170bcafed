// One hook protects every route of an encapsulated scope; the rest of the app stays public.
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyPasswordBearer, { serializers, type UserStore } from '../../../lib/index.js'

export async function buildApp (options: { secret: string, users: UserStore, logLevel?: string }): Promise<FastifyInstance> {
  // The plugin logs protected routes' URLs without their query string when it sees their hooks; for
  // routes under a scope's hook, the exported serializers do it for the whole app.
  const app = Fastify({ logger: { level: options.logLevel ?? 'info', serializers } })
  await app.register(swagger, { openapi: { info: { title: 'Admin', version: '1.0.0' } } })
  await app.register(fastifyPasswordBearer, {
    secret: options.secret,
    users: options.users,
    scopes: { admin: 'Administer the shop' }
  })

  app.get('/health', async () => ({ ok: true })) // public

  await app.register(async (admin) => {
    // Every route below, those of nested plugins too; the hook marks their answers no-store.
    admin.addHook('onRequest', admin.requireScopes('admin'))
    // The plugin sees hooks set on a route, not added to a scope: give the scope's routes their security.
    admin.addHook('onRoute', (route) => {
      route.schema = { ...route.schema, security: [{ OAuth2PasswordBearer: ['admin'] }] }
    })
    admin.get('/users', async () => [{ username: 'alice' }])
    admin.delete('/users/:id', async (_request, reply) => reply.code(204).send())
  }, { prefix: '/admin' })

  return app
}
