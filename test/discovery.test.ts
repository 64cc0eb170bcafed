// The discovery routes of an issuer: the JWKS (RFC 7517), the authorization server metadata
// (RFC 8414) and the protected resource metadata (RFC 9728) with its resource_metadata challenges.
import Fastify, { type FastifyInstance } from 'fastify'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import t from 'tap'
import fastifyPasswordBearer, { createKeySet, type FastifyPasswordBearerOptions } from '../lib/index.js'
import { buildApp, decodeSegment, demoUsers, FORM, login, SCOPES, SECRET } from './support.js'

const ISSUER = 'https://auth.example.com'
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

function edKeys (kid = 'ed-1') {
  return createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey, kid }])
}

t.test('the JWKS: public keys only, with kid, alg and use, cached for minutes; it follows a rotation', async (t) => {
  const keys = createKeySet([
    { privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'ed' },
    { privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, kid: 'rsa' },
    { secret: randomBytes(32), kid: 'hs' }
  ])
  const { app } = await buildApp({ secret: undefined, keys })
  t.teardown(() => app.close())

  const res = await app.inject({ url: '/.well-known/jwks.json' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/jwk-set\+json/)
  t.equal(res.headers['cache-control'], 'public, max-age=300')
  const jwks = res.json() as { keys: Array<Record<string, unknown>> }
  t.same(jwks.keys.map((k) => [k.kid, k.alg, k.use, k.kty]), [['ed', 'EdDSA', 'sig', 'OKP'], ['rsa', 'RS256', 'sig', 'RSA']], 'the secret is not published')
  for (const key of jwks.keys) for (const name of PRIVATE_MEMBERS) t.notOk(name in key, `${String(key.kid)} has no ${name}`)
  t.same(Object.keys(jwks.keys[0] as object).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x'])
  t.same(Object.keys(jwks.keys[1] as object).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])

  keys.rotate({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid: 'ec' })
  keys.remove('rsa')
  t.same((await app.inject({ url: '/.well-known/jwks.json' })).json().keys.map((k: { kid: string }) => k.kid), ['ed', 'ec'])
})

t.test('with the HS256 secret alone there is no JWKS (404); a key set of secrets publishes an empty one', async (t) => {
  const { app } = await buildApp({ issuer: ISSUER })
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 404)
  const metadata = (await app.inject({ url: '/.well-known/oauth-authorization-server' })).json()
  t.notOk('jwks_uri' in metadata, 'no jwks_uri in the metadata')
  t.notMatch(JSON.stringify(metadata), SECRET)

  const secrets = await buildApp({ secret: undefined, keys: [{ secret: SECRET }] })
  t.teardown(() => secrets.app.close())
  const res = await secrets.app.inject({ url: '/.well-known/jwks.json' })
  t.equal(res.body, '{"keys":[]}')
})

t.test('the RFC 8414 metadata: issuer equal to the tokens\' iss, absolute URLs under the prefix, not the Host header', async (t) => {
  const users = await demoUsers()
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(async (api) => {
    await api.register(fastifyPasswordBearer, {
      keys: edKeys(),
      issuer: ISSUER,
      users: { findByUsername: (u) => users.get(u) },
      scopes: SCOPES,
      rateLimit: false
    })
  }, { prefix: '/api/v1/' })
  await app.ready()

  const res = await app.inject({ url: '/api/v1/.well-known/oauth-authorization-server', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'public, max-age=3600')
  t.match(res.headers['content-type'], /^application\/json/)
  t.strictSame(res.json(), {
    issuer: ISSUER,
    token_endpoint: `${ISSUER}/api/v1/token`,
    grant_types_supported: ['password'],
    token_endpoint_auth_methods_supported: ['none'],
    jwks_uri: `${ISSUER}/api/v1/.well-known/jwks.json`,
    scopes_supported: ['items:read', 'items:write'],
    response_types_supported: []
  })
  t.notMatch(res.body, /evil/)

  const issued = await app.inject({ method: 'POST', url: '/api/v1/token', headers: FORM, payload: 'grant_type=password&username=alice&password=secret' })
  const token = (issued.json() as { access_token: string }).access_token
  t.equal(decodeSegment(token, 1).iss, res.json().issuer, 'the tokens\' iss is the metadata\'s issuer')
  t.equal(decodeSegment(token, 0).kid, 'ed-1')
  const jwks = await app.inject({ url: '/api/v1/.well-known/jwks.json' })
  t.equal(jwks.statusCode, 200, 'jwks_uri answers')
})

t.test('an issuer that is no URL has no metadata route; neither has a verify-only service', async (t) => {
  const { app } = await buildApp({ secret: undefined, keys: edKeys() })
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/.well-known/oauth-authorization-server' })).statusCode, 404)
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 200)
})

t.test('with resource: the RFC 9728 metadata, and every challenge names it', async (t) => {
  const resource = 'https://api.example.com'
  const { app } = await buildApp({ issuer: ISSUER, resource })
  t.teardown(() => app.close())
  const metadataUrl = `${resource}/.well-known/oauth-protected-resource`

  const res = await app.inject({ url: '/.well-known/oauth-protected-resource', headers: { host: 'evil.example' } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'public, max-age=3600')
  t.strictSame(res.json(), {
    resource,
    authorization_servers: [ISSUER],
    scopes_supported: ['items:read', 'items:write'],
    bearer_methods_supported: ['header']
  })

  const none = await app.inject({ url: '/me' })
  t.equal(none.headers['www-authenticate'], `Bearer realm="api", resource_metadata="${metadataUrl}"`)
  const bad = await app.inject({ url: '/me', headers: { authorization: 'Bearer a.b.c' } })
  t.equal(bad.headers['www-authenticate'], `Bearer realm="api", error="invalid_token", resource_metadata="${metadataUrl}"`)
  const carol = await login(app, 'carol')
  const forbidden = await app.inject({ method: 'POST', url: '/items', headers: { authorization: `Bearer ${carol}` } })
  t.equal(forbidden.headers['www-authenticate'], `Bearer realm="api", error="insufficient_scope", scope="items:write", resource_metadata="${metadataUrl}"`)
})

t.test('without resource there is no RFC 9728 route and challenges are as before', async (t) => {
  const { app } = await buildApp()
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/.well-known/oauth-protected-resource' })).statusCode, 404)
  t.equal((await app.inject({ url: '/me' })).headers['www-authenticate'], 'Bearer realm="api"')
})

t.test('a route with config.oauthMetadata is listed in the metadata (how the revocation endpoint joins)', async (t) => {
  const options: FastifyPasswordBearerOptions = { secret: SECRET, issuer: `${ISSUER}/`, users: { findByUsername: () => null }, rateLimit: false }
  const app: FastifyInstance = Fastify()
  t.teardown(() => app.close())
  await app.register(async (scope) => {
    await scope.register(fastifyPasswordBearer, options)
    scope.post('/revoke', { config: { oauthMetadata: { endpoint: 'revocation_endpoint', revocation_endpoint_auth_methods_supported: ['none'] } } }, async () => ({}))
  })
  await app.ready()
  const metadata = (await app.inject({ url: '/.well-known/oauth-authorization-server' })).json()
  t.equal(metadata.issuer, `${ISSUER}/`, 'the issuer exactly as configured')
  t.equal(metadata.token_endpoint, `${ISSUER}/token`, 'no double slash')
  t.equal(metadata.revocation_endpoint, `${ISSUER}/revoke`)
  t.same(metadata.revocation_endpoint_auth_methods_supported, ['none'])
})

t.test('with refresh tokens on, the metadata lists the refresh grant and the revocation endpoint', async (t) => {
  const { app } = await buildApp({ issuer: ISSUER, refreshTokens: true, revokeUrl: '/logout' })
  t.teardown(() => app.close())
  const metadata = (await app.inject({ url: '/.well-known/oauth-authorization-server' })).json()
  t.same(metadata.grant_types_supported, ['password', 'refresh_token'])
  t.equal(metadata.revocation_endpoint, `${ISSUER}/logout`)
  t.same(metadata.revocation_endpoint_auth_methods_supported, ['none'])
  const plain = await buildApp({ issuer: ISSUER })
  t.teardown(() => plain.app.close())
  const without = (await plain.app.inject({ url: '/.well-known/oauth-authorization-server' })).json()
  t.notOk('revocation_endpoint' in without, 'no revocation route, no revocation_endpoint')
})
