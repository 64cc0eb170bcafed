// The OpenAPI document with refresh tokens and revocation on: refreshUrl on the password flow, the
// refresh grant on the token route, the revocation route documented like the token route.
import SwaggerParser from '@apidevtools/swagger-parser'
import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, { securityScheme, type FastifyPasswordBearerOptions } from '../lib/index.js'
import { SCOPES, SECRET } from './support.js'

async function buildDoc (options: Partial<FastifyPasswordBearerOptions>, openapi = true, prefix = ''): Promise<any> {
  const app = Fastify()
  await app.register(swagger, openapi
    ? { openapi: { info: { title: 'test', version: '1.0.0' } } }
    : { swagger: { info: { title: 'test', version: '1.0.0' } } })
  await app.register(async (scope) => {
    await scope.register(fastifyPasswordBearer, { secret: SECRET, scopes: SCOPES, users: { findByUsername: () => null }, ...options })
    scope.get('/me', { onRequest: scope.authenticate }, async () => 'ok')
  }, { prefix })
  await app.ready()
  const doc = JSON.parse(JSON.stringify(app.swagger())) as any
  await app.close()
  return doc
}

t.test('with refresh tokens, the password flow has refreshUrl: the token route, prefix included', async (t) => {
  const doc = await buildDoc({ refreshTokens: true }, true, '/auth')
  t.same(doc.components.securitySchemes.OAuth2PasswordBearer.flows, {
    password: { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes: SCOPES }
  })
  t.same((await buildDoc({ revocation: true })).components.securitySchemes.OAuth2PasswordBearer.flows.password,
    { tokenUrl: '/token', scopes: SCOPES }, 'revocation alone: no refreshUrl')
})

t.test('the token route documents both grants and the refresh token in its answer', async (t) => {
  const doc = await buildDoc({ refreshTokens: true })
  const op = doc.paths['/token'].post
  const [password, refresh] = op.requestBody.content['application/x-www-form-urlencoded'].schema.oneOf
  t.same(password.required, ['grant_type', 'username', 'password'])
  t.same(password.properties.grant_type.enum, ['password'])
  t.same(refresh.required, ['grant_type', 'refresh_token'])
  t.same(refresh.properties.grant_type.enum, ['refresh_token'])
  t.ok(refresh.properties.scope)
  const ok = op.responses['200'].content['application/json'].schema
  t.ok(ok.required.includes('refresh_token'))
  t.ok(ok.properties.refresh_token)
})

t.test('the revocation route is documented like the token route: form body, empty 200, RFC errors, hidden 405s', async (t) => {
  const doc = await buildDoc({ refreshTokens: true, revokeUrl: '/logout' }, true, '/auth')
  t.same(Object.keys(doc.paths['/auth/logout']), ['post'])
  const op = doc.paths['/auth/logout'].post
  t.same(op.tags, ['auth'])
  const form = op.requestBody.content['application/x-www-form-urlencoded'].schema
  t.same(form.required, ['token'])
  t.same(form.properties.token_type_hint.enum, ['refresh_token', 'access_token'])
  t.notOk(op.responses['200'].content, 'an empty 200')
  t.same(Object.keys(op.responses).sort(), ['200', '400', '401', '429', '503'])
  t.ok(op.responses['400'].content['application/json'].schema.properties.error)
  t.notOk(op.security, 'no Bearer security on the revocation route')
  await t.resolves(SwaggerParser.validate(doc))
})

t.test('the documents validate, OpenAPI 3 and Swagger 2', async (t) => {
  await t.resolves(SwaggerParser.validate(await buildDoc({ refreshTokens: true })))
  const v2 = await buildDoc({ refreshTokens: true }, false)
  await t.resolves(SwaggerParser.validate(v2))
  t.ok(v2.paths['/revoke'].post)
  const params = Object.fromEntries(v2.paths['/token'].post.parameters.map((p: any) => [p.name, p]))
  t.same(Object.keys(params).sort(), ['grant_type', 'password', 'refresh_token', 'scope', 'username'], 'Swagger 2: one form with the fields of both grants')
  t.same(params.grant_type.enum, ['password', 'refresh_token'])
  t.same(Object.values(params).filter((p: any) => p.required === true).map((p: any) => p.name), ['grant_type'])
})

t.test('securityScheme() takes refreshUrl for hand-written documents', async (t) => {
  t.same(securityScheme({ tokenUrl: '/token', refreshUrl: '/token' }).flows.password, { tokenUrl: '/token', refreshUrl: '/token', scopes: {} })
})

t.test('without sessions the token route is documented as before', async (t) => {
  const doc = await buildDoc({})
  t.same(doc.paths['/token'].post.requestBody.content['application/x-www-form-urlencoded'].schema.required, ['grant_type', 'username', 'password'])
  t.notOk(doc.paths['/revoke'])
  t.notOk('refreshUrl' in doc.components.securitySchemes.OAuth2PasswordBearer.flows.password)
})
