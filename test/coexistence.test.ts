import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer from '../lib/index.js'
import { demoUsers, FORM, login, SECRET } from './support.js'

t.test('the plugin does not leak @fastify/jwt decorators to the app', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: (u) => users.get(u) } })
  await app.ready()
  t.notOk(app.hasDecorator('jwt'), 'no fastify.jwt')
  t.notOk(app.hasRequestDecorator('user'), 'no request.user')
  t.notOk(app.hasRequestDecorator('jwtVerify'), 'no request.jwtVerify')
  t.ok(app.hasRequestDecorator('currentUser'))
})

t.test('an app that registers @fastify/jwt itself works side by side', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyJwt, { secret: 'the-apps-own-key-the-apps-own-key!!' })
  await app.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: (u) => users.get(u) } })
  app.get('/mine', async (request) => { await request.jwtVerify(); return request.user })
  app.get('/ours', { preHandler: app.authenticate }, async (request) => request.currentUser?.id)
  await app.ready()
  const ours = await login(app)
  const theirs = app.jwt.sign({ hello: 'world' })
  t.equal((await app.inject({ url: '/ours', headers: { authorization: `Bearer ${ours}` } })).body, 'u-alice')
  t.match((await app.inject({ url: '/mine', headers: { authorization: `Bearer ${theirs}` } })).json(), { hello: 'world' })
  t.equal((await app.inject({ url: '/ours', headers: { authorization: `Bearer ${theirs}` } })).statusCode, 401, "the app's tokens are not ours")
})

t.test('the plugin registered twice under different token URLs keeps its hooks apart', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  const findByUsername = (u: string) => users.get(u)
  const hooks: Record<string, unknown> = {}
  for (const name of ['a', 'b']) {
    await app.register(async (scope) => {
      await scope.register(fastifyPasswordBearer, { secret: SECRET, tokenUrl: `/${name}/token`, realm: `realm-${name}`, users: { findByUsername } })
      hooks[name] = scope.authenticate
      scope.get(`/${name}/me`, { preHandler: scope.authenticate }, async (request) => `${name}:${request.currentUser?.id}`)
    })
  }
  await app.ready()
  t.type(hooks.a, 'function')
  t.type(hooks.b, 'function')
  t.not(hooks.a, hooks.b, 'each registration decorates its own scope with its own hook')
  t.notOk(app.hasDecorator('authenticate'), 'neither registration leaks its hooks to the app')
  t.equal((await app.inject({ method: 'POST', url: '/token', payload: 'grant_type=password&username=alice&password=secret', headers: FORM })).statusCode, 404, 'no token route at the default URL')

  const tokens: Record<string, string> = {}
  for (const name of ['a', 'b']) {
    const res = await app.inject({ method: 'POST', url: `/${name}/token`, payload: 'grant_type=password&username=alice&password=secret', headers: FORM })
    t.equal(res.statusCode, 200, `/${name}/token issues a token`)
    const body = res.json() as { access_token?: unknown, token_type?: unknown }
    t.type(body.access_token, 'string', `/${name}/token: access_token`)
    t.equal(body.token_type, 'Bearer', `/${name}/token: token_type`)
    tokens[name] = body.access_token as string
  }
  t.not(tokens.a, tokens.b)

  for (const name of ['a', 'b']) {
    const guest = await app.inject({ url: `/${name}/me` })
    t.equal(guest.statusCode, 401, `/${name}/me without a token: 401`)
    t.equal(guest.headers['www-authenticate'], `Bearer realm="realm-${name}"`, `/${name}/me is answered by its own registration`)
    const own = await app.inject({ url: `/${name}/me`, headers: { authorization: `Bearer ${tokens[name]}` } })
    t.equal(own.statusCode, 200, `/${name}/me accepts a token of /${name}/token`)
    t.equal(own.body, `${name}:u-alice`)
  }
  // Same secret, issuer and audience: the tokens are interchangeable (verification is stateless).
  t.equal((await app.inject({ url: '/b/me', headers: { authorization: `Bearer ${tokens.a}` } })).body, 'b:u-alice', 'a token of /a/token works on /b/me')
  t.equal((await app.inject({ url: '/a/me', headers: { authorization: `Bearer ${tokens.b}` } })).body, 'a:u-alice', 'a token of /b/token works on /a/me')
})

t.test('two registrations with their own audience refuse each other\'s tokens', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  const findByUsername = (u: string) => users.get(u)
  for (const name of ['a', 'b']) {
    await app.register(async (scope) => {
      await scope.register(fastifyPasswordBearer, { secret: SECRET, tokenUrl: `/${name}/token`, audience: `api-${name}`, users: { findByUsername } })
      scope.get(`/${name}/me`, { preHandler: scope.authenticate }, async (request) => `${name}:${request.currentUser?.id}`)
    })
  }
  await app.ready()
  const tokens: Record<string, string> = {}
  for (const name of ['a', 'b']) {
    const res = await app.inject({ method: 'POST', url: `/${name}/token`, payload: 'grant_type=password&username=alice&password=secret', headers: FORM })
    t.equal(res.statusCode, 200, `/${name}/token issues a token`)
    tokens[name] = (res.json() as { access_token: string }).access_token
    t.equal((await app.inject({ url: `/${name}/me`, headers: { authorization: `Bearer ${tokens[name]}` } })).body, `${name}:u-alice`, `/${name}/me accepts its own token`)
  }
  const aOnB = await app.inject({ url: '/b/me', headers: { authorization: `Bearer ${tokens.a}` } })
  t.equal(aOnB.statusCode, 401, 'a token for api-a is refused by api-b')
  t.equal(aOnB.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"')
  t.equal((await app.inject({ url: '/a/me', headers: { authorization: `Bearer ${tokens.b}` } })).statusCode, 401, 'a token for api-b is refused by api-a')
})

t.test('an app may register @fastify/jwt after the plugin', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: (u) => users.get(u) } })
  await app.register(fastifyJwt, { secret: 'the-apps-own-key-the-apps-own-key!!' })
  app.get('/ours', { preHandler: app.authenticate }, async (request) => request.currentUser?.id)
  await app.ready()
  const ours = await login(app)
  t.equal((await app.inject({ url: '/ours', headers: { authorization: `Bearer ${ours}` } })).body, 'u-alice')
  t.type(app.jwt.sign, 'function')
})
