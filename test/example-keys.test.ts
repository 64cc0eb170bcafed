// The example server's keys and discovery (examples/signing-key.ts): EdDSA with a key kept beside
// the database across restarts, the metadata route always, the JWKS with EdDSA only, CORS for the
// resource server's Swagger UI; and the example resource server, in its own process, verifying the
// example server's tokens.
import { statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build } from '../examples/app.js'
import { algorithmFromEnv, corsOriginsFromEnv, DEFAULT_ISSUER, issuerFromEnv, keyPathOf } from '../examples/signing-key.js'
import { startExampleProcess, startResourceServerProcess } from './helpers/example-server.js'
import { freePort } from './helpers/two-services.js'
import { decodeSegment, FORM } from './support.js'

const SECRET = 'example-test-secret-of-at-least-32-bytes'
const LOGIN = 'grant_type=password&username=alice&password=secret'

async function loginAt (app: Awaited<ReturnType<typeof build>>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: LOGIN })
  return (res.json() as { access_token: string }).access_token
}

t.test('JWT_ALGORITHM=EdDSA: a key generated once beside the database, the same kid after a restart', async (t) => {
  const dbPath = join(t.testdir(), 'example.db')
  const env = { JWT_ALGORITHM: 'EdDSA', ISSUER: 'https://auth.example.com' }
  let app = await build({ dbPath, env, rateLimit: false })
  const token = await loginAt(app)
  const header = decodeSegment(token, 0)
  t.match(header, { alg: 'EdDSA', typ: 'at+jwt', kid: /^[A-Za-z0-9_-]{43}$/ })
  t.equal(decodeSegment(token, 1).iss, 'https://auth.example.com')
  t.equal(statSync(keyPathOf(dbPath) as string).mode & 0o777, 0o600, 'the key file is readable by its owner only')
  const jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json() as { keys: Array<Record<string, unknown>> }
  t.same(jwks.keys.map((k) => [k.kid, k.alg]), [[header.kid, 'EdDSA']])
  t.notOk('d' in (jwks.keys[0] as object))
  await app.close()

  app = await build({ dbPath, env, rateLimit: false })
  t.teardown(() => app.close())
  t.equal((await app.inject({ url: '/protected', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, 'a token from before the restart')
  t.equal(decodeSegment(await loginAt(app), 0).kid, header.kid, 'the same kid')
  const metadata = (await app.inject({ url: '/.well-known/oauth-authorization-server' })).json()
  t.match(metadata, { issuer: 'https://auth.example.com', token_endpoint: 'https://auth.example.com/token', jwks_uri: 'https://auth.example.com/.well-known/jwks.json' })
})

t.test('HS256 by default: the metadata route with the default issuer, no JWKS', async (t) => {
  const app = await build({ dbPath: ':memory:', secret: SECRET, env: {} })
  t.teardown(() => app.close())
  t.equal(decodeSegment(await loginAt(app), 1).iss, DEFAULT_ISSUER)
  t.equal((await app.inject({ url: '/.well-known/oauth-authorization-server' })).json().token_endpoint, `${DEFAULT_ISSUER}/token`)
  t.equal((await app.inject({ url: '/.well-known/jwks.json' })).statusCode, 404)
})

t.test('the token route answers the preflight of an allowed origin only', async (t) => {
  const app = await build({ dbPath: ':memory:', secret: SECRET, env: {} })
  t.teardown(() => app.close())
  const preflight = (origin: string) => app.inject({
    method: 'OPTIONS',
    url: '/token',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
  })
  const allowed = await preflight('http://127.0.0.1:3001')
  t.equal(allowed.statusCode, 204)
  t.equal(allowed.headers['access-control-allow-origin'], 'http://127.0.0.1:3001')
  const other = await preflight('https://evil.example')
  t.equal(other.headers['access-control-allow-origin'], undefined)
  const none = await build({ dbPath: ':memory:', secret: SECRET, env: { CORS_ORIGINS: 'none' } })
  t.teardown(() => none.close())
  t.equal((await none.inject({ method: 'OPTIONS', url: '/token', headers: { origin: 'http://127.0.0.1:3001', 'access-control-request-method': 'POST' } })).statusCode, 405, 'CORS_ORIGINS=none: the plugin\'s 405')
})

t.test('the environment of keys and discovery is checked', async (t) => {
  t.equal(algorithmFromEnv({}), 'HS256')
  t.equal(algorithmFromEnv({ JWT_ALGORITHM: 'EdDSA' }), 'EdDSA')
  t.throws(() => algorithmFromEnv({ JWT_ALGORITHM: 'RS512' }), /HS256 or EdDSA/)
  t.equal(issuerFromEnv({ ISSUER: 'https://auth.example.com/tenant' }), 'https://auth.example.com/tenant')
  for (const bad of ['auth.example.com', 'https://auth.example.com/', 'https://a.example?x=1', 'ftp://a.example']) {
    t.throws(() => issuerFromEnv({ ISSUER: bad }), /ISSUER must be/, bad)
  }
  t.same(corsOriginsFromEnv({ CORS_ORIGINS: 'https://a.example, http://b.example:8080' }), ['https://a.example', 'http://b.example:8080'])
  t.throws(() => corsOriginsFromEnv({ CORS_ORIGINS: 'https://a.example/path' }), /CORS_ORIGINS/)
  t.equal(keyPathOf(':memory:'), undefined)
  const app = await build({ dbPath: ':memory:', env: { JWT_ALGORITHM: 'EdDSA' } })
  t.teardown(() => app.close())
  t.equal(decodeSegment(await loginAt(app), 0).alg, 'EdDSA', 'an in-memory database gets a key for this run')
})

t.test('npm run example (EdDSA) and npm run example:resource-server: tokens of one, verified by the other', async (t) => {
  const port = await freePort()
  const issuerUrl = `http://127.0.0.1:${port}`
  const issuer = await startExampleProcess({ PORT: String(port), ISSUER: issuerUrl, JWT_ALGORITHM: 'EdDSA' })
  t.teardown(issuer.stop)
  const resource = await startResourceServerProcess({ ISSUER_URL: issuerUrl, RESOURCE_URL: 'http://127.0.0.1:3001' })
  t.teardown(resource.stop)

  const login = async (body: string): Promise<string> => {
    const res = await fetch(`${issuerUrl}/token`, { method: 'POST', headers: FORM, body })
    return ((await res.json()) as { access_token: string }).access_token
  }
  const reports = async (token?: string) => await fetch(`${resource.url}/reports`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })

  const ok = await reports(await login(LOGIN))
  t.equal(ok.status, 200)
  t.match(await ok.json(), { user: 'alice', reports: [{ id: 'q1' }, { id: 'q2' }] })
  const carol = await reports(await login('grant_type=password&username=carol&password=secret'))
  t.equal(carol.status, 200, 'carol has items:read')
  const writeOnly = await reports(await login(`${LOGIN}&scope=items:write`))
  t.equal(writeOnly.status, 403)
  const none = await reports()
  t.equal(none.status, 401)
  t.equal(none.headers.get('www-authenticate'), 'Bearer realm="api", resource_metadata="http://127.0.0.1:3001/.well-known/oauth-protected-resource"')

  const doc = await (await fetch(`${resource.url}/docs/json`)).json() as { components: { securitySchemes: Record<string, { flows: { password: { tokenUrl: string } } }> } }
  t.equal(doc.components.securitySchemes.OAuth2PasswordBearer?.flows.password.tokenUrl, `${issuerUrl}/token`, 'Swagger UI\'s Authorize logs in at the issuer')
  t.match(issuer.output(), `Issuer:       ${issuerUrl}`)
})
