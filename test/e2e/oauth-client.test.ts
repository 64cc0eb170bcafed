/**
 * A maintained OAuth2 client library (simple-oauth2's resource owner password grant) against the
 * example server over real HTTP: tokens it can use, and RFC 6749 errors through its own error path.
 */
import { ResourceOwnerPassword, type ModuleOptions, type Token } from 'simple-oauth2'
import t from 'tap'
import { DEMO, startExample } from '../helpers/example-server.js'

const server = await startExample()
t.teardown(server.close)

/** A client as an app configures it for a first-party password login: no client secret. */
function client (overrides: { client?: ModuleOptions['client'], options?: ModuleOptions['options'] } = {}): ResourceOwnerPassword {
  return new ResourceOwnerPassword({
    client: overrides.client ?? { id: '', secret: '' },
    auth: { tokenHost: server.url, tokenPath: '/token' },
    ...(overrides.options !== undefined ? { options: overrides.options } : {})
  })
}

/** What simple-oauth2 (through @hapi/wreck) rejects with on a non-2xx token response. */
interface LibraryError extends Error {
  isBoom: boolean
  output: { statusCode: number }
  data: { isResponseError: boolean, headers: Record<string, string>, payload: Record<string, unknown> }
}

async function refused (promise: Promise<unknown>): Promise<LibraryError> {
  try {
    await promise
  } catch (err) {
    return err as LibraryError
  }
  throw new Error('the token request was expected to fail')
}

async function get (path: string, token: Token): Promise<Response> {
  return await fetch(`${server.url}${path}`, { headers: { authorization: `${String(token.token_type)} ${String(token.access_token)}` } })
}

t.test('getToken returns a Bearer token the protected routes accept', async (t) => {
  const before = Date.now()
  const accessToken = await client().getToken({ username: DEMO.alice.username, password: DEMO.alice.password })
  const token = accessToken.token
  t.match(token.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT')
  t.equal(token.token_type, 'Bearer')
  t.equal(token.expires_in, 900)
  t.equal(token.scope, 'items:read items:write', 'all of alice\'s scopes when none is requested')
  t.ok(token.expires_at instanceof Date, 'the library computed expires_at from expires_in')
  t.ok((token.expires_at as Date).getTime() >= before + 899_000)
  t.notOk(accessToken.expired(), 'the library does not see it as expired')

  const me = await get('/users/me', token)
  t.equal(me.status, 200)
  t.match(await me.json(), { username: 'alice', scopes: ['items:read', 'items:write'] })
})

t.test('a requested scope narrows the token: the library sends it, the server enforces it', async (t) => {
  const { token } = await client().getToken({ username: DEMO.alice.username, password: DEMO.alice.password, scope: ['items:read'] })
  t.equal(token.scope, 'items:read')
  t.equal((await get('/items', token)).status, 200)

  const write = await fetch(`${server.url}/items`, {
    method: 'POST',
    headers: { authorization: `Bearer ${String(token.access_token)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Notebook' })
  })
  t.equal(write.status, 403)
  t.equal(write.headers.get('www-authenticate'), 'Bearer realm="api", error="insufficient_scope", scope="items:write"')
})

t.test('client credentials in the body (authorizationMethod: body) with an empty secret work too', async (t) => {
  const { token } = await client({ client: { id: 'my-app', secret: '' }, options: { authorizationMethod: 'body' } })
    .getToken({ username: DEMO.carol.username, password: DEMO.carol.password })
  t.equal(token.scope, 'items:read')
  t.equal((await get('/users/me', token)).status, 200)
})

t.test('a wrong password surfaces as invalid_grant through the library\'s error', async (t) => {
  const err = await refused(client().getToken({ username: DEMO.alice.username, password: 'wrong' }))
  t.equal(err.isBoom, true, 'a Boom error, as the library documents')
  t.equal(err.output.statusCode, 400)
  t.equal(err.data.isResponseError, true)
  t.equal(err.data.payload.error, 'invalid_grant')
  t.type(err.data.payload.error_description, 'string')
  t.notOk('access_token' in err.data.payload, 'no access token issued')
  t.equal(err.data.headers['cache-control'], 'no-store')
})

t.test('a disabled user gets the same invalid_grant as a wrong password', async (t) => {
  const err = await refused(client().getToken({ username: DEMO.bob.username, password: DEMO.bob.password }))
  t.equal(err.output.statusCode, 400)
  t.equal(err.data.payload.error, 'invalid_grant')
  t.notOk('access_token' in err.data.payload, 'no access token issued')
})

t.test('an unknown scope surfaces as invalid_scope', async (t) => {
  const err = await refused(client().getToken({ username: DEMO.alice.username, password: DEMO.alice.password, scope: ['admin'] }))
  t.equal(err.output.statusCode, 400)
  t.equal(err.data.payload.error, 'invalid_scope')
  t.notOk('access_token' in err.data.payload, 'no access token issued')
})

t.test('a client secret is refused with 401 invalid_client (no confidential clients here)', async (t) => {
  const err = await refused(client({ client: { id: 'my-app', secret: 'shh' } })
    .getToken({ username: DEMO.alice.username, password: DEMO.alice.password }))
  t.equal(err.output.statusCode, 401)
  t.equal(err.data.payload.error, 'invalid_client')
  t.equal(err.data.headers['www-authenticate'], 'Basic realm="api"')
  t.notOk('access_token' in err.data.payload, 'no access token issued')
})
