import { createHmac } from 'node:crypto'
import t from 'tap'
import { buildApp, login, SECRET, type TestApp } from './support.js'
import type { LoadedUser } from '../lib/index.js'

let ctx: TestApp
let alice: string
let carol: string
t.before(async () => {
  ctx = await buildApp()
  alice = await login(ctx.app, 'alice')
  carol = await login(ctx.app, 'carol')
})
t.teardown(() => ctx.app.close())

const get = (url: string, authorization?: string) =>
  ctx.app.inject({ url, headers: authorization === undefined ? {} : { authorization } })

function sign (claims: Record<string, unknown>, header: Record<string, unknown> = { typ: 'at+jwt' }, key: string = SECRET): string {
  const now = Math.floor(Date.now() / 1000)
  const payload = {
    iss: 'fastify-password-bearer',
    aud: 'fastify-password-bearer',
    sub: 'u-alice',
    iat: now,
    exp: now + 60,
    jti: 'jti-0123456789abcdef',
    client_id: 'fastify-password-bearer',
    scope: 'items:read',
    ...claims
  }
  const input = `${b64(JSON.stringify({ alg: 'HS256', ...header }))}.${b64(JSON.stringify(payload))}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

const b64 = (s: string) => Buffer.from(s).toString('base64url')

t.test('a valid token sets request.currentUser from its claims', async (t) => {
  const res = await get('/me', `Bearer ${alice}`)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: 'u-alice', username: 'alice', scopes: ['items:read', 'items:write'] })
})

t.test('no credentials: 401 with a bare Bearer challenge', async (t) => {
  for (const authorization of [undefined, 'Basic YWxpY2U6c2VjcmV0', 'Digest abc']) {
    const res = await get('/me', authorization)
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api"', 'no error attribute')
    t.match(res.json(), { statusCode: 401, code: 'FST_PWB_NO_TOKEN' })
  }
})

t.test('a malformed Authorization header is 400 invalid_request', async (t) => {
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer\t' + alice, `Bearer ${alice} extra`, 'Bearer a,b', 'Bearer "abc"']) {
    const res = await get('/me', authorization)
    t.equal(res.statusCode, 400, JSON.stringify(authorization))
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_request"')
    t.match(res.json(), { code: 'FST_PWB_INVALID_REQUEST', error: 'invalid_request' })
  }
})

t.test('the scheme is case-insensitive and takes one or more spaces', async (t) => {
  for (const authorization of [`bearer ${alice}`, `BEARER ${alice}`, `Bearer    ${alice}`]) {
    t.equal((await get('/me', authorization)).statusCode, 200, authorization.slice(0, 10))
  }
})

t.test('invalid tokens are 401 invalid_token, never 500', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const [h, p, s] = alice.split('.') as [string, string, string]
  const cases: Record<string, string> = {
    'bad signature': `${h}.${p}.${s.slice(0, -2)}AA`,
    garbage: 'abc.def.ghi',
    'one segment': 'abcdef',
    'two segments': `${h}.${p}`,
    'wrong key': sign({}, { typ: 'at+jwt' }, 'another-secret-another-secret-another'),
    expired: sign({ iat: now - 120, exp: now - 60 }),
    'not yet valid': sign({ nbf: now + 600 }),
    'foreign issuer': sign({ iss: 'https://evil.example' }),
    'foreign audience': sign({ aud: 'other-api' }),
    'typ JWT': sign({}, { typ: 'JWT' }),
    'no typ': sign({}, {}),
    'no sub': sign({ sub: undefined }),
    'no jti': sign({ jti: undefined }),
    'no exp': sign({ exp: undefined }),
    'string exp': sign({ exp: String(now + 60) }),
    'numeric scope': sign({ scope: 42 }),
    'alg none': `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${p}.`
  }
  for (const [name, token] of Object.entries(cases)) {
    const res = await get('/me', `Bearer ${token}`)
    t.equal(res.statusCode, 401, name)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"', name)
    t.match(res.json(), { code: 'FST_PWB_INVALID_TOKEN', error: 'invalid_token' }, name)
  }
})

t.test('clockTolerance allows a token just past exp', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const token = sign({ iat: now - 100, exp: now - 2 })
  t.equal((await get('/me', `Bearer ${token}`)).statusCode, 200, 'default 5 s leeway')
  const { app } = await buildApp({ clockTolerance: 0 })
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401)
})

t.test('requireScopes: 403 insufficient_scope names the required scopes', async (t) => {
  t.equal((await get('/items', `Bearer ${carol}`)).statusCode, 200)
  const res = await ctx.app.inject({ method: 'POST', url: '/items', headers: { authorization: `Bearer ${carol}` } })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="items:write"')
  t.match(res.json(), { statusCode: 403, code: 'FST_PWB_INSUFFICIENT_SCOPE', error: 'insufficient_scope' })
  const ok = await ctx.app.inject({ method: 'POST', url: '/items', headers: { authorization: `Bearer ${alice}` } })
  t.equal(ok.statusCode, 200)
  t.equal((await get('/items')).statusCode, 401, 'no token is still 401, not 403')
})

t.test('authenticateOptional: guests pass, a bad token does not', async (t) => {
  t.same((await get('/hello')).json(), { message: 'Hello guest' })
  t.same((await get('/hello', `Bearer ${alice}`)).json(), { message: 'Hello alice' })
  const bad = await get('/hello', 'Bearer abc.def.ghi')
  t.equal(bad.statusCode, 401)
  t.equal(bad.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"')
  t.equal((await get('/hello', 'Bearer')).statusCode, 400)
})

t.test('a token in the query string is refused; with the header it is invalid_request', async (t) => {
  const both = await get(`/me?access_token=${alice}`, `Bearer ${alice}`)
  t.equal(both.statusCode, 400)
  t.equal(both.headers['www-authenticate'], 'Bearer realm="api", error="invalid_request"')
  const queryOnly = await get(`/me?access_token=${alice}`)
  t.equal(queryOnly.statusCode, 400, 'tokens are accepted from the Authorization header only')
  t.notOk(queryOnly.body.includes(alice), 'the token is not echoed')
})

t.test('hooks compose: authenticate then requireScopes on one route loads the user once per request and checks the scope', async (t) => {
  for (const kind of ['sync', 'async'] as const) {
    const loads: string[] = []
    const loadUser = (claims: { sub: string, preferred_username?: string }): LoadedUser => {
      loads.push(claims.sub)
      return { id: claims.sub, username: claims.preferred_username ?? '' }
    }
    const { app } = await buildApp({
      loadUser: kind === 'sync' ? loadUser : async (claims) => loadUser(claims)
    }, (app) => {
      app.get('/both', { onRequest: app.authenticate, preHandler: app.requireScopes('items:write') }, async (r) => r.currentUser?.id)
    })
    t.teardown(() => app.close())
    const carolToken = await login(app, 'carol')
    const aliceToken = await login(app, 'alice')

    const denied = await app.inject({ url: '/both', headers: { authorization: `Bearer ${carolToken}` } })
    t.equal(denied.statusCode, 403, `${kind}: the preHandler still checks the scope`)
    t.equal(denied.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="items:write"', `${kind}: insufficient_scope challenge`)
    t.same(loads, ['u-carol'], `${kind}: loadUser called exactly once for the refused request`)

    loads.length = 0
    const allowed = await app.inject({ url: '/both', headers: { authorization: `Bearer ${aliceToken}` } })
    t.equal(allowed.statusCode, 200, `${kind}: a token with the scope passes both hooks`)
    t.equal(allowed.body, 'u-alice')
    t.same(loads, ['u-alice'], `${kind}: loadUser called exactly once for the accepted request`)

    loads.length = 0
    t.equal((await app.inject({ url: '/both', headers: { authorization: `Bearer ${aliceToken}` } })).statusCode, 200)
    t.same(loads, ['u-alice'], `${kind}: once again on the next request (per request, not per token)`)
  }
})

for (const kind of ['async', 'sync'] as const) {
  t.test(`loadUser (${kind}) re-loads the user per request and refuses missing or disabled users`, async (t) => {
    const state = new Map([['u-alice', { id: 'u-alice', username: 'alice', email: 'a@example.com', passwordHash: 'never-exposed', scopes: ['items:read'], disabled: false }]])
    const { app } = await buildApp({
      loadUser: kind === 'async'
        ? async (claims) => state.get(claims.sub) ?? null
        : (claims) => state.get(claims.sub) ?? null
    })
    t.teardown(() => app.close())
    const token = await login(app, 'alice')
    const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(me.statusCode, 200)
    t.same(me.json(), { id: 'u-alice', username: 'alice', email: 'a@example.com', scopes: ['items:read'], disabled: false })
    t.notOk(me.body.includes('never-exposed'), 'passwordHash never reaches currentUser')
    const write = await app.inject({ method: 'POST', url: '/items', headers: { authorization: `Bearer ${token}` } })
    t.equal(write.statusCode, 403, 'a scope the user no longer holds is not honoured')
    ;(state.get('u-alice') as { disabled: boolean }).disabled = true
    const disabled = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(disabled.statusCode, 401)
    t.equal(disabled.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"')
    state.delete('u-alice')
    t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 401)
  })
}

t.test('a loaded record with an own __proto__ key (parsed from JSON) cannot set currentUser\'s prototype', async (t) => {
  const record = JSON.parse('{"id":"u-alice","username":"alice","__proto__":{"isAdmin":true},"email":"a@example.com"}') as LoadedUser
  const { app } = await buildApp({ loadUser: () => record }, (app) => {
    app.get('/admin-check', { preHandler: app.authenticate }, async (request) => ({
      isAdmin: (request.currentUser as unknown as { isAdmin?: unknown }).isAdmin ?? null,
      prototypeIsObject: Object.getPrototypeOf(request.currentUser) === Object.prototype,
      email: (request.currentUser as unknown as { email?: unknown }).email
    }))
  })
  t.teardown(() => app.close())
  const token = await login(app, 'alice')
  const res = await app.inject({ url: '/admin-check', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { isAdmin: null, prototypeIsObject: true, email: 'a@example.com' })
})

t.test('revoking one token through loadUser works at once, although the token is in the verified-token cache', async (t) => {
  const revoked = new Set<string>()
  const { app } = await buildApp({
    verifyCacheSize: 1000,
    loadUser: (claims) => (revoked.has(claims.jti) ? null : { id: claims.sub, username: claims.preferred_username ?? '' })
  })
  t.teardown(() => app.close())
  const first = await login(app, 'alice')
  const second = await login(app, 'alice')
  const me = (token: string): Promise<number> => app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } }).then((r) => r.statusCode)
  t.equal(await me(first), 200)
  t.equal(await me(first), 200, 'now answered from the cache')
  const jti = (JSON.parse(Buffer.from(first.split('.')[1] as string, 'base64url').toString()) as { jti: string }).jti
  revoked.add(jti) // e.g. on logout
  t.equal(await me(first), 401, 'the revoked token is refused on its next request')
  t.equal(await me(second), 200, 'another token of the same user still works')
})

t.test('loadUser faults: 500 on a throw, 503 on a timeout, no internals', async (t) => {
  const { app } = await buildApp({
    userLookupTimeout: 50,
    loadUser: async (claims) => {
      if (claims.sub === 'u-alice') throw new Error('db.internal exploded')
      return new Promise(() => {})
    }
  })
  t.teardown(() => app.close())
  const a = await login(app, 'alice')
  const c = await login(app, 'carol')
  const thrown = await app.inject({ url: '/me', headers: { authorization: `Bearer ${a}` } })
  t.equal(thrown.statusCode, 500)
  t.match(thrown.json(), { code: 'FST_PWB_SERVER_ERROR' })
  t.notOk(thrown.body.includes('db.internal'))
  const hung = await app.inject({ url: '/me', headers: { authorization: `Bearer ${c}` } })
  t.equal(hung.statusCode, 503)
  t.equal(hung.headers['retry-after'], '5')
  t.match(hung.json(), { code: 'FST_PWB_UNAVAILABLE' })
})

t.test('realm option is quoted in challenges', async (t) => {
  const { app } = await buildApp({ realm: 'my api' })
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/me' })
  t.equal(res.headers['www-authenticate'], 'Bearer realm="my api"')
})

t.test('a percent-encoded access_token query key is still a token in the query string', async (t) => {
  const both = await get(`/me?access%5Ftoken=${alice}`, `Bearer ${alice}`)
  t.equal(both.statusCode, 400)
  t.equal(both.headers['www-authenticate'], 'Bearer realm="api", error="invalid_request"')
  t.equal((await get(`/hello?access%5ftoken=${alice}`)).statusCode, 400, 'not a guest either')
  t.equal((await get('/hello?name=%C3%A9')).statusCode, 200, 'other escapes are fine')
})

t.test('request.accessToken is frozen: one request cannot change what the next one sees', async (t) => {
  const { app } = await buildApp({}, (app) => {
    app.get('/tamper', { preHandler: app.authenticate }, async (request) => {
      try {
        (request.accessToken as Record<string, unknown>).scope = 'admin'
        return 'changed'
      } catch {
        return 'refused'
      }
    })
  })
  t.teardown(() => app.close())
  const token = await login(app, 'carol')
  const tamper = await app.inject({ url: '/tamper', headers: { authorization: `Bearer ${token}` } })
  t.equal(tamper.body, 'refused')
  const again = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.same(again.json().scopes, ['items:read'])
})
