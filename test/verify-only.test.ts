// Two services on loopback: one issues tokens, the other only verifies them with the issuer's keys
// fetched from its JWKS. Through a key rotation without a restart, a flood of made-up kids, the
// issuer stopped and started again, and an issuer that never answered.
import SwaggerParser from '@apidevtools/swagger-parser'
import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import { generateKeyPairSync, randomBytes, sign as cryptoSign } from 'node:crypto'
import t from 'tap'
import fastifyPasswordBearer, { createKeySet } from '../lib/index.js'
import { freePort, startIssuer, startResource, until } from './helpers/two-services.js'
import { decodeSegment, SCOPES } from './support.js'

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A token with the issuer's claims, signed by a key the issuer never had, under `kid`. */
function foreignToken (issuer: string, kid: string): string {
  const now = Math.floor(Date.now() / 1000)
  const input = `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid })}.${b64({ iss: issuer, sub: 'u-alice', aud: 'fastify-password-bearer', iat: now, exp: now + 600, jti: kid, scope: 'items:read' })}`
  return `${input}.${cryptoSign(null, Buffer.from(input), generateKeyPairSync('ed25519').privateKey).toString('base64url')}`
}

const JWKS = '/.well-known/jwks.json'
const METADATA = '/.well-known/oauth-authorization-server'

t.test('the verify-only service accepts the issuer\'s tokens with the usual hooks, and has no token route', async (t) => {
  const issuer = await startIssuer(await freePort(), createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey }]))
  t.teardown(issuer.stop)
  const resource = await startResource(issuer.url)
  t.teardown(() => resource.app.close())

  const alice = await issuer.login('alice')
  t.same(await resource.get('/reports', alice).then((r) => [r.status, r.body]), [200, { user: 'alice', reports: ['q1'] }])
  t.match((await resource.get('/me', alice)).body, { id: 'u-alice', username: 'alice', scopes: ['items:read', 'items:write'] })
  t.same((await resource.get('/hello')).body, { hello: 'guest' })
  t.same((await resource.get('/hello', alice)).body, { hello: 'alice' })

  const none = await resource.get('/reports')
  t.equal(none.status, 401)
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="api", resource_metadata="http://127.0.0.1/reports-api/.well-known/oauth-protected-resource"')
  t.equal((await resource.get('/reports', 'a.b.c')).status, 401)
  t.equal((await fetch(`${resource.url}/token`, { method: 'POST' })).status, 404, 'no token route')
  t.equal((await fetch(`${resource.url}${JWKS}`)).status, 404, 'no JWKS of its own')

  const metadata = await fetch(`${resource.url}/.well-known/oauth-protected-resource`).then(async (r) => await r.json())
  t.same(metadata, { resource: 'http://127.0.0.1/reports-api', authorization_servers: [issuer.url], scopes_supported: Object.keys(SCOPES), bearer_methods_supported: ['header'] })
  t.equal(issuer.hits.get(METADATA), 1, 'the metadata was read once, for its jwks_uri')
})

t.test('through a key rotation without a restart: old tokens until they expire, new ones with the new kid', async (t) => {
  const keys = createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'old' }])
  const issuer = await startIssuer(await freePort(), keys, { accessTokenTtl: 2, clockTolerance: 0 })
  t.teardown(issuer.stop)
  const resource = await startResource(issuer.url, { clockTolerance: 0, remoteKeys: { jwksUri: `${issuer.url}${JWKS}`, cooldown: 60_000 } })
  t.teardown(() => resource.app.close())

  const before = await issuer.login()
  t.equal(decodeSegment(before, 0).kid, 'old')
  t.equal((await resource.get('/reports', before)).status, 200)

  keys.rotate({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid: 'new' })
  const after = await issuer.login()
  t.same(decodeSegment(after, 0), { alg: 'ES256', typ: 'at+jwt', kid: 'new' })
  t.equal((await resource.get('/reports', after)).status, 200, 'the new kid is fetched on first sight')
  t.equal((await resource.get('/reports', before)).status, 200, 'the old token still works')
  t.equal(issuer.hits.get(JWKS), 2, 'one fetch at start, one for the new kid')

  await until(async () => (await resource.get('/reports', before)).status === 401, 5000)
  t.pass('the old token is refused once it expired')
  keys.remove('old')
  t.same((await fetch(`${issuer.url}${JWKS}`).then(async (r) => await r.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid), ['new'])
  t.equal((await resource.get('/reports', await issuer.login())).status, 200)
})

t.test('a key removed at the issuer is dropped by the verifier at its next refresh, and its cached tokens refused', async (t) => {
  const keys = createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'a' }])
  const issuer = await startIssuer(await freePort(), keys)
  t.teardown(issuer.stop)
  const resource = await startResource(issuer.url, { remoteKeys: { jwksUri: `${issuer.url}${JWKS}`, refreshInterval: 1000 } })
  t.teardown(() => resource.app.close())
  const token = await issuer.login()
  t.equal((await resource.get('/me', token)).status, 200, 'verified and cached')
  keys.rotate({ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'b' })
  keys.remove('a')
  await until(async () => (await resource.get('/me', token)).status === 401, 4000)
  t.pass('refused after the scheduled refresh, though it was in the verified-token cache')
})

t.test('a flood of tokens with made-up kids costs the issuer one JWKS request per cooldown', async (t) => {
  const issuer = await startIssuer(await freePort(), createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey }]))
  t.teardown(issuer.stop)
  const resource = await startResource(issuer.url, { remoteKeys: { jwksUri: `${issuer.url}${JWKS}`, cooldown: 60_000 } })
  t.teardown(() => resource.app.close())
  t.equal((await resource.get('/me', await issuer.login())).status, 200)
  t.equal(issuer.hits.get(JWKS), 1)

  const tokens = Array.from({ length: 200 }, () => foreignToken(issuer.url, randomBytes(12).toString('base64url')))
  const statuses = await Promise.all(tokens.map(async (token) => (await resource.get('/me', token)).status))
  t.same([...new Set(statuses)], [401], 'every made-up kid is refused')
  for (const token of tokens.slice(0, 50)) t.equal((await resource.get('/me', token)).status, 401)
  t.equal(issuer.hits.get(JWKS), 2, '251 unknown kids, one request')
  t.equal((await resource.get('/me', await issuer.login())).status, 200, 'the issuer\'s own tokens still pass')
})

t.test('the issuer stopped and started again under the verifier', async (t) => {
  const port = await freePort()
  const keys = createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'k1' }])
  let issuer = await startIssuer(port, keys)
  const resource = await startResource(issuer.url, { remoteKeys: { jwksUri: `${issuer.url}${JWKS}`, cooldown: 300 } })
  t.teardown(() => resource.app.close())
  const token = await issuer.login()
  t.equal((await resource.get('/reports', token)).status, 200)

  await issuer.stop()
  t.equal((await resource.get('/reports', token)).status, 200, 'cached keys keep working while the issuer is down')
  await new Promise((resolve) => setTimeout(resolve, 350))
  const unknown = await resource.get('/reports', foreignToken(issuer.url, 'unknown'))
  t.equal(unknown.status, 401, 'an unknown kid while the issuer is down is refused (keys are held): not a 503')
  t.match(resource.logs.find((l) => l.code === 'FST_PWB_KEYS_UNAVAILABLE'), { level: 40, event: 'jwks', kept: 1 }, 'the failed refresh is logged, with the keys kept')
  t.equal((await resource.get('/reports', token)).status, 200)

  keys.rotate({ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'k2' })
  issuer = await startIssuer(port, keys)
  t.teardown(issuer.stop)
  await new Promise((resolve) => setTimeout(resolve, 350))
  const fresh = await issuer.login()
  t.equal(decodeSegment(fresh, 0).kid, 'k2')
  t.equal((await resource.get('/reports', fresh)).status, 200, 'the restarted issuer\'s new key is fetched')
  t.equal((await resource.get('/reports', token)).status, 200, 'and the old token still passes')
})

t.test('no key ever fetched: 503 with a coded log line, never 500 or 401; then keys arrive', async (t) => {
  const port = await freePort()
  const issuerUrl = `http://127.0.0.1:${port}`
  const resource = await startResource(issuerUrl, { remoteKeys: { jwksUri: `${issuerUrl}${JWKS}`, cooldown: 300, timeout: 1000 } })
  t.teardown(() => resource.app.close())

  const res = await resource.get('/reports', foreignToken(issuerUrl, 'k1'))
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '5')
  t.equal(res.headers.get('www-authenticate'), null, 'no challenge: the client keeps its token')
  t.match(res.body, { code: 'FST_PWB_UNAVAILABLE', error: 'temporarily_unavailable' })
  t.match(resource.logs.find((l) => l.code === 'FST_PWB_KEYS_UNAVAILABLE' && l.event === 'jwks'), { level: 50, err: { code: 'FST_PWB_KEYS_UNAVAILABLE' } })
  t.match(resource.logs.find((l) => l.code === 'FST_PWB_KEYS_UNAVAILABLE' && l.event === 'authenticate'), { level: 50, outcome: 'error' })
  t.equal((await resource.get('/reports')).status, 401, 'no token is still 401')
  t.equal((await resource.get('/hello')).status, 200)

  const keys = createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'k1' }])
  const issuer = await startIssuer(port, keys)
  t.teardown(issuer.stop)
  await new Promise((resolve) => setTimeout(resolve, 350))
  t.equal((await resource.get('/reports', await issuer.login())).status, 200, 'keys fetched on the next token after the cooldown')
})

t.test('the OpenAPI document of the verify-only service: the scheme\'s tokenUrl is the issuer\'s token endpoint', async (t) => {
  const issuer = await startIssuer(await freePort(), createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey }]))
  t.teardown(issuer.stop)
  const resource = await startResource(issuer.url, {}, async (app) => {
    await app.register(swagger, { openapi: { info: { title: 'reports', version: '1.0.0' } } })
  })
  t.teardown(() => resource.app.close())
  const doc = JSON.parse(JSON.stringify(resource.app.swagger()))
  t.same(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password, { tokenUrl: `${issuer.url}/token`, scopes: SCOPES })
  t.same(doc.paths['/reports'].get.security, [{ OAuth2PasswordBearer: ['items:read'] }])
  t.notOk(doc.paths['/.well-known/oauth-protected-resource'], 'the metadata route is not in the document')
  await t.resolves(SwaggerParser.validate(doc))
})

t.test('verify-only with public keys given directly, and loadUser', async (t) => {
  const pair = generateKeyPairSync('ed25519')
  const issuerKeys = createKeySet([{ privateKey: pair.privateKey, kid: 'k' }])
  const issuer = await startIssuer(await freePort(), issuerKeys)
  t.teardown(issuer.stop)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, {
    keys: [{ publicKey: pair.publicKey, kid: 'k' }],
    issuer: issuer.url,
    resource: 'https://reports.example.com',
    tokenUrl: 'https://login.example.com/token',
    scopes: SCOPES,
    loadUser: async (claims) => ({ id: claims.sub, username: 'loaded', scopes: ['items:read'] })
  })
  app.get('/me', { onRequest: app.authenticate }, async (request) => request.currentUser)
  const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${await issuer.login()}` } })
  t.same(res.json(), { id: 'u-alice', username: 'loaded', scopes: ['items:read'] })
  t.equal((await app.inject({ method: 'POST', url: '/token' })).statusCode, 404)
})

t.test('verify-only options are checked at registration', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['users', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, users: { findByUsername: () => null }, resource: 'https://r.example' }],
    ['secret', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, secret: 'x'.repeat(32), resource: 'https://r.example' }],
    ['keys', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, keys: [], resource: 'https://r.example' }],
    ['resource', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, issuer: 'https://a.example' }],
    ['resource', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, issuer: 'https://a.example', resource: 'api' }],
    ['tokenUrl', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, resource: 'https://r.example' }],
    ['tokenUrl', { remoteKeys: { jwksUri: 'https://a.example/jwks' }, issuer: 'https://a.example', tokenUrl: '/token', resource: 'https://r.example' }],
    ['remoteKeys', { remoteKeys: {}, resource: 'https://r.example', tokenUrl: 'https://a.example/token' }],
    ['remoteKeys', { remoteKeys: 'https://a.example/jwks', resource: 'https://r.example', issuer: 'https://a.example' }],
    ['remoteKeys', { remoteKeys: { jwksUri: 'https://a.example/jwks', metadataUrl: 'https://a.example/m' }, issuer: 'https://a.example', resource: 'https://r.example' }],
    ['remoteKeys.jwksUri', { remoteKeys: { jwksUri: 'ftp://a.example/jwks' }, issuer: 'https://a.example', resource: 'https://r.example' }],
    ['remoteKeys.metadataUrl', { remoteKeys: { metadataUrl: 'https://user:pw@a.example/m' }, issuer: 'https://a.example', resource: 'https://r.example' }],
    ['remoteKeys.cooldown', { remoteKeys: { cooldown: -1 }, issuer: 'https://a.example', resource: 'https://r.example' }],
    ['remoteKeys.jwksUrl', { remoteKeys: { jwksUrl: 'https://a.example/jwks' }, issuer: 'https://a.example', resource: 'https://r.example' }],
    ['refreshTokens', { remoteKeys: {}, issuer: 'https://a.example', resource: 'https://r.example', refreshTokens: true }],
    ['revocation', { remoteKeys: {}, issuer: 'https://a.example', resource: 'https://r.example', revocation: true }]
  ]
  for (const [option, options] of cases) {
    const app = Fastify()
    const err = await app.register(fastifyPasswordBearer, options as never).ready().then(() => undefined, (e: unknown) => e)
    t.match(err, { code: 'FST_PWB_INVALID_OPTION', message: new RegExp(`"${option.replace(/[.[\]]/g, '\\$&')}"`) }, `${option}: ${JSON.stringify(options)}`)
    await app.close()
  }
  const app = Fastify()
  await app.register(fastifyPasswordBearer, { remoteKeys: {}, issuer: 'https://a.example', resource: 'https://r.example' })
  await app.ready()
  await app.close()
  t.pass('remoteKeys: {} reads the issuer\'s metadata at <issuer>/.well-known/oauth-authorization-server')
})
