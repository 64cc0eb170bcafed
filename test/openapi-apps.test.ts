import SwaggerParser from '@apidevtools/swagger-parser'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import t from 'tap'
import fastifyPasswordBearer, { DuplicateSecuritySchemeError, SwaggerOrderError, type FastifyPasswordBearerOptions } from '../lib/index.js'
import { demoUsers, FORM, SCOPES, SECRET } from './support.js'

// docs/openapi.md: the OpenAPI document of apps that mount the plugin under a route prefix, that
// register @fastify/swagger after it, or that register it twice.

const INFO = { title: 'test', version: '1.0.0' }

async function pluginOptions (extra: Partial<FastifyPasswordBearerOptions> = {}): Promise<FastifyPasswordBearerOptions> {
  const users = await demoUsers()
  return { secret: SECRET, scopes: SCOPES, rateLimit: false, users: { findByUsername: (u) => users.get(u) }, ...extra }
}

function documentOf (app: FastifyInstance): any {
  return JSON.parse(JSON.stringify(app.swagger()))
}

/** Logs in at `tokenUrl` (the URL the document publishes) and returns the access token. */
async function loginAt (app: FastifyInstance, tokenUrl: string, username = 'alice'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: tokenUrl, headers: FORM, payload: `grant_type=password&username=${username}&password=secret` })
  if (res.statusCode !== 200) throw new Error(`POST ${tokenUrl} answered ${res.statusCode} ${res.body}`)
  return (res.json() as { access_token: string }).access_token
}

t.test('under a route prefix, the published tokenUrl is where the token route answers', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, { openapi: { info: INFO } })
  const options = await pluginOptions()
  await app.register(async (api) => {
    await api.register(fastifyPasswordBearer, options)
    api.get('/me', { preHandler: api.authenticate }, async (request) => ({ username: request.currentUser?.username }))
  }, { prefix: '/api/v1' })
  await app.ready()

  const doc = documentOf(app)
  const tokenUrl = doc.components.securitySchemes.OAuth2PasswordBearer.flows.password.tokenUrl
  t.equal(tokenUrl, '/api/v1/token', 'the prefix is part of the tokenUrl')
  t.ok(doc.paths['/api/v1/token']?.post, 'the token route is documented at its full path')
  t.same(doc.paths['/api/v1/me']?.get.security, [{ OAuth2PasswordBearer: [] }])
  await t.resolves(SwaggerParser.validate(doc), 'the document is valid OpenAPI 3')

  const token = await loginAt(app, tokenUrl)
  const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(me.statusCode, 200)
  t.same(me.json(), { username: 'alice' })
  t.equal((await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: 'grant_type=password' })).statusCode, 404,
    'nothing answers at the unprefixed path')
})

t.test('tokenUrl is relative to the prefix; a prefix with a trailing slash and Swagger 2 documents alike', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, { swagger: { info: INFO } })
  const options = await pluginOptions({ tokenUrl: '/auth/token' })
  await app.register(async (api) => {
    await api.register(fastifyPasswordBearer, options)
    api.get('/items', { preHandler: api.requireScopes('items:read') }, async () => [])
  }, { prefix: '/api/' })
  await app.ready()

  const doc = documentOf(app)
  t.same(doc.securityDefinitions.OAuth2PasswordBearer, { type: 'oauth2', flow: 'password', tokenUrl: '/api/auth/token', scopes: SCOPES })
  t.same(doc.paths['/api/items']?.get.security, [{ OAuth2PasswordBearer: ['items:read'] }])
  await t.resolves(SwaggerParser.validate(doc), 'the document is valid Swagger 2')
  await t.resolves(loginAt(app, '/api/auth/token'))
})

t.test('registration order with @fastify/swagger', async (t) => {
  await t.test('@fastify/swagger first: scheme, token route and route security are in the document', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(swagger, { openapi: { info: INFO } })
    await app.register(fastifyPasswordBearer, await pluginOptions())
    app.get('/me', { preHandler: app.authenticate }, async () => ({}))
    await app.ready()
    const doc = documentOf(app)
    t.ok(doc.components.securitySchemes.OAuth2PasswordBearer)
    t.ok(doc.paths['/token']?.post)
    t.same(doc.paths['/me']?.get.security, [{ OAuth2PasswordBearer: [] }])
  })

  await t.test('@fastify/swagger after the plugin: startup fails with FST_PWB_SWAGGER_ORDER, saying to register it first', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyPasswordBearer, await pluginOptions())
    await app.register(swagger, { openapi: { info: INFO } })
    app.get('/me', { preHandler: app.authenticate }, async () => ({}))
    const err = await app.ready().then(() => null, (e: unknown) => e)
    t.ok(err instanceof SwaggerOrderError, 'a SwaggerOrderError')
    t.match(err, { code: 'FST_PWB_SWAGGER_ORDER', message: /register @fastify\/swagger first/ })
    t.match(err, { message: /"OAuth2PasswordBearer" security scheme/ })
  })

  await t.test('autoload order (plugins loaded by file name, password-bearer.ts before swagger.ts) fails the same way', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const options = await pluginOptions()
    // What @fastify/autoload does with plugins/password-bearer.ts and plugins/swagger.ts, then routes/.
    await app.register(fp(async (instance) => { await instance.register(fastifyPasswordBearer, options) }))
    await app.register(fp(async (instance) => { await instance.register(swagger, { openapi: { info: INFO } }) }))
    await app.register(async (routes) => {
      routes.get('/me', { preHandler: routes.authenticate }, async () => ({}))
    })
    await t.rejects(async () => { await app.ready() }, { code: 'FST_PWB_SWAGGER_ORDER' })
  })

  await t.test('the plugin under a prefix and @fastify/swagger registered after it at the root: startup fails', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const options = await pluginOptions()
    await app.register(async (api) => {
      await api.register(fastifyPasswordBearer, options)
      api.get('/me', { preHandler: api.authenticate }, async () => ({}))
    }, { prefix: '/api' })
    await app.register(swagger, { openapi: { info: INFO } })
    await t.rejects(async () => { await app.ready() }, { code: 'FST_PWB_SWAGGER_ORDER' })
  })

  await t.test('@fastify/swagger registered after the plugin in the scope of its protected routes: startup fails', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyPasswordBearer, await pluginOptions())
    await app.register(async (api) => {
      await api.register(swagger, { openapi: { info: INFO } })
      api.get('/me', { preHandler: app.authenticate }, async () => ({}))
      api.get('/items', { preHandler: app.requireScopes('items:read') }, async () => [])
    })
    await t.rejects(async () => { await app.ready() }, { code: 'FST_PWB_SWAGGER_ORDER' })
  })

  await t.test('a "swagger" decorator that is not a function is not @fastify/swagger', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const name: string = 'swagger'
    app.decorate(name, 'the docs team')
    await app.register(fastifyPasswordBearer, await pluginOptions())
    app.get('/me', { preHandler: app.authenticate }, async () => ({}))
    await t.resolves(async () => { await app.ready() })
  })

  await t.test('without @fastify/swagger, startup succeeds', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifyPasswordBearer, await pluginOptions())
    app.get('/me', { preHandler: app.authenticate }, async () => ({}))
    await t.resolves(async () => { await app.ready() })
  })
})

t.test('two registrations in two prefixed scopes', async (t) => {
  await t.test('the document holds both schemes, each with its own scopes and working tokenUrl', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(swagger, { openapi: { info: INFO } })
    const admin = await pluginOptions({ securitySchemeName: 'AdminLogin', scopes: SCOPES })
    const shop = await pluginOptions({ securitySchemeName: 'ShopLogin', scopes: { 'items:read': 'Browse the shop' } })
    await app.register(async (scope) => {
      await scope.register(fastifyPasswordBearer, admin)
      scope.post('/items', { preHandler: scope.requireScopes('items:write') }, async () => ({ ok: true }))
    }, { prefix: '/admin' })
    await app.register(async (scope) => {
      await scope.register(fastifyPasswordBearer, shop)
      scope.get('/items', { preHandler: scope.requireScopes('items:read') }, async () => ({ ok: true }))
    }, { prefix: '/shop' })
    await app.ready()

    const doc = documentOf(app)
    const schemes = doc.components.securitySchemes
    t.same(Object.keys(schemes).sort(), ['AdminLogin', 'ShopLogin'])
    t.same(schemes.AdminLogin.flows.password, { tokenUrl: '/admin/token', scopes: SCOPES })
    t.same(schemes.ShopLogin.flows.password, { tokenUrl: '/shop/token', scopes: { 'items:read': 'Browse the shop' } })
    t.same(doc.paths['/admin/items']?.post.security, [{ AdminLogin: ['items:write'] }])
    t.same(doc.paths['/shop/items']?.get.security, [{ ShopLogin: ['items:read'] }])
    t.ok(doc.paths['/admin/token']?.post && doc.paths['/shop/token']?.post, 'both token routes are documented')
    await t.resolves(SwaggerParser.validate(doc))

    const adminToken = await loginAt(app, schemes.AdminLogin.flows.password.tokenUrl)
    t.equal((await app.inject({ method: 'POST', url: '/admin/items', headers: { authorization: `Bearer ${adminToken}` } })).statusCode, 200)
    const shopToken = await loginAt(app, schemes.ShopLogin.flows.password.tokenUrl, 'carol')
    t.equal((await app.inject({ url: '/shop/items', headers: { authorization: `Bearer ${shopToken}` } })).statusCode, 200)
  })

  await t.test('the same scheme name twice in one document fails startup with FST_PWB_DUPLICATE_SCHEME', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(swagger, { openapi: { info: INFO } })
    const options = await pluginOptions()
    // Not awaited: the second registration fails, and ready() reports it.
    app.register(async (scope) => { await scope.register(fastifyPasswordBearer, options) }, { prefix: '/a' })
    app.register(async (scope) => { await scope.register(fastifyPasswordBearer, options) }, { prefix: '/b' })
    const err = await app.ready().then(() => null, (e: unknown) => e)
    t.ok(err instanceof DuplicateSecuritySchemeError, 'a DuplicateSecuritySchemeError')
    t.match(err, { code: 'FST_PWB_DUPLICATE_SCHEME', message: /"OAuth2PasswordBearer".*securitySchemeName/ })
  })

  await t.test('without @fastify/swagger, two registrations may keep the default name', async (t) => {
    const app = Fastify()
    t.teardown(() => app.close())
    const options = await pluginOptions()
    await app.register(async (scope) => { await scope.register(fastifyPasswordBearer, options) }, { prefix: '/a' })
    await app.register(async (scope) => { await scope.register(fastifyPasswordBearer, options) }, { prefix: '/b' })
    await t.resolves(async () => { await app.ready() })
  })

  await t.test('two apps, each with its own document, may use the same name', async (t) => {
    for (let i = 0; i < 2; i++) {
      const app = Fastify()
      t.teardown(() => app.close())
      await app.register(swagger, { openapi: { info: INFO } })
      await app.register(fastifyPasswordBearer, await pluginOptions())
      await t.resolves(async () => { await app.ready() })
    }
  })
})

t.test("the app's swagger options are not changed by the published scheme", async (t) => {
  const securitySchemes = { apiKey: { type: 'apiKey' as const, in: 'header' as const, name: 'x-api-key' } }
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, { openapi: { info: INFO, components: { securitySchemes } } })
  await app.register(fastifyPasswordBearer, await pluginOptions())
  await app.ready()
  const doc = documentOf(app)
  t.same(Object.keys(doc.components.securitySchemes).sort(), ['OAuth2PasswordBearer', 'apiKey'])
  t.same(Object.keys(securitySchemes), ['apiKey'], "the app's object keeps its own schemes only")
  t.match(app.swagger({ yaml: true }), /OAuth2PasswordBearer:/, 'the YAML document has the scheme too')
  t.same(Object.keys(securitySchemes), ['apiKey'], 'and the YAML build did not change it either')
})
