import SwaggerParser from '@apidevtools/swagger-parser'
import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, { securityScheme } from '../lib/index.js'
import { demoUsers, SCOPES, SECRET } from './support.js'

interface Doc {
  components: { securitySchemes: Record<string, any> }
  paths: Record<string, Record<string, any>>
}

async function buildDoc (swaggerOptions: Record<string, unknown> = {}): Promise<Doc> {
  const users = await demoUsers()
  const app = Fastify()
  await app.register(swagger, {
    openapi: {
      info: { title: 'test', version: '1.0.0' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } }
    },
    ...swaggerOptions
  })
  await app.register(fastifyPasswordBearer, { secret: SECRET, scopes: SCOPES, users: { findByUsername: (u) => users.get(u) } })
  const shared = { response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } }
  app.get('/public', { schema: shared }, async () => ({ ok: true }))
  app.get('/me', { schema: shared, preHandler: app.authenticate }, async () => ({ ok: true }))
  app.get('/items', { onRequest: [app.requireScopes('items:read')] }, async () => ({ ok: true }))
  app.post('/items', { preHandler: [async () => {}, app.requireScopes('items:write')] }, async () => ({ ok: true }))
  app.get('/hello', { onRequest: app.authenticateOptional }, async () => ({ ok: true }))
  app.get('/custom', { schema: { security: [{ apiKey: [] }] }, preHandler: app.authenticate }, async () => ({ ok: true }))
  await app.ready()
  const doc = JSON.parse(JSON.stringify(app.swagger())) as Doc
  await app.close()
  return doc
}

t.test('the document has the oauth2 password scheme with every declared scope', async (t) => {
  const doc = await buildDoc()
  t.same(doc.components.securitySchemes.OAuth2PasswordBearer, {
    type: 'oauth2',
    description: 'OAuth2 password flow: log in with a username and password to get a Bearer access token.',
    flows: { password: { tokenUrl: '/token', scopes: SCOPES } }
  })
})

t.test('each protected route has security with its scopes; public routes have none', async (t) => {
  const doc = await buildDoc()
  t.same(doc.paths['/me']?.get.security, [{ OAuth2PasswordBearer: [] }])
  t.same(doc.paths['/items']?.get.security, [{ OAuth2PasswordBearer: ['items:read'] }])
  t.same(doc.paths['/items']?.post.security, [{ OAuth2PasswordBearer: ['items:write'] }])
  t.same(doc.paths['/hello']?.get.security, [{ OAuth2PasswordBearer: [] }, {}], 'optional auth allows anonymous')
  t.notOk(doc.paths['/public']?.get.security, 'public route has no security')
  t.same(doc.paths['/custom']?.get.security, [{ apiKey: [] }], "the app's own security is kept")
})

t.test('the token route is documented as a form with a password field and RFC responses', async (t) => {
  const doc = await buildDoc()
  const op = doc.paths['/token']?.post
  const form = op.requestBody.content['application/x-www-form-urlencoded']
  t.ok(form, 'form content type')
  t.same(Object.keys(doc.paths['/token'] ?? {}), ['post'], 'the 405 siblings are hidden')
  t.same(form.schema.required, ['grant_type', 'username', 'password'])
  t.equal(form.schema.properties.password.format, 'password')
  t.same(form.schema.properties.grant_type.enum, ['password'])
  t.ok(op.responses['200'].content['application/json'].schema.properties.access_token)
  t.ok(op.responses['400'].content['application/json'].schema.properties.error)
})

t.test('the document validates as OpenAPI 3', async (t) => {
  const doc = await buildDoc()
  await t.resolves(SwaggerParser.validate(doc as never))
})

t.test('an app-defined scheme of the same name is kept', async (t) => {
  const mine = securityScheme({ tokenUrl: '/elsewhere', scopes: { a: 'A' } })
  const doc = await buildDoc({ openapi: { info: { title: 't', version: '1' }, components: { securitySchemes: { OAuth2PasswordBearer: mine, apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } } } })
  t.same(doc.components.securitySchemes.OAuth2PasswordBearer, mine)
})

t.test('without @fastify/swagger, routes get no security schema', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: (u) => users.get(u) } })
  let seen: unknown = 'unset'
  app.addHook('onRoute', (route) => { if (route.url === '/me') seen = route.schema })
  app.get('/me', { preHandler: app.authenticate }, async () => 'ok')
  await app.ready()
  t.equal(seen, undefined)
})

t.test('securityScheme() helper builds the scheme for hand-written documents', async (t) => {
  t.same(securityScheme(), {
    type: 'oauth2',
    description: 'OAuth2 password flow: log in with a username and password to get a Bearer access token.',
    flows: { password: { tokenUrl: '/token', scopes: {} } }
  })
})
