/**
 * The example over real HTTP (headers as a client sees them), its logs (no passwords, tokens, hashes
 * or query strings), the random-secret warning, and the OpenAPI document behind Swagger UI.
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import Fastify, { type FastifyInstance } from 'fastify'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { build } from '../examples/app.js'
import { SCOPES } from '../examples/config.js'
import { hashPassword, serializers } from '../lib/index.js'

const SECRET = 'example-test-secret-of-at-least-32-bytes'

/** A pino destination that keeps every line, for assertions on what was logged. */
function logSink (): { stream: Writable, text: () => string, lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'))
      callback()
    }
  })
  const text = (): string => chunks.join('')
  return { stream, text, lines: () => text().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>) }
}

function form (fields: Record<string, string>): { method: 'POST', headers: Record<string, string>, body: string } {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString()
  }
}

async function listen (app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}`
}

t.test('over real HTTP: challenges in WWW-Authenticate, no-store on tokens and on user data', async (t) => {
  const app = await build({ dbPath: join(t.testdir(), 'example.db'), secret: SECRET })
  t.teardown(() => app.close())
  const base = await listen(app)

  const none = await fetch(`${base}/protected`)
  t.equal(none.status, 401)
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="api"')
  t.equal((await none.json()).code, 'FST_PWB_NO_TOKEN')

  const malformed = await fetch(`${base}/protected`, { headers: { authorization: 'Bearer two tokens' } })
  t.equal(malformed.status, 400)
  t.equal(malformed.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_request"')

  const refused = await fetch(`${base}/token`, form({ grant_type: 'password', username: 'carol', password: 'wrong' }))
  t.equal(refused.status, 400)
  t.equal(refused.headers.get('cache-control'), 'no-store')
  t.equal(refused.headers.get('pragma'), 'no-cache')
  const refusedBody = await refused.json()
  t.equal(refusedBody.error, 'invalid_grant')
  t.notOk('access_token' in refusedBody)

  const issued = await fetch(`${base}/token`, form({ grant_type: 'password', username: 'carol', password: 'secret' }))
  t.equal(issued.status, 200)
  t.equal(issued.headers.get('cache-control'), 'no-store')
  t.equal(issued.headers.get('pragma'), 'no-cache')
  const { access_token: token } = await issued.json() as { access_token: string }
  const auth = { authorization: `Bearer ${token}` }

  const me = await fetch(`${base}/users/me`, { headers: auth })
  t.equal(me.status, 200)
  t.equal(me.headers.get('cache-control'), 'no-store')
  t.match(me.headers.get('vary'), /Authorization/)
  t.equal((await me.json()).username, 'carol')

  const forbidden = await fetch(`${base}/items`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Notebook' })
  })
  t.equal(forbidden.status, 403)
  t.equal(forbidden.headers.get('www-authenticate'), 'Bearer realm="api", error="insufficient_scope", scope="items:write"')

  const expired = await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${token.slice(0, -2)}` } })
  t.equal(expired.status, 401)
  t.equal(expired.headers.get('www-authenticate'), 'Bearer realm="api", error="invalid_token"')

  const root = await fetch(`${base}/`, { redirect: 'manual' })
  t.equal(root.status, 302)
  t.equal(root.headers.get('location'), '/docs')
  const ui = await fetch(`${base}/`)
  t.equal(ui.status, 200, 'following the redirect lands on Swagger UI')
  t.match(await ui.text(), /swagger/i)
})

t.test('the logs never contain a password, an access token, a hash or a query string sent to /token', async (t) => {
  const sink = logSink()
  const app = await build({ dbPath: ':memory:', secret: SECRET, logger: { level: 'debug', stream: sink.stream } })
  t.teardown(() => app.close())
  const password = 'Tr0ub4dor-and-3-unique-pw'
  const wrong = 'Wr0ng-unique-password-xyz'
  const dave = app.exampleStore.users.addUser({ username: 'dave', passwordHash: await hashPassword(password), scopes: ['items:read'] })

  const ok = await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ grant_type: 'password', username: 'dave', password }).toString() })
  t.equal(ok.statusCode, 200)
  const token = ok.json().access_token as string
  const bad = await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=password&username=dave&password=${wrong}` })
  t.equal(bad.statusCode, 400)
  // A careless client puts the credentials in the query string.
  const query = `grant_type=password&username=dave&password=${password}`
  const inQuery = await app.inject({ method: 'POST', url: `/token?${query}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: query })
  t.not(inQuery.statusCode, 500)
  const get = await app.inject({ method: 'GET', url: `/token?${query}` })
  t.equal(get.statusCode, 405)
  t.notMatch(get.body, password, 'the 405 answer does not echo the query string')
  // ... or the token in a query string or a header.
  t.equal((await app.inject({ method: 'GET', url: `/hello?access_token=${token}` })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}x` } })).statusCode, 401)

  const logged = sink.text()
  const lines = sink.lines()
  t.ok(lines.some((l) => (l.req as { url?: string } | undefined)?.url === '/token'), 'token requests are logged, by path')
  t.ok(lines.some((l) => l.event === 'login' && l.outcome === 'success' && l.userId === dave.id), 'the login is logged')
  t.notMatch(logged, password, 'no password')
  t.notMatch(logged, wrong, 'no wrong password')
  t.notMatch(logged, token, 'no access token')
  t.notMatch(logged, token.split('.')[2] as string, 'not even the token signature')
  t.notMatch(logged, 'grant_type=', 'no query string')
  t.notMatch(logged, 'access_token=', 'no token query string')
  t.notMatch(logged, '$argon2', 'no password hash')
  t.notMatch(logged, SECRET, 'no JWT secret')
  for (const line of lines) {
    const url = (line.req as { url?: string } | undefined)?.url
    if (url !== undefined) t.notMatch(url, '?', `logged url ${url} has no query string`)
  }
})

t.test('without JWT_SECRET the example warns and signs with a random secret per start', async (t) => {
  const sink = logSink()
  const first = await build({ dbPath: ':memory:', env: {}, logger: { stream: sink.stream } })
  t.teardown(() => first.close())
  const warning = sink.lines().find((l) => l.level === 40)
  t.match(warning, { msg: /JWT_SECRET is not set: using a random secret/ })

  const second = await build({ dbPath: ':memory:', env: {} })
  t.teardown(() => second.close())
  const login = await first.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=password&username=alice&password=secret' })
  const token = login.json().access_token as string
  t.equal((await first.inject({ url: '/protected', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  t.equal((await second.inject({ url: '/protected', headers: { authorization: `Bearer ${token}` } })).statusCode, 401, 'another start has another secret')
})

t.test('serializers from the package type-check as Fastify logger serializers and drop the query string', async (t) => {
  // Regression: SafeRequestLog was an interface without an index signature, so this did not compile.
  const sink = logSink()
  const app = Fastify({ logger: { serializers, stream: sink.stream } })
  app.get('/x', async () => 'ok')
  await app.inject({ url: '/x?password=hunter2' })
  await app.close()
  t.ok(sink.lines().some((l) => (l.req as { url?: string } | undefined)?.url === '/x'))
  t.notMatch(sink.text(), 'hunter2')
})

t.test('the OpenAPI document is valid, has the oauth2 password scheme, and documents every route', async (t) => {
  const app = await build({ dbPath: ':memory:', secret: SECRET })
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  await t.resolves(SwaggerParser.validate(structuredClone(doc)))

  t.equal(doc.info.title, 'fastify-password-bearer example')
  t.same(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password, { tokenUrl: '/token', refreshUrl: '/token', scopes: SCOPES })
  const security = (path: string, method: string): unknown => doc.paths[path][method].security
  t.same(security('/protected', 'get'), [{ OAuth2PasswordBearer: [] }])
  t.same(security('/users/me', 'get'), [{ OAuth2PasswordBearer: [] }])
  t.same(security('/items', 'get'), [{ OAuth2PasswordBearer: ['items:read'] }])
  t.same(security('/items', 'post'), [{ OAuth2PasswordBearer: ['items:write'] }])
  t.same(security('/hello', 'get'), [{ OAuth2PasswordBearer: [] }, {}], 'optional auth: anonymous allowed')
  t.same(security('/users/me/sessions', 'delete'), [{ OAuth2PasswordBearer: [] }])
  t.notOk(doc.paths['/revoke'].post.security, 'the revocation route takes the token in its form')
  t.notOk(doc.paths['/'], 'the redirect is hidden')

  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { tags?: string[], summary?: string, responses: Record<string, unknown> }>>)) {
    for (const [method, op] of Object.entries(methods)) {
      t.ok(op.tags !== undefined && op.tags.length > 0, `${method} ${path} has tags`)
      t.ok(typeof op.summary === 'string' && op.summary.length > 0, `${method} ${path} has a summary`)
      t.ok(op.responses['200'] ?? op.responses['201'] ?? op.responses['204'], `${method} ${path} documents its success response`)
    }
  }
  const me = doc.paths['/users/me'].get.responses['200'].content['application/json'].schema
  t.same(Object.keys(me.properties).sort(), ['id', 'scopes', 'username'], 'no password hash in the user schema')
  const body = doc.paths['/items'].post.requestBody.content['application/json'].schema
  t.match(body, { required: ['name'], additionalProperties: false, properties: { name: { minLength: 1, maxLength: 100 } } })
  t.ok(doc.paths['/items'].get.responses['403'], 'GET /items documents 403')
})
