import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer from '../lib/index.js'
import { demoUsers, login, SECRET } from './support.js'

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
  await app.register(async (scoped) => {
    await scoped.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: (u) => users.get(u) } })
    scoped.get('/a', { preHandler: scoped.authenticate }, async () => 'a')
  })
  await app.ready()
  t.equal((await app.inject({ url: '/a' })).statusCode, 401)
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
