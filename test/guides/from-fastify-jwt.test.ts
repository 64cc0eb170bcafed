/**
 * docs/from-fastify-jwt.md: an app in the middle of its move from @fastify/jwt (and
 * @fastify/bearer-auth) to the plugin. Old tokens keep working where the page says, new ones work
 * on the new routes and the shared ones, neither opens what it should not, and a request with no
 * token gets the answer it got before the move.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { hashPassword, type UserStore } from '../../lib/index.js'

interface MigratingApp {
  buildApp (options: { legacySecret: string, secret: string, users: UserStore, apiKeys: string[] }): Promise<FastifyInstance>
}
// Loaded by URL: the guide's app merges decorator names that would change Fastify's types for every
// file of the main type check (it has its own tsconfig.json, compiled by npm run lint:types).
const guide = new URL('../../docs/from-fastify-jwt/app.js', import.meta.url).href
const { buildApp } = await import(guide) as MigratingApp

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('old and new tokens side by side', async (t) => {
  const alice = { id: '7', username: 'alice', passwordHash: await hashPassword('secret', CHEAP) }
  const app = await buildApp({
    legacySecret: 'the-old-fastify-jwt-secret-0123456789',
    secret: 'the-new-plugin-secret-0123456789abcdef',
    users: { findByUsername: (u) => u === 'alice' ? alice : null },
    apiKeys: ['machine-key-1']
  })
  t.teardown(() => app.close())
  const oldToken = (app as unknown as { jwt: { sign (payload: object): string } }).jwt.sign({ username: 'alice' })
  const login = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: 'grant_type=password&username=alice&password=secret' })
  t.equal(login.statusCode, 200, "the plugin's token route")
  const newToken = login.json().access_token as string
  const get = (url: string, token?: string) => app.inject({ url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })

  t.equal((await get('/old/profile', oldToken)).json().username, 'alice', "@fastify/jwt's authenticate, unchanged")
  t.equal((await get('/old/profile', newToken)).statusCode, 401, 'which does not take the new tokens (another secret)')
  t.same((await get('/new/profile', newToken)).json(), { id: '7', username: 'alice', scopes: [] }, "the plugin's hook under its new name")
  t.equal((await get('/new/profile', oldToken)).statusCode, 401, 'which does not take the old tokens')

  t.same((await get('/profile', newToken)).json(), { id: '7', username: 'alice', scopes: [] }, 'a shared route: a new token')
  t.same((await get('/profile', oldToken)).json(), { username: 'alice', legacy: true }, 'a shared route: an old token')
  const before = await get('/old/profile')
  const shared = await get('/profile')
  t.equal(shared.statusCode, before.statusCode, 'no token: the status @fastify/jwt answered before the move')
  t.equal(shared.json().code, before.json().code, 'and its code')
  t.equal((await get('/profile', 'garbage')).statusCode, 401, 'a bad token of either kind is refused')

  t.same((await get('/machine/stats', 'machine-key-1')).json(), { requests: 42 }, '@fastify/bearer-auth keys on their own scope')
  t.equal((await get('/machine/stats', newToken)).statusCode, 401, 'which a user token does not open')
  t.equal((await get('/new/profile', 'machine-key-1')).statusCode, 401, 'and a key opens no user route')
})

t.test('without the decorators option the plugin refuses to start, naming it', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { default: fastifyJwt } = await import('@fastify/jwt')
  const { default: fastifyPasswordBearer } = await import('../../lib/index.js')
  const app = Fastify()
  await app.register(fastifyJwt, { secret: 'x'.repeat(32) })
  app.decorate('authenticate', async () => {})
  await t.rejects(async () => {
    await app.register(fastifyPasswordBearer, { secret: 'y'.repeat(32), users: { findByUsername: () => null } })
    await app.ready()
  }, { code: 'FST_PWB_DECORATOR_PRESENT', message: /decorators\.authenticate/ })
})
