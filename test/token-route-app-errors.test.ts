// The token route shapes only its own errors: an app's hooks and plugins keep their status,
// headers and body on it.
import fastifyRateLimit from '@fastify/rate-limit'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import fastifyPasswordBearer from '../lib/index.js'
import { buildApp, demoUsers, FORM, SECRET } from './support.js'

async function appWith (configure: (app: FastifyInstance) => Promise<void> | void) {
  const users = await demoUsers()
  const app = Fastify()
  await configure(app)
  await app.register(fastifyPasswordBearer, { secret: SECRET, rateLimit: false, users: { findByUsername: (name) => users.get(name) ?? null } })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

const login = (app: FastifyInstance, headers: Record<string, string> = {}) => app.inject({
  method: 'POST', url: '/token', headers: { ...FORM, ...headers }, payload: 'grant_type=password&username=alice&password=secret'
})

t.test('a global @fastify/rate-limit answers its own 429 on the token route', async (t) => {
  const app = await appWith(async (app) => { await app.register(fastifyRateLimit, { max: 2, timeWindow: 60_000 }) })
  t.equal((await login(app)).statusCode, 200)
  t.equal((await login(app)).statusCode, 200)
  const limited = await login(app)
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { statusCode: 429, error: 'Too Many Requests' }, "@fastify/rate-limit's own body")
  t.ok(limited.headers['retry-after'], 'its Retry-After')
  t.equal(limited.headers['x-ratelimit-limit'], '2', 'its headers')
})

t.test("an app's access guard keeps its 403, and its 503 stays a 503", async (t) => {
  const app = await appWith((app) => {
    app.addHook('onRequest', async (request) => {
      const status = Number(request.headers['x-guard'])
      if (status > 0) throw Object.assign(new Error(status === 403 ? 'blocked by the app' : 'maintenance'), { statusCode: status })
    })
  })
  const forbidden = await login(app, { 'x-guard': '403' })
  t.equal(forbidden.statusCode, 403)
  t.match(forbidden.json(), { statusCode: 403, message: 'blocked by the app' })
  const down = await login(app, { 'x-guard': '503' })
  t.equal(down.statusCode, 503)
  t.match(down.json(), { statusCode: 503, message: 'maintenance' })
  t.equal((await login(app)).statusCode, 200, 'without the guard, a login')
})

t.test("an app's own error handler answers the app's errors on the token route", async (t) => {
  const app = await appWith((app) => {
    app.setErrorHandler(async (error, _request, reply) => reply.code((error as { statusCode?: number }).statusCode ?? 500).send({ app: 'handled', message: (error as Error).message }))
    app.addHook('preHandler', async (request) => {
      if (request.headers['x-fail'] !== undefined) throw Object.assign(new Error('app says no'), { statusCode: 418 })
    })
  })
  const res = await login(app, { 'x-fail': '1' })
  t.equal(res.statusCode, 418)
  t.same(res.json(), { app: 'handled', message: 'app says no' })
  const own = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: 'grant_type=password&username=alice&password=wrong' })
  t.same(own.json(), { error: 'invalid_grant', error_description: 'The username or password is incorrect' }, 'its own refusals stay RFC 6749')
  const unreadable = await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json' }, payload: '{}' })
  t.equal(unreadable.statusCode, 400)
  t.match(unreadable.json(), { error: 'invalid_request' }, 'and so does its form-body check')
})

t.test('protected answers are not cached: no-store and Vary: Authorization, unless the route sets its own Cache-Control', async (t) => {
  const { app } = await buildApp({ rateLimit: false }, (app) => {
    app.get('/cached', { preHandler: app.authenticate }, async (_request, reply) => reply.header('cache-control', 'private, max-age=60').header('vary', 'Accept').send('ok'))
    app.get('/open', async () => 'open')
  })
  t.teardown(() => app.close())
  const token = (await login(app)).json().access_token as string
  const get = (url: string, authorization?: string) => app.inject({ url, headers: authorization === undefined ? {} : { authorization } })
  for (const [what, res] of [
    ['200', await get('/me', `Bearer ${token}`)],
    ['401', await get('/me')],
    ['400', await get('/me', 'Bearer')],
    ['optional route, guest', await get('/hello')]
  ] as const) {
    t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`)
    t.equal(res.headers.vary, 'Authorization', `${what}: Vary`)
  }
  const own = await get('/cached', `Bearer ${token}`)
  t.equal(own.headers['cache-control'], 'private, max-age=60', "the route's own Cache-Control is kept")
  t.equal(own.headers.vary, 'Accept, Authorization', 'Vary gains Authorization')
  t.equal((await get('/open')).headers['cache-control'], undefined, 'an unprotected route is untouched')
})

t.test('a scope protected with addHook answers no-store too, though the plugin never sees its routes', async (t) => {
  const { app } = await buildApp({ rateLimit: false }, async (app) => {
    await app.register(async (scope) => {
      scope.addHook('preHandler', scope.authenticate)
      scope.get('/scoped', async () => 'ok')
      scope.get('/scoped-own', async (_request, reply) => reply.header('cache-control', 'private, max-age=60').send('ok'))
    })
    await app.register(async (scope) => {
      scope.addHook('onRequest', scope.requireScopes('items:write'))
      scope.get('/writers', async () => 'ok')
    })
  })
  t.teardown(() => app.close())
  const token = async (username: string) => (await app.inject({
    method: 'POST', url: '/token', headers: FORM, payload: `grant_type=password&username=${username}&password=secret`
  })).json().access_token as string
  const alice = `Bearer ${await token('alice')}`
  const carol = `Bearer ${await token('carol')}`
  const get = (url: string, authorization?: string) => app.inject({ url, headers: authorization === undefined ? {} : { authorization } })
  for (const [what, res, status] of [
    ['preHandler scope, 200', await get('/scoped', alice), 200],
    ['preHandler scope, 401', await get('/scoped'), 401],
    ['onRequest scope, 200', await get('/writers', alice), 200],
    ['onRequest scope, 403', await get('/writers', carol), 403],
    ['onRequest scope, 400', await get('/writers', 'Bearer'), 400]
  ] as const) {
    t.equal(res.statusCode, status, what)
    t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`)
    t.equal(res.headers.vary, 'Authorization', `${what}: Vary`)
  }
  t.equal((await get('/scoped-own', alice)).headers['cache-control'], 'private, max-age=60', "a handler's own Cache-Control is kept")
})
