import t, { type Test } from 'tap'
import { hashPassword } from '../lib/index.js'
import { buildApp, decodeSegment, tokenRequest, type TestApp } from './support.js'

const RFC6749_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

let ctx: TestApp
t.before(async () => { ctx = await buildApp() })
t.teardown(() => ctx.app.close())

function assertOAuthError (t: Test, res: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }, status: number, error: string): void {
  t.equal(res.statusCode, status, 'status')
  const body = res.json() as Record<string, unknown>
  t.equal(body.error, error, 'RFC 6749 error code')
  t.type(body.error_description, 'string')
  t.match(body.error_description, RFC6749_DESCRIPTION, 'error_description keeps to the RFC character set')
  t.notOk('access_token' in body, 'no token issued')
  t.same(Object.keys(body).sort(), ['error', 'error_description'], 'no Fastify error fields')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.pragma, 'no-cache')
}

t.test('a correct password gets an RFC 6749 §5.1 token response with no-store headers', async (t) => {
  const res = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret')
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.pragma, 'no-cache')
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'])
  t.equal(body.token_type, 'Bearer')
  t.equal(body.expires_in, 900)
  t.equal(body.scope, 'items:read items:write')
})

t.test('the access token is an RFC 9068 JWT', async (t) => {
  const before = Math.floor(Date.now() / 1000)
  const res = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret')
  const token = res.json().access_token as string
  t.match(decodeSegment(token, 0), { alg: 'HS256', typ: 'at+jwt', kid: /^[A-Za-z0-9_-]{22}$/ })
  const claims = decodeSegment(token, 1)
  t.equal(claims.iss, 'fastify-password-bearer')
  t.equal(claims.aud, 'fastify-password-bearer')
  t.equal(claims.sub, 'u-alice')
  t.equal(claims.client_id, 'fastify-password-bearer')
  t.equal(claims.scope, 'items:read items:write')
  t.ok((claims.iat as number) >= before)
  t.equal((claims.exp as number) - (claims.iat as number), 900)
  t.match(claims.jti, /^[A-Za-z0-9_-]{22,}$/, 'jti carries at least 128 random bits')
  t.notOk(JSON.stringify(claims).includes('argon2'), 'no hash in the token')
  const again = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret')
  t.not(decodeSegment(again.json().access_token, 1).jti, claims.jti, 'jti differs per token')
})

t.test('issuer, audience, clientId and accessTokenTtl options go into the token', async (t) => {
  const { app } = await buildApp({ issuer: 'https://auth.example', audience: 'https://api.example', clientId: 'web', accessTokenTtl: 60 })
  t.teardown(() => app.close())
  const res = await tokenRequest(app, 'grant_type=password&username=carol&password=secret')
  t.equal(res.json().expires_in, 60)
  const claims = decodeSegment(res.json().access_token, 1)
  t.match(claims, { iss: 'https://auth.example', aud: 'https://api.example', client_id: 'web' })
})

t.test('every credential failure gets the same invalid_grant answer', async (t) => {
  const bodies = new Set<string>()
  for (const [who, password] of [['alice', 'wrong'], ['nobody', 'secret'], ['bob', 'secret'], ['nohash', 'secret'], ['alice', 'Secret'], ['alice', ' secret'], ['alice', 'secret ']]) {
    const res = await tokenRequest(ctx.app, `grant_type=password&username=${who}&password=${encodeURIComponent(password as string)}`)
    assertOAuthError(t, res, 400, 'invalid_grant')
    bodies.add(res.body)
  }
  t.equal(bodies.size, 1, 'identical bodies: wrong password, unknown, disabled and hashless users look alike')
})

t.test('long passwords are verified exactly; a password over the cap is refused before hashing', async (t) => {
  const long = 'pä$$ wörd '.repeat(20) // 200 characters with spaces and non-ASCII
  const passwordHash = await hashPassword(long)
  const { app } = await buildApp({
    passwordMaxLength: 300,
    users: { findByUsername: (u) => u === 'long' ? { id: 'u-long', username: 'long', passwordHash } : null }
  })
  t.teardown(() => app.close())
  const ok = await tokenRequest(app, `grant_type=password&username=long&password=${encodeURIComponent(long)}`)
  t.equal(ok.statusCode, 200)
  const truncated = await tokenRequest(app, `grant_type=password&username=long&password=${encodeURIComponent(long.slice(0, 128))}`)
  assertOAuthError(t, truncated, 400, 'invalid_grant')
  const tooLong = await tokenRequest(app, `grant_type=password&username=long&password=${'x'.repeat(301)}`)
  assertOAuthError(t, tooLong, 400, 'invalid_request')
})

t.test('missing, empty or repeated parameters are invalid_request', async (t) => {
  for (const body of [
    '',
    'username=alice&password=secret',
    'grant_type=&username=alice&password=secret',
    'grant_type=password&password=secret',
    'grant_type=password&username=&password=secret',
    'grant_type=password&username=alice',
    'grant_type=password&username=alice&password=',
    'grant_type=password&grant_type=password&username=alice&password=secret',
    'grant_type=password&username=alice&username=carol&password=secret',
    'grant_type=password&username=alice&password=secret&password=secret',
    'grant_type=password&username=alice&password=secret&scope=items:read&scope=items:write',
    'grant_type=password&username[]=alice&password=secret',
    'grant_type=password&username=al%00ice&password=secret'
  ]) {
    const res = await tokenRequest(ctx.app, body)
    t.test(JSON.stringify(body), async (t) => assertOAuthError(t, res, 400, 'invalid_request'))
  }
})

t.test('a grant_type other than password is unsupported_grant_type', async (t) => {
  for (const grant of ['client_credentials', 'authorization_code', 'refresh_token', 'PASSWORD']) {
    const res = await tokenRequest(ctx.app, `grant_type=${grant}&username=alice&password=secret`)
    assertOAuthError(t, res, 400, 'unsupported_grant_type')
  }
})

t.test('only application/x-www-form-urlencoded bodies are read', async (t) => {
  const json = await ctx.app.inject({ method: 'POST', url: '/token', payload: { grant_type: 'password', username: 'alice', password: 'secret' } })
  assertOAuthError(t, json, 400, 'invalid_request')
  const text = await ctx.app.inject({ method: 'POST', url: '/token', payload: 'grant_type=password&username=alice&password=secret', headers: { 'content-type': 'text/plain' } })
  assertOAuthError(t, text, 400, 'invalid_request')
  const charset = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret', { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' })
  t.equal(charset.statusCode, 200, 'a charset parameter is fine')
})

t.test('an oversized body is invalid_request', async (t) => {
  const res = await tokenRequest(ctx.app, `grant_type=password&username=alice&password=${'x'.repeat(5000)}`)
  assertOAuthError(t, res, 400, 'invalid_request')
})

t.test('scopes: the token carries only scopes the user holds', async (t) => {
  const cases: Array<[string, string, number, string]> = [
    ['alice', '', 200, 'items:read items:write'],
    ['alice', '&scope=', 200, 'items:read items:write'],
    ['alice', '&scope=items:read', 200, 'items:read'],
    ['alice', '&scope=items:write%20items:read', 200, 'items:write items:read'],
    ['carol', '', 200, 'items:read'],
    ['carol', '&scope=items:read%20items:write', 200, 'items:read'],
    ['carol', '&scope=items:write', 400, 'invalid_scope'],
    ['alice', '&scope=admin', 400, 'invalid_scope'],
    ['alice', '&scope=items:read%20admin', 400, 'invalid_scope'],
    ['alice', '&scope=%22quoted%22', 400, 'invalid_scope']
  ]
  for (const [user, extra, status, expected] of cases) {
    const res = await tokenRequest(ctx.app, `grant_type=password&username=${user}&password=secret${extra}`)
    if (status === 200) {
      t.equal(res.statusCode, 200, `${user}${extra}`)
      t.equal(res.json().scope, expected, `${user}${extra} granted`)
      t.equal(decodeSegment(res.json().access_token, 1).scope, expected)
    } else {
      assertOAuthError(t, res, status, expected)
    }
  }
})

t.test('Swagger UI password flow: Basic Og== and an empty scope log in', async (t) => {
  const res = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret&scope=', { authorization: 'Basic Og==' })
  t.equal(res.statusCode, 200)
  t.equal(res.json().scope, 'items:read items:write')
  const withId = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret&client_id=swagger', { authorization: 'Basic ' + Buffer.from('swagger:').toString('base64') })
  t.equal(withId.statusCode, 200, 'a public client id without a secret is accepted')
})

t.test('client authentication with a secret is refused with invalid_client', async (t) => {
  const basic = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret', { authorization: 'Basic ' + Buffer.from('app:s3cret').toString('base64') })
  assertOAuthError(t, basic, 401, 'invalid_client')
  t.match(basic.headers['www-authenticate'], /^Basic realm="api"$/)
  const param = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret&client_id=app&client_secret=s3cret')
  assertOAuthError(t, param, 401, 'invalid_client')
  const broken = await tokenRequest(ctx.app, 'grant_type=password&username=alice&password=secret', { authorization: 'Basic %%%' })
  assertOAuthError(t, broken, 400, 'invalid_request')
})

t.test('other methods get 405 with Allow: POST and never echo the URL', async (t) => {
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'QUERY'] as const) {
    const res = await ctx.app.inject({ method, url: '/token?username=alice&password=hunter2' })
    t.equal(res.statusCode, 405, method)
    t.equal(res.headers.allow, 'POST', method)
    t.equal(res.headers['cache-control'], 'no-store', method)
    t.notOk(res.body.includes('hunter2'), `${method} body does not echo the query`)
  }
})

t.test('the form parser stays on the token route', async (t) => {
  const { app } = await buildApp({}, (app) => {
    app.post('/echo', async (request) => ({ body: request.body }))
  })
  t.teardown(() => app.close())
  const json = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } })
  t.same(json.json(), { body: { a: 1 } }, 'the app still parses JSON')
  const form = await app.inject({ method: 'POST', url: '/echo', payload: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.statusCode, 415, 'the app did not gain a form parser')
  t.notOk(form.headers['cache-control'], 'the token route headers stay on the token route')
})

t.test('a store fault is a 500 server_error without internals', async (t) => {
  const { app } = await buildApp({ users: { findByUsername: async () => { throw new Error('SELECT * FROM users: connection refused to db.internal:5432') } } })
  t.teardown(() => app.close())
  const res = await tokenRequest(app, 'grant_type=password&username=alice&password=secret')
  assertOAuthError(t, res, 500, 'server_error')
  t.notOk(res.body.includes('db.internal'), 'no internals')
})

t.test('a login on a weaker hash re-hashes with the current parameters', async (t) => {
  const weak = await hashPassword('secret', { memoryCost: 4096, timeCost: 1 })
  const user = { id: 'u-weak', username: 'weak', passwordHash: weak as string | null }
  const updates: string[] = []
  const { app } = await buildApp({
    users: {
      findByUsername: (u) => u === 'weak' ? user : null,
      updatePasswordHash: async (u, hash) => { updates.push(u.id); user.passwordHash = hash }
    }
  })
  t.teardown(() => app.close())
  t.equal((await tokenRequest(app, 'grant_type=password&username=weak&password=secret')).statusCode, 200)
  t.same(updates, ['u-weak'])
  t.match(user.passwordHash, /^\$argon2id\$v=19\$/)
  t.match(user.passwordHash, /m=19456/)
  t.match(user.passwordHash, /t=2/)
  t.equal((await tokenRequest(app, 'grant_type=password&username=weak&password=secret')).statusCode, 200)
  t.same(updates, ['u-weak'], 'no second re-hash once current')
})

t.test('a failing updatePasswordHash does not fail the login', async (t) => {
  const weak = await hashPassword('secret', { memoryCost: 4096, timeCost: 1 })
  const { app } = await buildApp({
    users: {
      findByUsername: () => ({ id: 'u-weak', username: 'weak', passwordHash: weak }),
      updatePasswordHash: () => { throw new Error('read-only store') }
    }
  })
  t.teardown(() => app.close())
  t.equal((await tokenRequest(app, 'grant_type=password&username=weak&password=secret')).statusCode, 200)
})

t.test('prototype-named usernames on a plain-object store are unknown users, not a 500', async (t) => {
  const passwordHash = await hashPassword('secret')
  const table: Record<string, unknown> = { alice: { id: 'u-alice', username: 'alice', passwordHash } }
  const { app } = await buildApp({ rateLimit: false, users: { findByUsername: (u) => table[u] as never } })
  t.teardown(() => app.close())
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const res = await tokenRequest(app, `grant_type=password&username=${name}&password=secret`)
    assertOAuthError(t, res, 400, 'invalid_grant')
  }
  t.equal((await tokenRequest(app, 'grant_type=password&username=alice&password=secret')).statusCode, 200)
})
