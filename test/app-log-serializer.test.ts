import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, { serializeRequest, serializers } from '../lib/index.js'
import { withoutQueryString } from '../lib/log.js'
import { demoUsers, login, SCOPES, SECRET } from './support.js'

// docs/security.md: routes protected by the plugin's hooks log requests through the app's own `req`
// serializer (or Fastify's), with only the query string taken out of the URL.

interface LogLine { msg?: string, req?: Record<string, unknown>, [key: string]: unknown }

/** An app's own request serializer: Fastify's fields and a tenant header. */
function tenantSerializer (request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: request.url, tenant: request.headers['x-tenant'] }
}

async function build (logger: Record<string, unknown>, routes: (app: FastifyInstance) => void | Promise<void>) {
  const lines: LogLine[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } }, ...logger } })
  const users = await demoUsers()
  await app.register(fastifyPasswordBearer, { secret: SECRET, scopes: SCOPES, rateLimit: false, users: { findByUsername: (u) => users.get(u) } })
  await routes(app)
  await app.ready()
  const token = await login(app)
  return { app, lines, token }
}

/** The `req` of the "incoming request" line of the last request to `path`. */
function incoming (lines: LogLine[], path: string): Record<string, unknown> | undefined {
  return lines.filter((line) => line.msg === 'incoming request' && String(line.req?.url).startsWith(path)).at(-1)?.req
}

t.test("the logger's own req serializer: its fields are kept on protected routes, the query string is not", async (t) => {
  const { app, lines, token } = await build({ serializers: { req: tenantSerializer } }, (app) => {
    app.get('/me', { preHandler: app.authenticate }, async () => ({ ok: true }))
    app.get('/items', { onRequest: app.requireScopes('items:read') }, async () => [])
    app.get('/public', async () => ({ ok: true }))
  })
  t.teardown(() => app.close())
  const headers = { authorization: `Bearer ${token}`, 'x-tenant': 'acme' }

  t.equal((await app.inject({ url: '/me?password=QUERY-SECRET-1', headers })).statusCode, 200)
  t.same(incoming(lines, '/me'), { method: 'GET', url: '/me', tenant: 'acme' }, "the app's fields, the URL without its query")
  t.equal((await app.inject({ url: '/items?x=QUERY-SECRET-2', headers })).statusCode, 200)
  t.same(incoming(lines, '/items'), { method: 'GET', url: '/items', tenant: 'acme' })
  t.notOk(lines.some((line) => JSON.stringify(line).includes('QUERY-SECRET')), 'no query string in any log line')

  await app.inject({ url: '/public?q=kept', headers })
  t.same(incoming(lines, '/public'), { method: 'GET', url: '/public?q=kept', tenant: 'acme' }, 'public routes are left as they are')
})

t.test("Fastify's default serializer keeps its fields on protected routes, without the query string", async (t) => {
  const { app, lines, token } = await build({}, (app) => {
    app.get('/me', { preHandler: app.authenticate }, async () => ({ ok: true }))
  })
  t.teardown(() => app.close())
  await app.inject({ url: '/me?access_token=QUERY-SECRET', headers: { authorization: `Bearer ${token}`, 'accept-version': '2' } })
  t.match(incoming(lines, '/me'), { method: 'GET', url: '/me', version: '2', host: 'localhost:80', remoteAddress: '127.0.0.1' })
  t.notOk(lines.some((line) => JSON.stringify(line).includes('QUERY-SECRET')))
})

t.test('a serializer set for a scope (register logSerializers) or a route is kept, without the query string', async (t) => {
  const { app, lines, token } = await build({}, async (app) => {
    // Fastify types register's logSerializers as returning strings; they return objects like the logger's.
    const scopeSerializer = (request: FastifyRequest) => ({ where: 'scope', url: request.url, line: `${request.method} ${request.url}` })
    await app.register(async (scope) => {
      scope.get('/scoped', { preHandler: scope.authenticate }, async () => ({ ok: true }))
    }, { logSerializers: { req: scopeSerializer as unknown as (value: unknown) => string } })
    app.get('/route', {
      preHandler: app.authenticate,
      logSerializers: { req: (request: FastifyRequest) => ({ where: 'route', path: request.url }) }
    }, async () => ({ ok: true }))
  })
  t.teardown(() => app.close())
  const headers = { authorization: `Bearer ${token}` }
  await app.inject({ url: '/scoped?token=QUERY-SECRET-1', headers })
  t.same(incoming(lines, '/scoped'), { where: 'scope', url: '/scoped', line: 'GET /scoped' })
  await app.inject({ url: '/route?token=QUERY-SECRET-2', headers })
  t.same(lines.filter((line) => line.msg === 'incoming request').at(-1)?.req, { where: 'route', path: '/route' },
    'any field that holds the URL loses the query string')
  t.notOk(lines.some((line) => JSON.stringify(line).includes('QUERY-SECRET')))
})

t.test("the package's own serializers app-wide: protected routes log as before", async (t) => {
  const { app, lines, token } = await build({ serializers }, (app) => {
    app.get('/me', { preHandler: app.authenticate }, async () => ({ ok: true }))
  })
  t.teardown(() => app.close())
  await app.inject({ url: '/me?password=QUERY-SECRET', headers: { authorization: `Bearer ${token}` } })
  t.match(incoming(lines, '/me'), { method: 'GET', url: '/me', remoteAddress: '127.0.0.1' })
  t.notOk(lines.some((line) => JSON.stringify(line).includes('QUERY-SECRET')))
})

t.test('withoutQueryString: what the wrapped serializer returns, with the URL stripped wherever it is', async (t) => {
  const request = { method: 'GET', url: '/me?token=QUERY-SECRET' }
  t.equal(withoutQueryString((r) => `${r.method} ${r.url} (${r.url})`)(request), 'GET /me (/me)', 'a text line')
  t.same(withoutQueryString((r) => ({ url: r.url.toUpperCase(), original: r.url }))(request), { url: '/ME', original: '/me' },
    'the url field, even rewritten, and any field holding the URL')
  t.same(withoutQueryString((r) => ({ url: r.url, size: 3, nested: { url: 'left' } }))(request), { url: '/me', size: 3, nested: { url: 'left' } },
    'other values are kept')
  const list = ['a']
  t.equal(withoutQueryString(() => list)(request), list, 'an array is returned as it is')
  t.equal(withoutQueryString(() => null)(request), null)
  t.same(withoutQueryString((r) => ({ url: r?.url }))(null), { url: undefined }, 'a value without url is passed through')
  const same = { url: '/me' }
  t.equal(withoutQueryString(() => same)({ url: '/me' }), same, 'nothing is copied when there is no query string')
  t.equal(withoutQueryString(serializeRequest), serializeRequest, 'serializeRequest is not wrapped again')
  const wrapped = withoutQueryString((r) => r.url)
  t.equal(withoutQueryString(wrapped), wrapped, 'nor is a wrapped serializer')
})
