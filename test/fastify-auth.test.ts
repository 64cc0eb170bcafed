import fastifyAuth from '@fastify/auth'
import createError from '@fastify/error'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import t from 'tap'
import { BearerTokenError } from '../lib/index.js'
import { buildApp, login, type TestApp } from './support.js'

// docs/existing-apps.md, "With @fastify/auth": the hooks' passError form composes with other
// strategies under `or` and `and`, in either order, and the final refusal, when it is the plugin's,
// is answered exactly as the hooks answer it.

const ApiKeyError = createError('APP_BAD_API_KEY', 'a valid x-api-key header is required', 401)

function verifyApiKey (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
  if (request.headers['x-api-key'] === 'good-key') done()
  else done(new ApiKeyError())
}

declare module 'fastify' {
  interface FastifyInstance {
    verifyApiKey: typeof verifyApiKey
  }
}

async function composedApp (configure?: (app: FastifyInstance) => void): Promise<TestApp> {
  return buildApp({
    // The user's scopes as stored: a 503 needs a store that does not answer.
    userLookupTimeout: 50,
    loadUser: (claims, request) => request.headers['x-store'] === 'hangs'
      ? new Promise(() => {})
      : { id: claims.sub, username: claims.preferred_username ?? '', scopes: claims.scope?.split(' ') ?? [] }
  }, async (app) => {
    await app.register(fastifyAuth)
    app.decorate('verifyApiKey', verifyApiKey)
    const who = async (request: FastifyRequest) => ({ user: request.currentUser?.id ?? null, claims: request.accessToken?.sub ?? null })
    const bearer = app.authenticate.passError
    app.get('/or/bearer-first', { preHandler: app.auth([bearer, app.verifyApiKey]) }, who)
    app.get('/or/key-first', { preHandler: app.auth([app.verifyApiKey, bearer]) }, who)
    app.get('/and/bearer-first', { preHandler: app.auth([bearer, app.verifyApiKey], { relation: 'and' }) }, who)
    app.get('/and/key-first', { preHandler: app.auth([app.verifyApiKey, bearer], { relation: 'and' }) }, who)
    app.get('/or/scoped', { preHandler: app.auth([app.verifyApiKey, app.requireScopes('items:write').passError]) }, who)
    app.get('/or/scoped-first', { preHandler: app.auth([app.requireScopes('items:write').passError, app.verifyApiKey]) }, who)
    app.get('/or/optional', { preHandler: app.auth([app.verifyApiKey, app.authenticateOptional.passError]) }, who)
    app.get('/or/all', { preHandler: app.auth([app.verifyApiKey, bearer], { run: 'all' }) }, who)
    app.get('/and/all', { preHandler: app.auth([bearer, app.verifyApiKey], { relation: 'and', run: 'all' }) }, who)
    app.get('/onrequest', { onRequest: app.auth([app.verifyApiKey, bearer]) }, who)
    configure?.(app)
  })
}

let ctx: TestApp
let alice: string
let carol: string
t.before(async () => {
  ctx = await composedApp()
  alice = await login(ctx.app, 'alice')
  carol = await login(ctx.app, 'carol')
})
t.teardown(() => ctx.app.close())

const KEY = { 'x-api-key': 'good-key' }
const BAD_KEY = { 'x-api-key': 'wrong' }
const bearerOf = (token: string) => ({ authorization: `Bearer ${token}` })
const get = (url: string, headers: Record<string, string> = {}) => ctx.app.inject({ url, headers })

/** The answer of the plain hook on /me (or POST /items) for the same request: what the final refusal must be. */
async function plainAnswer (headers: Record<string, string>, url = '/me', method: 'GET' | 'POST' = 'GET') {
  const res = await ctx.app.inject({ method, url, headers })
  return { statusCode: res.statusCode, challenge: res.headers['www-authenticate'], body: res.body }
}

async function answerOf (url: string, headers: Record<string, string> = {}) {
  const res = await get(url, headers)
  return { statusCode: res.statusCode, challenge: res.headers['www-authenticate'], body: res.body }
}

t.test('or: either strategy lets the request in, in either order; currentUser is set when the bearer one passed', async (t) => {
  for (const url of ['/or/bearer-first', '/or/key-first', '/onrequest']) {
    const byToken = await get(url, bearerOf(alice))
    t.equal(byToken.statusCode, 200, `${url}: a valid token`)
    t.same(byToken.json(), { user: 'u-alice', claims: 'u-alice' }, `${url}: currentUser and accessToken set`)
    t.equal(byToken.headers['www-authenticate'], undefined, `${url}: no challenge on success`)
    const byKey = await get(url, KEY)
    t.equal(byKey.statusCode, 200, `${url}: a valid API key`)
    t.same(byKey.json(), { user: null, claims: null }, `${url}: no user without a token`)
    const keyAndBadToken = await get(url, { ...KEY, authorization: 'Bearer abc.def.ghi' })
    t.equal(keyAndBadToken.statusCode, 200, `${url}: a valid key with an invalid token`)
    t.equal(keyAndBadToken.headers['www-authenticate'], undefined, `${url}: the refused token leaves no challenge on the 200`)
    t.same(keyAndBadToken.json(), { user: null, claims: null })
  }
})

t.test('or: when the plugin\'s hook is the last to fail, the client gets its exact answer', async (t) => {
  const cases: Array<[string, Record<string, string>]> = [
    ['no credentials', {}],
    ['a bad key, no token', BAD_KEY],
    ['an invalid token', { authorization: 'Bearer abc.def.ghi' }],
    ['a malformed header', { authorization: 'Bearer a b' }],
    ['another scheme', { authorization: 'Basic YTpi' }]
  ]
  for (const [what, headers] of cases) {
    const expected = await plainAnswer(headers)
    t.ok(expected.statusCode === 401 || expected.statusCode === 400, `${what}: the plain hook refuses (${expected.statusCode})`)
    t.same(await answerOf('/or/key-first', headers), expected, `${what}: status, WWW-Authenticate and body of the plain hook`)
    t.same(await answerOf('/onrequest', headers), expected, `${what}: as onRequest too`)
  }
  const res = await get('/or/key-first')
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.same(res.json(), {
    statusCode: 401,
    code: 'FST_PWB_NO_TOKEN',
    error: 'unauthorized',
    message: 'Authentication required: send "Authorization: Bearer <access_token>"; get a token from the token route'
  })
  t.equal(res.headers['cache-control'], 'no-store', 'refusals are no-store')
})

t.test('or: when the other strategy is the last to fail, its error is the answer', async (t) => {
  const res = await get('/or/bearer-first', { authorization: 'Bearer abc.def.ghi' })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { code: 'APP_BAD_API_KEY', message: 'a valid x-api-key header is required' })
  t.equal(res.headers['www-authenticate'], undefined, 'the plugin set no challenge of its own on the reply')
})

t.test('and: both must pass, in either order; the first failure is the answer', async (t) => {
  for (const url of ['/and/bearer-first', '/and/key-first']) {
    const both = await get(url, { ...KEY, ...bearerOf(alice) })
    t.equal(both.statusCode, 200, `${url}: both valid`)
    t.same(both.json(), { user: 'u-alice', claims: 'u-alice' })
    const tokenOnly = await get(url, bearerOf(alice))
    t.equal(tokenOnly.statusCode, 401, `${url}: token without key`)
    t.match(tokenOnly.json(), { code: 'APP_BAD_API_KEY' })
    t.equal(tokenOnly.headers['www-authenticate'], undefined)
    const expected = await plainAnswer({ authorization: 'Bearer abc.def.ghi' })
    t.same(await answerOf(url, { ...KEY, authorization: 'Bearer abc.def.ghi' }), expected, `${url}: key with an invalid token is the plugin's invalid_token answer`)
  }
  t.match((await get('/and/bearer-first', { authorization: 'Bearer abc.def.ghi' })).json(), { code: 'FST_PWB_INVALID_TOKEN' },
    'bearer first and failing: its refusal ends the chain')
  t.match((await get('/and/key-first', { authorization: 'Bearer abc.def.ghi' })).json(), { code: 'APP_BAD_API_KEY' },
    'key first and failing: its refusal ends the chain')
})

t.test('requireScopes(...).passError inside @fastify/auth: 403 with the scope challenge, or the key', async (t) => {
  const expected = await plainAnswer(bearerOf(carol), '/items', 'POST')
  t.equal(expected.statusCode, 403)
  t.same(await answerOf('/or/scoped', bearerOf(carol)), expected, 'the plain 403 insufficient_scope answer')
  t.equal((await get('/or/scoped', bearerOf(carol))).headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="items:write"')
  t.same((await get('/or/scoped', bearerOf(alice))).json(), { user: 'u-alice', claims: 'u-alice' })
  t.same((await get('/or/scoped', { ...KEY, ...bearerOf(carol) })).json(), { user: null, claims: null },
    'the key first lets carol in: the bearer hook did not run')
  t.same((await get('/or/scoped-first', { ...KEY, ...bearerOf(carol) })).json(), { user: null, claims: null },
    'the bearer hook first refused carol (no scope), the key let her in: no current user from the refusing hook')
  t.same((await get('/or/scoped-first', { ...KEY, ...bearerOf(alice) })).json(), { user: 'u-alice', claims: 'u-alice' })
})

t.test('authenticateOptional.passError: a guest passes, a bad token is refused', async (t) => {
  t.same((await get('/or/optional')).json(), { user: null, claims: null })
  t.same((await answerOf('/or/optional', { authorization: 'Bearer abc.def.ghi' })), await plainAnswer({ authorization: 'Bearer abc.def.ghi' }))
})

t.test('run: "all": every strategy runs; the answers stay right', async (t) => {
  t.same((await get('/or/all', { ...KEY, ...bearerOf(alice) })).json(), { user: 'u-alice', claims: 'u-alice' }, 'or: both ran')
  t.equal((await get('/or/all', KEY)).statusCode, 200, 'or: the key is enough')
  t.same(await answerOf('/or/all'), await plainAnswer({}), 'or: the last failure is the plugin\'s answer')
  t.same((await get('/and/all', { ...KEY, ...bearerOf(alice) })).json(), { user: 'u-alice', claims: 'u-alice' })
  t.same(await answerOf('/and/all', KEY), await plainAnswer({}), 'and: the first failure (the plugin\'s) is the answer')
})

t.test('a 503 of a store that did not answer keeps its Retry-After and has no challenge', async (t) => {
  const res = await get('/or/key-first', { ...bearerOf(alice), 'x-store': 'hangs' })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.headers['www-authenticate'], undefined)
  t.match(res.json(), { code: 'FST_PWB_UNAVAILABLE', error: 'temporarily_unavailable' })
})

t.test('an app with its own error handler receives a BearerTokenError, and still handles its other errors', async (t) => {
  const received: unknown[] = []
  const app = (await composedApp((app) => {
    app.setErrorHandler((err, _request, reply) => {
      received.push(err)
      if (err instanceof BearerTokenError) {
        return reply.code(err.statusCode).headers(err.headers).send({ problem: err.code, rfc6750: err.error })
      }
      return reply.code(418).send({ mine: (err as Error).message })
    })
    app.get('/boom', async () => { throw new Error('app failure') })
  })).app
  t.teardown(() => app.close())
  const refused = await app.inject({ url: '/or/key-first', headers: { authorization: 'Bearer abc.def.ghi' } })
  t.equal(refused.statusCode, 401)
  t.equal(refused.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"', 'from err.headers')
  t.same(refused.json(), { problem: 'FST_PWB_INVALID_TOKEN', rfc6750: 'invalid_token' })
  const err = received[0] as BearerTokenError
  t.ok(err instanceof BearerTokenError)
  t.match(err, { code: 'FST_PWB_INVALID_TOKEN', statusCode: 401, error: 'invalid_token' })
  t.same(err.toJSON(), JSON.parse((await app.inject({ url: '/me', headers: { authorization: 'Bearer abc.def.ghi' } })).body), 'toJSON() is the plain hook\'s body')

  const boom = await app.inject({ url: '/boom' })
  t.same([boom.statusCode, boom.json()], [418, { mine: 'app failure' }], "the app's other errors reach its handler")
  t.equal(received.length, 2)
})

t.test("an app's handler that passes the error on gets Fastify's default rendering, with the status and challenge", async (t) => {
  const app = (await composedApp((app) => {
    app.setErrorHandler((err, _request, reply) => { reply.send(err) })
  })).app
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/or/key-first' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
  t.match(res.json(), { statusCode: 401, code: 'FST_PWB_NO_TOKEN', error: 'Unauthorized' })
})

t.test("a route's own errorHandler receives the BearerTokenError; routes without one keep the plugin's answer", async (t) => {
  const seen: string[] = []
  const { app } = await composedApp((app) => {
    app.get('/own-handler', {
      preHandler: app.auth([app.verifyApiKey, app.authenticate.passError]),
      errorHandler: (err, _request, reply) => {
        seen.push((err as BearerTokenError).code)
        reply.code(499).send({ own: true })
      }
    }, async () => 'in')
  })
  t.teardown(() => app.close())
  t.same((await app.inject({ url: '/own-handler' })).json(), { own: true })
  t.same(seen, ['FST_PWB_NO_TOKEN'])
  t.match((await app.inject({ url: '/or/key-first' })).json(), { code: 'FST_PWB_NO_TOKEN', error: 'unauthorized' })
})

t.test('errors that are not refusals go on to Fastify\'s handler unchanged, thrown values that are not Errors too', async (t) => {
  const { app } = await composedApp((app) => {
    app.get('/throws-error', async () => { throw Object.assign(new Error('teapot'), { statusCode: 418 }) })
    // eslint-disable-next-line prefer-promise-reject-errors
    app.get('/throws-string', () => Promise.reject('a string'))
  })
  t.teardown(() => app.close())
  const err = await app.inject({ url: '/throws-error' })
  t.same([err.statusCode, err.json().message], [418, 'teapot'])
  const str = await app.inject({ url: '/throws-string' })
  t.equal(str.statusCode, 500, 'still an error, not a 200 with the string as body')
})

t.test('the plain hook inside @fastify/auth answers by itself: the next strategy never runs (use .passError)', async (t) => {
  const { app } = await composedApp((app) => {
    app.get('/plain-inside', { preHandler: app.auth([app.authenticate, app.verifyApiKey]) }, async () => 'in')
  })
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/plain-inside', headers: KEY })
  t.equal(res.statusCode, 401, 'the API key was not tried')
})
