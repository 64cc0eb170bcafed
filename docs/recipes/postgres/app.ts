// An app whose users live in PostgreSQL.
import Fastify, { type FastifyInstance } from 'fastify'
import pg from 'pg'
import fastifyPasswordBearer from '../../../lib/index.js'
import { createUsersTable, postgresUsers } from './users.js'

export async function buildApp (options: { connectionString: string, secret: string }): Promise<FastifyInstance> {
  const app = Fastify()
  // Bounded below the plugin's userLookupTimeout (5 s): a stalled database fails requests, it does not pile them up.
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 10, connectionTimeoutMillis: 2000, query_timeout: 4000 })
  pool.on('error', (err) => app.log.error({ err }, 'an idle PostgreSQL connection failed')) // the next query reconnects
  app.addHook('onClose', async () => { await pool.end() })
  await pool.query(createUsersTable)

  await app.register(fastifyPasswordBearer, {
    secret: options.secret,
    ...postgresUsers(pool), // users and loadUser
    scopes: { 'items:read': 'Read items' }
  })
  app.get('/users/me', { onRequest: app.authenticate }, async (request) => request.currentUser)
  app.get('/items', { onRequest: app.requireScopes('items:read') }, async () => ['apple'])
  return app
}
