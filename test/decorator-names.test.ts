import fastifyJwt from '@fastify/jwt'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, {
  AlreadyRegisteredError,
  DecoratorPresentError,
  InvalidOptionError,
  type AuthenticateHook,
  type FastifyPasswordBearerOptions,
  type LoadedUser,
  type RequireScopes
} from '../lib/index.js'
import { demoUsers, login, SCOPES, SECRET } from './support.js'

// docs/existing-apps.md, "Decorator names": the `decorators` option, for apps (the usual
// @fastify/jwt setup among them) where a name of the plugin's is already taken.

const RENAMED = {
  authenticate: 'bearerAuth',
  authenticateOptional: 'bearerOptional',
  requireScopes: 'bearerScopes',
  currentUser: 'bearerUser',
  accessToken: 'bearerClaims'
} as const

async function options (extra: Partial<FastifyPasswordBearerOptions> = {}): Promise<FastifyPasswordBearerOptions> {
  const users = await demoUsers()
  return { secret: SECRET, scopes: SCOPES, rateLimit: false, users: { findByUsername: (u) => users.get(u) }, ...extra }
}

/** A renamed decorator, for an app that did not merge the names into PasswordBearerNames. */
function decorator<T> (app: FastifyInstance, name: string): T {
  return app.getDecorator<T>(name)
}
const requestProperty = (request: FastifyRequest, name: string): unknown => (request as unknown as Record<string, unknown>)[name]

t.test('renamed decorators: the hooks work under the new names and set the renamed request properties', async (t) => {
  const loads: string[] = []
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, await options({
    decorators: RENAMED,
    loadUser: (claims): LoadedUser => { loads.push(claims.sub); return { id: claims.sub, username: claims.preferred_username ?? '', scopes: ['items:read', 'items:write'] } }
  }))
  const auth = decorator<AuthenticateHook>(app, 'bearerAuth')
  const optional = decorator<AuthenticateHook>(app, 'bearerOptional')
  const scopes = decorator<RequireScopes>(app, 'bearerScopes')
  const who = async (request: FastifyRequest) => ({
    user: (requestProperty(request, 'bearerUser') as { id: string } | null)?.id ?? null,
    sub: (requestProperty(request, 'bearerClaims') as { sub: string } | null)?.sub ?? null,
    defaultNames: ['currentUser' in request || 'accessToken' in request]
  })
  app.get('/me', { preHandler: auth }, who)
  app.get('/hello', { onRequest: optional }, who)
  app.get('/both', { onRequest: auth, preHandler: scopes('items:write') }, who)
  app.get('/awaited', async (request, reply) => (await auth(request, reply)) ? who(request) : reply)
  await app.ready()

  t.notOk(app.hasDecorator('authenticate'), 'no decorator under the default name')
  t.notOk(app.hasDecorator('requireScopes'))
  t.notOk(app.hasRequestDecorator('currentUser'))
  t.ok(app.hasRequestDecorator('bearerUser'))
  const token = await login(app, 'alice')
  const bearer = { authorization: `Bearer ${token}` }
  const expected = { user: 'u-alice', sub: 'u-alice', defaultNames: [false] }
  t.same((await app.inject({ url: '/me', headers: bearer })).json(), expected, 'request.bearerUser and request.bearerClaims are set')
  t.same((await app.inject({ url: '/awaited', headers: bearer })).json(), expected, 'awaited too')
  t.same((await app.inject({ url: '/hello' })).json(), { user: null, sub: null, defaultNames: [false] }, 'a guest: both null')
  t.equal((await app.inject({ url: '/me' })).statusCode, 401)

  loads.length = 0
  t.same((await app.inject({ url: '/both', headers: bearer })).json(), expected)
  t.same(loads, ['u-alice'], 'the second hook finds the user under the renamed properties: loadUser ran once')
})

t.test('renamed hooks are still recognised on routes: OpenAPI security, no-store, query-less logs', async (t) => {
  const logs: string[] = []
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => { logs.push(line) } } } })
  t.teardown(() => app.close())
  await app.register(swagger, { openapi: { info: { title: 'test', version: '1.0.0' } } })
  await app.register(fastifyPasswordBearer, await options({ decorators: RENAMED }))
  app.get('/me', { preHandler: decorator<AuthenticateHook>(app, 'bearerAuth') }, async () => ({ ok: true }))
  app.get('/items', { preHandler: decorator<RequireScopes>(app, 'bearerScopes')('items:read') }, async () => ['a'])
  app.get('/hello', { onRequest: decorator<AuthenticateHook>(app, 'bearerOptional') }, async () => 'hi')
  app.get('/composed', { preHandler: decorator<AuthenticateHook>(app, 'bearerAuth').passError }, async () => ({ ok: true }))
  await app.ready()

  const doc = JSON.parse(JSON.stringify(app.swagger()))
  t.same(doc.paths['/me'].get.security, [{ OAuth2PasswordBearer: [] }])
  t.same(doc.paths['/items'].get.security, [{ OAuth2PasswordBearer: ['items:read'] }])
  t.same(doc.paths['/hello'].get.security, [{ OAuth2PasswordBearer: [] }, {}])
  t.same(doc.paths['/composed'].get.security, [{ OAuth2PasswordBearer: [] }], 'the passError form too')

  const token = await login(app, 'alice')
  const ok = await app.inject({ url: '/items?password=QUERY-SECRET', headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['cache-control'], 'no-store')
  t.equal(ok.headers.vary, 'Authorization')
  t.ok(logs.some((line) => line.includes('"url":"/items"')), 'the request is logged')
  t.notOk(logs.some((line) => line.includes('QUERY-SECRET')), 'without its query string')
})

t.test('app.getDecorator() gives the hook itself, with its passError form; binding arguments still binds them', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, await options())
  const hook = app.getDecorator<AuthenticateHook>('authenticate')
  t.equal(hook, app.authenticate, 'the same function: the route marker recognises it')
  t.equal(hook.passError, app.authenticate.passError)
  t.equal(hook.passError.bind(app), app.authenticate.passError)
  const seen: unknown[] = []
  const partial = app.authenticate.bind(null, { url: '/x', query: {}, headers: {}, raw: { rawHeaders: [] } } as unknown as FastifyRequest)
  t.not(partial, app.authenticate, 'a new function when arguments are bound')
  const reply = {
    hasHeader: () => false,
    getHeader: () => undefined,
    header: () => reply,
    headers: () => reply,
    code: () => reply,
    send: (body: string) => { seen.push(JSON.parse(body).code) }
  }
  partial(reply as unknown as FastifyReply, () => {})
  t.same(seen, ['FST_PWB_NO_TOKEN'], 'and it runs the hook with them')
})

t.test('the usual @fastify/jwt setup already decorates "authenticate"', async (t) => {
  async function jwtApp (): Promise<FastifyInstance> {
    const app = Fastify()
    await app.register(fastifyJwt, { secret: 'the-apps-own-key-the-apps-own-key!!' })
    app.decorate('authenticate', async function (request: FastifyRequest, reply: FastifyReply) {
      try { await request.jwtVerify() } catch (err) { reply.send(err) }
    })
    return app
  }

  await t.test('with the default names, registration fails naming the name and the option that renames it', async (t) => {
    const app = await jwtApp()
    t.teardown(() => app.close())
    const err = await app.register(fastifyPasswordBearer, await options()).then(() => null, (e: unknown) => e)
    t.ok(err instanceof DecoratorPresentError, 'a DecoratorPresentError')
    t.match(err, { code: 'FST_PWB_DECORATOR_PRESENT', message: /^fastify-password-bearer: "authenticate" is already taken on the instance.*decorators\.authenticate$/ })
  })

  await t.test('renamed, both work side by side', async (t) => {
    const app = await jwtApp()
    t.teardown(() => app.close())
    await app.register(fastifyPasswordBearer, await options({ decorators: { authenticate: 'bearerAuth' } }))
    app.get('/jwt', { onRequest: app.authenticate }, async (request) => request.user)
    app.get('/ours', { onRequest: decorator<AuthenticateHook>(app, 'bearerAuth') }, async (request) => request.currentUser?.id)
    await app.ready()
    const theirs = app.jwt.sign({ hello: 'world' })
    const ours = await login(app)
    t.match((await app.inject({ url: '/jwt', headers: { authorization: `Bearer ${theirs}` } })).json(), { hello: 'world' })
    t.equal((await app.inject({ url: '/ours', headers: { authorization: `Bearer ${ours}` } })).body, 'u-alice')
    t.equal((await app.inject({ url: '/ours', headers: { authorization: `Bearer ${theirs}` } })).statusCode, 401)
  })

  await t.test('naming the user "user" clashes with @fastify/jwt\'s request.user: the option to change is named', async (t) => {
    const app = await jwtApp()
    t.teardown(() => app.close())
    const err = await app.register(fastifyPasswordBearer, await options({ decorators: { authenticate: 'bearerAuth', currentUser: 'user' } }))
      .then(() => null, (e: unknown) => e)
    t.match(err, { code: 'FST_PWB_DECORATOR_PRESENT', message: /"user" is already taken on the request.*decorators\.currentUser$/ })
  })
})

t.test('a name taken by the app or by Fastify itself fails registration with FST_PWB_DECORATOR_PRESENT', async (t) => {
  const cases: Array<[string, (app: FastifyInstance) => void, FastifyPasswordBearerOptions['decorators'], RegExp]> = [
    ['an app decorator', (app) => { app.decorate('requireScopes' as string, 'taken') }, undefined, /"requireScopes" is already taken on the instance.*decorators\.requireScopes$/],
    ['an app request decorator', (app) => { app.decorateRequest('accessToken', null) }, undefined, /"accessToken" is already taken on the request.*decorators\.accessToken$/],
    ['a Fastify method', () => {}, { authenticateOptional: 'register' }, /"register" is already taken on the instance.*decorators\.authenticateOptional$/],
    ['a Fastify request property', () => {}, { currentUser: 'body' }, /"body" is already taken on the request.*decorators\.currentUser$/]
  ]
  for (const [what, setup, decorators, message] of cases) {
    const app = Fastify()
    t.teardown(() => app.close())
    setup(app)
    const err = await app.register(fastifyPasswordBearer, await options(decorators === undefined ? {} : { decorators })).then(() => null, (e: unknown) => e)
    t.match(err, { code: 'FST_PWB_DECORATOR_PRESENT', message }, what)
  }
})

t.test('registering the plugin twice in one scope fails with FST_PWB_ALREADY_REGISTERED', async (t) => {
  for (const [what, second, withSwagger] of [
    ['the same options', {}, false],
    ['other names and token URL', { decorators: RENAMED, tokenUrl: '/other-token' }, false],
    ['with @fastify/swagger (the scheme name is claimed after)', {}, true]
  ] as Array<[string, Partial<FastifyPasswordBearerOptions>, boolean]>) {
    const app = Fastify()
    t.teardown(() => app.close())
    if (withSwagger) await app.register(swagger, { openapi: { info: { title: 'test', version: '1.0.0' } } })
    await app.register(fastifyPasswordBearer, await options())
    const err = await app.register(fastifyPasswordBearer, await options(second)).then(() => null, (e: unknown) => e)
    t.ok(err instanceof AlreadyRegisteredError, `${what}: an AlreadyRegisteredError`)
    t.match(err, { code: 'FST_PWB_ALREADY_REGISTERED', message: /^fastify-password-bearer: the plugin is already registered in this scope; register it once per scope/ }, what)
  }
})

t.test('a registration inside a scope of another one: refused with the default names, fine with its own', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, await options())
  const err = await app.register(async (child) => { await child.register(fastifyPasswordBearer, await options({ tokenUrl: '/admin/token' })) })
    .then(() => null, (e: unknown) => e)
  t.match(err, { code: 'FST_PWB_ALREADY_REGISTERED', message: /in an enclosing scope, whose "authenticate" this scope sees.*"decorators" option/ })

  const ok = Fastify()
  t.teardown(() => ok.close())
  await ok.register(fastifyPasswordBearer, await options())
  await ok.register(async (admin) => {
    await admin.register(fastifyPasswordBearer, await options({ tokenUrl: '/token', decorators: RENAMED, realm: 'admin' }))
    admin.get('/whoami', { preHandler: decorator<AuthenticateHook>(admin, 'bearerAuth') }, async (request) => (requestProperty(request, 'bearerUser') as { id: string }).id)
  }, { prefix: '/admin' })
  ok.get('/me', { preHandler: ok.authenticate }, async (request) => request.currentUser?.id)
  await ok.ready()
  const outer = await login(ok)
  t.equal((await ok.inject({ url: '/me', headers: { authorization: `Bearer ${outer}` } })).body, 'u-alice')
  const res = await ok.inject({ url: '/admin/whoami' })
  t.equal(res.headers['www-authenticate'], 'Bearer realm="admin"', 'the inner registration answers its routes')
})

t.test('the decorators option is validated: unknown names with the nearest known one, bad values', async (t) => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['a misspelled key', { authenticat: 'x' }, 'decorators.authenticat', /did you mean "authenticate"\?/],
    ['a misspelled request key', { currentuser: 'me' }, 'decorators.currentuser', /did you mean "currentUser"\?/],
    ['a key of nothing', { somethingElse: 'x' }, 'decorators.somethingElse', /known: authenticate, authenticateOptional, requireScopes, revokeUserSessions, currentUser, accessToken/],
    ['not an object', 'bearerAuth', 'decorators', /expected an object/],
    ['null', null, 'decorators', /expected an object/],
    ['an array', ['bearerAuth'], 'decorators', /expected an object/],
    ['an empty name', { authenticate: '' }, 'decorators.authenticate', /expected an identifier/],
    ['a name with a dash', { authenticate: 'bearer-auth' }, 'decorators.authenticate', /expected an identifier/],
    ['a leading digit', { currentUser: '1user' }, 'decorators.currentUser', /expected an identifier/],
    ['a number', { accessToken: 42 }, 'decorators.accessToken', /expected an identifier.*got 42/],
    ['__proto__', JSON.parse('{"currentUser":"__proto__"}'), 'decorators.currentUser', /not a property of every object/],
    ['constructor', { authenticate: 'constructor' }, 'decorators.authenticate', /not a property of every object/],
    ['too long', { authenticate: 'a'.repeat(65) }, 'decorators.authenticate', /at most 64 characters/],
    ['two hooks, one name', { authenticate: 'auth', authenticateOptional: 'auth' }, 'decorators.authenticateOptional', /"auth" is also the name of authenticate/],
    ['a hook renamed to another\'s default name', { authenticateOptional: 'authenticate' }, 'decorators.authenticateOptional', /"authenticate" is also the name of authenticate/],
    ['two request properties, one name', { accessToken: 'currentUser' }, 'decorators.accessToken', /is also the name of currentUser/]
  ]
  for (const [what, decorators, option, message] of cases) {
    const app = Fastify()
    t.teardown(() => app.close())
    const err = await app.register(fastifyPasswordBearer, await options({ decorators: decorators as FastifyPasswordBearerOptions['decorators'] }))
      .then(() => null, (e: unknown) => e)
    t.ok(err instanceof InvalidOptionError, `${what}: FST_PWB_INVALID_OPTION`)
    t.match(err, { message: new RegExp(`invalid option "${option.replace('.', '\\.')}": `) }, `${what}: names ${option}`)
    t.match(err, { message }, `${what}: says what is accepted`)
  }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, await options({ decorators: { currentUser: 'user', accessToken: '$token', authenticate: '_auth' } }))
  t.ok(app.hasDecorator('_auth') && app.hasRequestDecorator('user') && app.hasRequestDecorator('$token'), 'identifiers with _ and $ are accepted')
})

t.test('revokeUserSessions: renamed with the others when sessions are on; neither decorated nor claimed when off', async (t) => {
  const on = Fastify()
  t.teardown(() => on.close())
  on.decorate('revokeUserSessions' as string, 'the app\'s own')
  await on.register(fastifyPasswordBearer, await options({ revocation: true, decorators: { revokeUserSessions: 'logoutEverywhere' } }))
  on.get('/me', { preHandler: on.authenticate }, async () => ({ ok: true }))
  const token = await login(on)
  const revoke = decorator<(userId: string) => Promise<void>>(on, 'logoutEverywhere')
  t.equal(typeof revoke, 'function', 'decorated under the chosen name')
  t.equal(decorator(on, 'revokeUserSessions'), 'the app\'s own', 'the app keeps its own decorator of the default name')
  const me = (): Promise<{ statusCode: number }> => on.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.equal((await me()).statusCode, 200)
  await revoke('u-alice')
  t.equal((await me()).statusCode, 401, 'the renamed decorator ends the user\'s sessions')

  const clash = Fastify()
  t.teardown(() => clash.close())
  clash.decorate('revokeUserSessions' as string, 'the app\'s own')
  const err = await clash.register(fastifyPasswordBearer, await options({ revocation: true })).then(() => null, (e: unknown) => e)
  t.match(err, { code: 'FST_PWB_DECORATOR_PRESENT', message: /"revokeUserSessions" is already taken.*decorators\.revokeUserSessions$/ }, 'with sessions on, a taken name fails registration')

  const off = Fastify()
  t.teardown(() => off.close())
  off.decorate('revokeUserSessions' as string, 'the app\'s own')
  await off.register(fastifyPasswordBearer, await options())
  await off.ready()
  t.equal(decorator(off, 'revokeUserSessions'), 'the app\'s own', 'with sessions off the name is not the plugin\'s')
})
