/**
 * The example app's routes over inject: logins, the protected routes, scopes, optional auth, body
 * validation, and users disabled or deleted after login.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { build } from '../examples/app.js'

const SECRET = 'example-test-secret-of-at-least-32-bytes'

async function newApp (t: Test): Promise<FastifyInstance> {
  const app = await build({ dbPath: ':memory:', secret: SECRET })
  t.teardown(() => app.close())
  return app
}

function login (app: FastifyInstance, username: string, password = 'secret'): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username, password }).toString()
  })
}

async function tokenFor (t: Test, app: FastifyInstance, username: string): Promise<string> {
  const res = await login(app, username)
  t.equal(res.statusCode, 200, `${username} logs in`)
  return res.json().access_token as string
}

function get (app: FastifyInstance, url: string, token?: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
}

function postItem (app: FastifyInstance, token: string, payload: string): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/items',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload
  })
}

t.test('alice and carol log in with their demo passwords and get their scopes', async (t) => {
  const app = await newApp(t)
  const alice = await login(app, 'alice')
  t.equal(alice.statusCode, 200)
  t.match(alice.json(), { token_type: 'Bearer', expires_in: 900, scope: 'items:read items:write', access_token: String })
  t.equal(alice.headers['cache-control'], 'no-store')
  const carol = await login(app, 'carol')
  t.equal(carol.statusCode, 200)
  t.equal(carol.json().scope, 'items:read')
})

t.test('bob is disabled: his correct password gets invalid_grant and no token', async (t) => {
  const app = await newApp(t)
  const res = await login(app, 'bob')
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_grant')
  t.notOk('access_token' in res.json())
})

t.test('a wrong password and an unknown user get the same invalid_grant and no token', async (t) => {
  const app = await newApp(t)
  const wrong = await login(app, 'alice', 'not-secret')
  const unknown = await login(app, 'mallory')
  t.equal(wrong.statusCode, 400)
  t.equal(unknown.statusCode, 400)
  t.same(wrong.json(), unknown.json())
  t.equal(wrong.json().error, 'invalid_grant')
  t.notOk('access_token' in wrong.json())
  t.notOk('access_token' in unknown.json())
})

t.test('GET /protected greets the token\'s user and refuses a request without a token', async (t) => {
  const app = await newApp(t)
  const token = await tokenFor(t, app, 'alice')
  const ok = await get(app, '/protected', token)
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { message: 'Hello alice' })

  const none = await get(app, '/protected')
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], 'Bearer realm="api"')
  t.equal(none.json().code, 'FST_PWB_NO_TOKEN')

  const bad = await get(app, '/protected', `${token}x`)
  t.equal(bad.statusCode, 401)
  t.equal(bad.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"')
})

t.test('GET /users/me returns the current user without any password hash', async (t) => {
  const app = await newApp(t)
  const token = await tokenFor(t, app, 'carol')
  const res = await get(app, '/users/me', token)
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['id', 'scopes', 'username'])
  t.equal(body.username, 'carol')
  t.same(body.scopes, ['items:read'])
  t.equal(body.id, app.exampleStore.users.findByUsername('carol')?.id)
  t.notMatch(res.body, /argon2|passwordHash|password_hash/)
  t.equal(res.headers['cache-control'], 'no-store')
})

t.test('GET /items needs items:read: carol gets the list', async (t) => {
  const app = await newApp(t)
  const carol = await tokenFor(t, app, 'carol')
  const res = await get(app, '/items', carol)
  t.equal(res.statusCode, 200)
  t.same(res.json(), [])
  const none = await get(app, '/items')
  t.equal(none.statusCode, 401)
})

t.test('POST /items needs items:write: carol gets 403 insufficient_scope naming the scope', async (t) => {
  const app = await newApp(t)
  const carol = await tokenFor(t, app, 'carol')
  const res = await postItem(app, carol, JSON.stringify({ name: 'Notebook' }))
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="items:write"')
  t.equal(res.json().code, 'FST_PWB_INSUFFICIENT_SCOPE')
  t.same((await get(app, '/items', carol)).json(), [], 'nothing was created')
})

t.test('POST /items as alice creates the item (201) and GET /items lists it', async (t) => {
  const app = await newApp(t)
  const alice = await tokenFor(t, app, 'alice')
  const res = await postItem(app, alice, JSON.stringify({ name: 'Notebook' }))
  t.equal(res.statusCode, 201)
  const item = res.json()
  t.match(item, { id: /^[0-9a-f-]{36}$/, name: 'Notebook', createdBy: 'alice' })
  const second = await postItem(app, alice, JSON.stringify({ name: 'Pen' }))
  t.equal(second.statusCode, 201)
  const list = await get(app, '/items', alice)
  t.same(list.json().map((i: { name: string }) => i.name), ['Notebook', 'Pen'])
  t.same(list.json()[0], item)
})

t.test('POST /items refuses an invalid body with 400 and creates nothing', async (t) => {
  const app = await newApp(t)
  const alice = await tokenFor(t, app, 'alice')
  const cases: Array<[string, string]> = [
    ['{"name": "unterminated', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['not json at all', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['{}', 'FST_ERR_VALIDATION'],
    ['{"name": ""}', 'FST_ERR_VALIDATION'],
    ['{"name": "   "}', 'FST_ERR_VALIDATION'],
    [JSON.stringify({ name: 'x'.repeat(101) }), 'FST_ERR_VALIDATION'],
    ['{"name": 42}', 'FST_ERR_VALIDATION'],
    ['{"name": "ok", "createdBy": "carol"}', 'FST_ERR_VALIDATION'],
    ['["name"]', 'FST_ERR_VALIDATION']
  ]
  for (const [payload, code] of cases) {
    const res = await postItem(app, alice, payload)
    t.equal(res.statusCode, 400, payload)
    t.equal(res.json().code, code, payload)
  }
  const max = await postItem(app, alice, JSON.stringify({ name: 'x'.repeat(100) }))
  t.equal(max.statusCode, 201, 'a 100-character name is accepted')
  t.equal((await get(app, '/items', alice)).json().length, 1, 'only the valid item was created')
})

t.test('POST /items refuses a body over its size limit with 413', async (t) => {
  const app = await newApp(t)
  const alice = await tokenFor(t, app, 'alice')
  const res = await postItem(app, alice, JSON.stringify({ name: 'x', pad: 'y'.repeat(2000) }))
  t.equal(res.statusCode, 413)
})

t.test('GET /hello greets a guest without a token and alice with hers', async (t) => {
  const app = await newApp(t)
  const guest = await get(app, '/hello')
  t.equal(guest.statusCode, 200)
  t.same(guest.json(), { message: 'Hello guest' })
  const alice = await tokenFor(t, app, 'alice')
  t.same((await get(app, '/hello', alice)).json(), { message: 'Hello alice' })
  const bad = await get(app, '/hello', 'not.a.token')
  t.equal(bad.statusCode, 401, 'a token that is sent must be valid')
})

t.test('GET / redirects to Swagger UI at /docs, which serves the OpenAPI JSON at /docs/json', async (t) => {
  const app = await newApp(t)
  const root = await get(app, '/')
  t.equal(root.statusCode, 302)
  t.equal(root.headers.location, '/docs')
  const docs = await get(app, '/docs/')
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
  const json = await get(app, '/docs/json')
  t.equal(json.statusCode, 200)
  t.equal(json.json().openapi, '3.0.3')
})

t.test('a user disabled after login is refused at once with 401 invalid_token', async (t) => {
  const app = await newApp(t)
  const token = await tokenFor(t, app, 'alice')
  t.equal((await get(app, '/users/me', token)).statusCode, 200)
  const id = app.exampleStore.users.findByUsername('alice')?.id as string
  t.ok(app.exampleStore.users.setDisabled(id, true))
  for (const url of ['/protected', '/users/me', '/items', '/hello']) {
    const res = await get(app, url, token)
    t.equal(res.statusCode, 401, url)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"', url)
  }
  const relogin = await login(app, 'alice')
  t.equal(relogin.statusCode, 400)
  t.notOk('access_token' in relogin.json())

  t.ok(app.exampleStore.users.setDisabled(id, false))
  t.equal((await get(app, '/users/me', token)).statusCode, 200, 're-enabled: the token works again')
})

t.test('a user deleted after login is refused with 401 invalid_token', async (t) => {
  const app = await newApp(t)
  const token = await tokenFor(t, app, 'carol')
  const id = app.exampleStore.users.findByUsername('carol')?.id as string
  t.ok(app.exampleStore.users.deleteUser(id))
  const res = await get(app, '/users/me', token)
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"')
  t.equal(res.json().code, 'FST_PWB_INVALID_TOKEN')
  t.notOk(app.exampleStore.users.deleteUser(id), 'deleting again changes nothing')
})

t.test('a token signed with another secret is refused', async (t) => {
  const other = await build({ dbPath: ':memory:', secret: 'another-secret-of-at-least-thirty-two-bytes' })
  t.teardown(() => other.close())
  const app = await newApp(t)
  const foreign = await tokenFor(t, other, 'alice')
  t.equal((await get(app, '/protected', foreign)).statusCode, 401)
})

t.test('a JWT_SECRET shorter than 32 bytes stops build() with a message naming JWT_SECRET', async (t) => {
  await t.rejects(build({ dbPath: ':memory:', env: { JWT_SECRET: 'short' } }), { message: /JWT_SECRET must be at least 32 bytes/ })
})

t.test('JWT_SECRET from the environment signs tokens that another start with the same secret accepts', async (t) => {
  const env = { JWT_SECRET: 'a-secret-from-the-environment-32-bytes-long' }
  const dir = t.testdir()
  const first = await build({ dbPath: `${dir}/a.db`, env })
  const token = await tokenFor(t, first, 'alice')
  await first.close()
  const second = await build({ dbPath: `${dir}/a.db`, env })
  t.teardown(() => second.close())
  t.equal((await get(second, '/protected', token)).statusCode, 200)
})

t.test('unknown routes and unreadable bodies never echo the URL, query string or body', async (t) => {
  const app = await newApp(t)
  const alice = await tokenFor(t, app, 'alice')
  const probes = [
    await app.inject({ url: '/nope?password=hunter2' }),
    await app.inject({ method: 'POST', url: '/token/?password=hunter2', payload: 'password=hunter2', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    await app.inject({ method: 'POST', url: '/items', payload: 'password=hunter2', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice}` } })
  ]
  t.same(probes.map((r) => r.statusCode), [404, 404, 400])
  for (const res of probes) t.notMatch(res.body, 'hunter2')
})
