/**
 * The @fastify/auth recipe (docs/recipes/fastify-auth.md): a route open to a token or an API key, a
 * route that needs both, the answers when neither passes, and the routes' OpenAPI security.
 */
import t from 'tap'
import { buildApp } from '../../docs/recipes/fastify-auth/app.js'
import { hashPassword, type StoredUser } from '../../lib/index.js'

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('a token or an API key, and both', async (t) => {
  const passwordHash = await hashPassword('secret', CHEAP)
  const users = new Map<string, StoredUser>([
    ['writer', { id: '1', username: 'writer', passwordHash, scopes: ['reports:read', 'reports:write'] }],
    ['reader', { id: '2', username: 'reader', passwordHash, scopes: ['reports:read'] }]
  ])
  const app = await buildApp({ secret: 'fastify-auth-recipe-secret-0123456789', users: { findByUsername: (u) => users.get(u) ?? null }, apiKeys: ['key-one', 'key-two'] })
  t.teardown(() => app.close())
  const token = async (username: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `grant_type=password&username=${username}&password=secret` })
    return res.json().access_token
  }
  const writer = await token('writer')
  const reader = await token('reader')
  const get = (headers: Record<string, string>) => app.inject({ url: '/reports', headers })
  const post = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/reports', headers })

  t.same((await get({ 'x-api-key': 'key-two' })).json(), { reader: 'api key' }, 'a key alone opens GET /reports')
  t.same((await get({ authorization: `Bearer ${reader}` })).json(), { reader: 'reader' }, 'so does a token with reports:read')
  for (const headers of [{}, { 'x-api-key': 'key-three' }, { 'x-api-key': 'key-one ' }] as Array<Record<string, string>>) {
    const refused = await get(headers)
    t.equal(refused.statusCode, 401, `refused: ${JSON.stringify(headers)}`)
    t.equal(refused.headers['www-authenticate'], 'Bearer realm="api"', "the plugin's challenge, since its hook comes last")
    t.equal(refused.json().code, 'FST_PWB_NO_TOKEN')
  }
  const badToken = await get({ authorization: 'Bearer not-a-token', 'x-api-key': 'nope' })
  t.match(badToken.headers['www-authenticate'], /error="invalid_token"/, 'a bad token with a bad key: the token is the answer')

  t.equal((await post({ authorization: `Bearer ${writer}`, 'x-api-key': 'key-one' })).statusCode, 201, 'POST: token and key')
  const noKey = await post({ authorization: `Bearer ${writer}` })
  t.equal(noKey.statusCode, 401)
  t.equal(noKey.json().code, 'APP_BAD_API_KEY', 'POST without the key: the key is missing')
  const noToken = await post({ 'x-api-key': 'key-one' })
  t.equal(noToken.statusCode, 401)
  t.equal(noToken.headers['www-authenticate'], 'Bearer realm="api"', 'POST without a token: the first failure (the token) answers')
  const noScope = await post({ authorization: `Bearer ${reader}`, 'x-api-key': 'key-one' })
  t.equal(noScope.statusCode, 403, 'POST with a token lacking reports:write')
  t.match(noScope.headers['www-authenticate'], /error="insufficient_scope", scope="reports:write"/)

  const { paths } = app.swagger() as { paths: Record<string, Record<string, { security?: unknown }>> }
  t.same(paths['/reports']!.get!.security, [{ apiKey: [] }, { OAuth2PasswordBearer: ['reports:read'] }], 'GET: either scheme')
  t.same(paths['/reports']!.post!.security, [{ apiKey: [], OAuth2PasswordBearer: ['reports:write'] }], 'POST: both schemes')
})
