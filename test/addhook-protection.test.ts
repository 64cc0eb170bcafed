import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, { serializers } from '../lib/index.js'
import { demoUsers, login, SCOPES, SECRET } from './support.js'

// docs/getting-started.md and docs/openapi.md: the plugin only sees hooks set on the route itself.
// A plugin-wide `addHook('onRequest', authenticate)` protects its routes, but they get no OpenAPI
// `security` unless their schema declares it, and only the app's own serializers keep their query
// strings out of the logs.

async function build (logs: string[], appSerializers: boolean) {
  const users = await demoUsers()
  const app = Fastify({
    logger: {
      level: 'info',
      stream: { write: (line: string) => { logs.push(line) } },
      ...(appSerializers ? { serializers } : {})
    }
  })
  await app.register(swagger, { openapi: { info: { title: 'test', version: '1.0.0' } } })
  await app.register(fastifyPasswordBearer, {
    secret: SECRET,
    scopes: SCOPES,
    rateLimit: false,
    users: { findByUsername: (u) => users.get(u) }
  })
  await app.register(async (instance) => {
    instance.addHook('onRequest', instance.authenticate)
    instance.get('/private', async () => ({ ok: true }))
    instance.get('/declared', { schema: { security: [{ OAuth2PasswordBearer: [] }] } }, async () => ({ ok: true }))
  })
  await app.ready()
  return app
}

t.test('routes protected with addHook are protected, but get OpenAPI security only when their schema declares it', async (t) => {
  const app = await build([], false)
  t.teardown(() => app.close())
  const refused = await app.inject({ url: '/private' })
  t.equal(refused.statusCode, 401, 'the hook protects the route')
  t.match(refused.headers['www-authenticate'], /^Bearer realm="api"/)
  const token = await login(app)
  t.equal((await app.inject({ url: '/private', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)

  const doc = JSON.parse(JSON.stringify(app.swagger()))
  t.equal(doc.paths['/private'].get.security, undefined, 'no security from an instance-level hook')
  t.same(doc.paths['/declared'].get.security, [{ OAuth2PasswordBearer: [] }], 'a declared security is kept')
})

t.test('with the exported serializers app-wide, addHook-protected routes log no query string', async (t) => {
  const bare: string[] = []
  const app = await build(bare, false)
  await app.inject({ url: '/private?password=QUERY-SECRET-1' })
  await app.close()
  t.ok(bare.some((line) => line.includes('QUERY-SECRET-1')), 'without them, the query string is logged')

  const safe: string[] = []
  const safeApp = await build(safe, true)
  await safeApp.inject({ url: '/private?password=QUERY-SECRET-2' })
  await safeApp.close()
  t.ok(safe.some((line) => line.includes('"url":"/private"')), 'the request is logged')
  t.notOk(safe.some((line) => line.includes('QUERY-SECRET-2')), 'with them, it is not')
})
