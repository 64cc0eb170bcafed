import { createHmac } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import t from 'tap'
import { BearerTokenError } from '../lib/index.js'
import { buildApp, login, SECRET, type TestApp } from './support.js'

// docs/existing-apps.md, "Awaited in your own code": the hooks awaited from an app's own async hook
// or handler answer exactly as they do as route hooks, and tell the app whether to go on.

let ctx: TestApp
let alice: string
let carol: string
t.before(async () => {
  ctx = await buildApp({
    userLookupTimeout: 50,
    loadUser: (claims, request) => {
      if (request.headers['x-store'] === 'throws') throw new Error('store down')
      if (request.headers['x-store'] === 'hangs') return new Promise(() => {})
      return { id: claims.sub, username: claims.preferred_username ?? '' }
    }
  }, (app) => {
    const write = app.requireScopes('items:write')
    // The app's own async hooks and handlers, each awaiting a hook.
    app.register(async (scope) => {
      scope.addHook('preHandler', async (request, reply) => {
        if (!(await app.authenticate(request, reply))) return reply
      })
      scope.get('/awaited/me', async (request) => request.currentUser)
    })
    app.get('/awaited/items', async (request, reply) => {
      if (!(await write(request, reply))) return reply
      return { ok: true, user: request.currentUser?.id }
    })
    app.post('/items-write-callback', { preHandler: write }, async () => ({ ok: true }))
    app.get('/awaited/hello', { onRequest: async (request, reply) => { if (!(await app.authenticateOptional(request, reply))) return reply } },
      async (request) => ({ message: `Hello ${request.currentUser?.username ?? 'guest'}` }))
  })
  alice = await login(ctx.app, 'alice')
  carol = await login(ctx.app, 'carol')
})
t.teardown(() => ctx.app.close())

function sign (claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000)
  const payload = { iss: 'fastify-password-bearer', aud: 'fastify-password-bearer', sub: 'u-alice', iat: now, exp: now + 60, jti: 'jti-0123456789abcdef', ...claims }
  const b64 = (s: string) => Buffer.from(s).toString('base64url')
  const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' }))}.${b64(JSON.stringify(payload))}`
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`
}

/** What a client sees of an answer. */
function seen (res: { statusCode: number, headers: Record<string, unknown>, body: string }) {
  const { statusCode, body } = res
  const pick = ['www-authenticate', 'retry-after', 'content-type', 'cache-control', 'vary']
  return { statusCode, body, headers: Object.fromEntries(pick.map((h) => [h, res.headers[h]])) }
}

t.test('awaiting authenticate with a valid token authenticates (it answered 500 "done is not a function")', async (t) => {
  const res = await ctx.app.inject({ url: '/awaited/me', headers: { authorization: `Bearer ${alice}` } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: 'u-alice', username: 'alice', scopes: ['items:read', 'items:write'] })
  const scoped = await ctx.app.inject({ url: '/awaited/items', headers: { authorization: `Bearer ${alice}` } })
  t.same(scoped.json(), { ok: true, user: 'u-alice' }, 'awaited requireScopes, in a handler')
})

t.test('every refusal is answered the same awaited as by the route hook: status, headers, body', async (t) => {
  const cases: Array<[string, string, Record<string, string>]> = [
    ['no token', '', {}],
    ['another scheme', '', { authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['malformed header', '', { authorization: 'Bearer a b' }],
    ['invalid token', '', { authorization: 'Bearer abc.def.ghi' }],
    ['expired token', '', { authorization: `Bearer ${sign({ iat: 1, exp: 2 })}` }],
    ['token in the query', `?access_token=${'x'.repeat(20)}`, {}],
    ['loadUser throws', '', { authorization: `Bearer ${carol}`, 'x-store': 'throws' }],
    ['loadUser times out', '', { authorization: `Bearer ${carol}`, 'x-store': 'hangs' }]
  ]
  for (const [name, query, headers] of cases) {
    const callback = seen(await ctx.app.inject({ url: `/me${query}`, headers }))
    const awaited = seen(await ctx.app.inject({ url: `/awaited/me${query}`, headers }))
    t.ok(callback.statusCode >= 400, `${name}: refused (${callback.statusCode})`)
    t.same(awaited, callback, `${name}: the same answer`)
  }
  // Two header lines (light-my-request sends an array as repeated lines).
  const two = { authorization: [`Bearer ${alice}`, `Bearer ${alice}`] as unknown as string }
  const callback = seen(await ctx.app.inject({ url: '/me', headers: two }))
  const awaited = seen(await ctx.app.inject({ url: '/awaited/me', headers: two }))
  t.equal(callback.statusCode, 400, 'two Authorization headers: refused')
  t.same(awaited, callback, 'two Authorization headers: the same answer')
})

t.test('awaited requireScopes: 403 insufficient_scope like the route hook', async (t) => {
  const callback = seen(await ctx.app.inject({ method: 'POST', url: '/items-write-callback', headers: { authorization: `Bearer ${carol}` } }))
  const awaited = seen(await ctx.app.inject({ url: '/awaited/items', headers: { authorization: `Bearer ${carol}` } }))
  t.equal(callback.statusCode, 403)
  t.same(awaited, callback)
  t.equal(awaited.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="items:write"')
})

t.test('awaited authenticateOptional: a guest goes on, a bad token is refused', async (t) => {
  t.same((await ctx.app.inject({ url: '/awaited/hello' })).json(), { message: 'Hello guest' })
  t.same((await ctx.app.inject({ url: '/awaited/hello', headers: { authorization: `Bearer ${carol}` } })).json(), { message: 'Hello carol' })
  const bad = await ctx.app.inject({ url: '/awaited/hello', headers: { authorization: 'Bearer abc.def.ghi' } })
  t.equal(bad.statusCode, 401)
  t.equal(bad.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"')
})

t.test('the promise says whether to go on, also where reply.sent is still false (an async onSend hook)', async (t) => {
  const outcomes: Array<{ passed: boolean, sent: boolean }> = []
  let handled = 0
  const { app } = await buildApp({}, (app) => {
    app.addHook('onSend', async (_request, _reply, payload) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return payload
    })
    app.get('/guarded', async (request, reply) => {
      const passed = await app.authenticate(request, reply)
      outcomes.push({ passed, sent: reply.sent })
      if (!passed) return reply
      handled++
      return { id: request.currentUser?.id }
    })
  })
  t.teardown(() => app.close())
  const token = await login(app, 'alice')
  const refused = await app.inject({ url: '/guarded' })
  t.equal(refused.statusCode, 401)
  t.equal(refused.headers['www-authenticate'], 'Bearer realm="api"')
  t.same(outcomes.shift(), { passed: false, sent: false }, 'false, while reply.sent is not yet true')
  t.equal(handled, 0)
  const ok = await app.inject({ url: '/guarded', headers: { authorization: `Bearer ${token}` } })
  t.same(ok.json(), { id: 'u-alice' })
  t.same(outcomes.shift(), { passed: true, sent: false })
})

t.test('with only synchronous onSend hooks, reply.sent is true right after a refusal', async (t) => {
  const sent: boolean[] = []
  const { app } = await buildApp({}, (app) => {
    app.get('/check', async (request, reply) => {
      await app.authenticate(request, reply)
      sent.push(reply.sent)
      return reply
    })
  })
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/check' })).statusCode, 401)
  t.same(sent, [true])
})

t.test('as a route hook, a hook returns no promise: the synchronous path allocates none', async (t) => {
  const returned: unknown[] = []
  const { app } = await buildApp({}, (app) => {
    const scoped = app.requireScopes('items:read')
    for (const [url, hook] of [['/cb/auth', app.authenticate], ['/cb/opt', app.authenticateOptional], ['/cb/scoped', scoped], ['/cb/pass', app.authenticate.passError]] as const) {
      app.get(url, {
        preHandler: function (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) {
          returned.push((hook as (q: FastifyRequest, r: FastifyReply, d: (err?: Error) => void) => unknown)(request, reply, done))
        }
      }, async () => ({ ok: true }))
    }
  })
  t.teardown(() => app.close())
  const token = await login(app, 'alice')
  for (const url of ['/cb/auth', '/cb/opt', '/cb/scoped', '/cb/pass']) {
    t.equal((await app.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode, 200, url)
  }
  t.same(returned, [undefined, undefined, undefined, undefined])
})

t.test('awaited passError form: rejects with the BearerTokenError; thrown from an async hook, it is answered like the hook', async (t) => {
  const caught: unknown[] = []
  const { app } = await buildApp({}, (app) => {
    app.get('/thrown', { preHandler: async (request, reply) => { await app.authenticate.passError(request, reply) } },
      async (request) => ({ id: request.currentUser?.id }))
    app.get('/caught', async (request, reply) => {
      try {
        await app.requireScopes('items:write').passError(request, reply)
        return { ok: true }
      } catch (err) {
        caught.push(err)
        return { refused: (err as BearerTokenError).code }
      }
    })
  })
  t.teardown(() => app.close())
  const carolToken = await login(app, 'carol')
  const plain = seen(await app.inject({ url: '/me', headers: { authorization: 'Bearer abc.def.ghi' } }))
  const thrown = seen(await app.inject({ url: '/thrown', headers: { authorization: 'Bearer abc.def.ghi' } }))
  t.same(thrown, plain, 'the same status, headers and body as the route hook')
  t.same((await app.inject({ url: '/thrown', headers: { authorization: `Bearer ${carolToken}` } })).json(), { id: 'u-carol' })

  t.same((await app.inject({ url: '/caught', headers: { authorization: `Bearer ${carolToken}` } })).json(), { refused: 'FST_PWB_INSUFFICIENT_SCOPE' })
  const err = caught[0] as BearerTokenError
  t.ok(err instanceof BearerTokenError)
  t.match(err, { code: 'FST_PWB_INSUFFICIENT_SCOPE', statusCode: 403, error: 'insufficient_scope' })
  t.same(err.headers, { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", scope="items:write"' })
})
