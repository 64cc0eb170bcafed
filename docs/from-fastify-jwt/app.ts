// An app on @fastify/jwt and @fastify/bearer-auth in the middle of its move to this plugin: both
// kinds of tokens work while clients move over. Compiled apart from the rest of the repository
// (its tsconfig.json), since the names it merges change Fastify's types for the whole program.
import fastifyAuth from '@fastify/auth'
import fastifyBearerAuth from '@fastify/bearer-auth'
import fastifyJwt from '@fastify/jwt'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyPasswordBearer, { type UserStore } from '../../lib/index.js'

// #region before
// The usual @fastify/jwt setup: a login route of its own, `authenticate` and `request.user`.
declare module 'fastify' {
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
}

async function legacyJwt (app: FastifyInstance, secret: string): Promise<void> {
  await app.register(fastifyJwt, { secret })
  app.decorate('authenticate', async function (request: FastifyRequest, reply: FastifyReply) {
    try {
      await request.jwtVerify()
    } catch (err) {
      reply.send(err)
    }
  })
  app.get('/old/profile', { onRequest: app.authenticate }, async (request) => request.user)
}
// #endregion before

// #region names
// The plugin's decorators under other names: `authenticate` is @fastify/jwt's here.
declare module '../../lib/index.js' {
  interface PasswordBearerNames {
    authenticate: 'bearerAuth'
    currentUser: 'bearerUser'
  }
}
// #endregion names

export interface MigratingAppOptions {
  /** The @fastify/jwt secret of the tokens clients hold today. */
  legacySecret: string
  /** The plugin's own secret: another one, so that neither accepts the other's tokens by accident. */
  secret: string
  users: UserStore
  /** Static keys of machine clients (@fastify/bearer-auth). */
  apiKeys: string[]
}

export async function buildApp (options: MigratingAppOptions): Promise<FastifyInstance> {
  const app = Fastify()
  await legacyJwt(app, options.legacySecret)

  // #region side-by-side
  await app.register(fastifyAuth)
  await app.register(fastifyPasswordBearer, {
    secret: options.secret,
    users: options.users,
    decorators: { authenticate: 'bearerAuth', currentUser: 'bearerUser' } // FST_PWB_DECORATOR_PRESENT without it
  })

  // New routes: the plugin's tokens only.
  app.get('/new/profile', { onRequest: app.bearerAuth }, async (request) => request.bearerUser)

  // Routes that clients of both kinds call while they move over: the plugin's token, else the old
  // one. The plugin's check comes first and passes its refusal on (passError); @fastify/jwt's comes
  // last, so a request with neither gets the same answer as before the move.
  const oldToken = async (request: FastifyRequest): Promise<void> => { await request.jwtVerify() }
  app.get('/profile', { preHandler: app.auth([app.bearerAuth.passError, oldToken]) }, async (request) =>
    request.bearerUser ?? { username: (request.user as { username: string }).username, legacy: true })
  // #endregion side-by-side

  // #region bearer-auth
  // @fastify/bearer-auth's static keys, for machines, on routes of their own scope:
  await app.register(async (machines) => {
    await machines.register(fastifyBearerAuth, { keys: new Set(options.apiKeys) })
    machines.get('/machine/stats', async () => ({ requests: 42 }))
  })
  // #endregion bearer-auth
  return app
}
