// Type tests of an app that renames the plugin's decorators (the `decorators` option) next to the
// usual @fastify/jwt setup, which has its own `authenticate`: compiled by `npm run lint:types`, on
// its own, since the names merged here change Fastify's types for the whole program.
import fastifyJwt from '@fastify/jwt'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyPasswordBearer, { type AuthenticateHook, type PasswordBearerUser, type RequireScopes } from '../../../lib/index.js'

function use (..._values: unknown[]): void {}

// The names, once, for the types: the same as in the option below.
declare module '../../../lib/index.js' {
  interface PasswordBearerNames {
    authenticate: 'bearerAuth'
    requireScopes: 'bearerScopes'
    currentUser: 'bearerUser'
  }
}

// The app's own `authenticate` (the usual @fastify/jwt setup) keeps its own type.
declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

const app = Fastify()
await app.register(fastifyJwt, { secret: 'x'.repeat(32) })
app.decorate('authenticate', async function (request: FastifyRequest, reply: FastifyReply) {
  try { await request.jwtVerify() } catch (err) { reply.send(err) }
})
await app.register(fastifyPasswordBearer, {
  secret: 'x'.repeat(32),
  users: { findByUsername: () => null },
  scopes: { x: 'X' },
  decorators: { authenticate: 'bearerAuth', requireScopes: 'bearerScopes', currentUser: 'bearerUser', authenticateOptional: 'anyName' }
})
// @ts-expect-error the option must use the merged name
await app.register(fastifyPasswordBearer, { secret: 'x'.repeat(32), users: { findByUsername: () => null }, decorators: { authenticate: 'otherName' } })

const hook: AuthenticateHook = app.bearerAuth
const scopes: RequireScopes = app.bearerScopes
const theirs: (request: FastifyRequest, reply: FastifyReply) => Promise<void> = app.authenticate
app.get('/me', { onRequest: app.bearerAuth, preHandler: app.bearerScopes('x') }, async (request) => {
  const user: PasswordBearerUser | null = request.bearerUser
  // accessToken was not renamed: still typed under its default name
  const sub: string | undefined = request.accessToken?.sub
  // @ts-expect-error renamed: no currentUser
  use(request.currentUser)
  return { user, sub }
})
app.get('/jwt', { onRequest: app.authenticate }, async (request) => request.user)
// authenticateOptional was renamed without a merged name: typed under its default name only.
use(hook, scopes, theirs, app.authenticateOptional)
// @ts-expect-error renamed: no requireScopes
use(app.requireScopes)
