/**
 * The one-hook recipe (docs/recipes/protect-a-scope.md): every route of the /admin scope needs the
 * admin scope through one onRequest hook, the app's other routes stay public, and the scope's
 * routes still get their OpenAPI security and no-store answers.
 */
import t from 'tap'
import { buildApp } from '../../docs/recipes/protect-a-scope/app.js'
import { hashPassword, type StoredUser } from '../../lib/index.js'

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('one hook for a whole scope', async (t) => {
  const passwordHash = await hashPassword('secret', CHEAP)
  const users = new Map<string, StoredUser>([
    ['root', { id: '1', username: 'root', passwordHash, scopes: ['admin'] }],
    ['shopper', { id: '2', username: 'shopper', passwordHash, scopes: [] }]
  ])
  const app = await buildApp({ secret: 'protect-a-scope-recipe-secret-01234567', users: { findByUsername: (u) => users.get(u) ?? null }, logLevel: 'silent' })
  t.teardown(() => app.close())
  const token = async (username: string): Promise<string> => {
    const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `grant_type=password&username=${username}&password=secret` })
    return res.json().access_token
  }
  const root = await token('root')
  const shopper = await token('shopper')

  t.equal((await app.inject({ url: '/health' })).statusCode, 200, 'outside the scope: public')
  for (const [method, url] of [['GET', '/admin/users'], ['DELETE', '/admin/users/7']] as const) {
    const anonymous = await app.inject({ method, url })
    t.equal(anonymous.statusCode, 401, `${method} ${url} without a token`)
    t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="api"', "the plugin's challenge")
    t.equal(anonymous.json().code, 'FST_PWB_NO_TOKEN', 'and its body')
    const forbidden = await app.inject({ method, url, headers: { authorization: `Bearer ${shopper}` } })
    t.equal(forbidden.statusCode, 403, `${method} ${url} without the admin scope`)
    t.equal(forbidden.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="admin"')
    const allowed = await app.inject({ method, url, headers: { authorization: `Bearer ${root}` } })
    t.ok(allowed.statusCode < 300, `${method} ${url} with it`)
    for (const res of [anonymous, forbidden, allowed]) {
      t.equal(res.headers['cache-control'], 'no-store', `${method} ${url}, ${res.statusCode}: not cached`)
      t.equal(res.headers.vary, 'Authorization')
    }
  }

  const { paths } = app.swagger() as { paths: Record<string, Record<string, { security?: unknown }>> }
  t.same(paths['/admin/users']!.get!.security, [{ OAuth2PasswordBearer: ['admin'] }], "the scope's routes have their security")
  t.same(paths['/admin/users/{id}']!.delete!.security, [{ OAuth2PasswordBearer: ['admin'] }])
  t.notOk(paths['/health']!.get!.security, 'the public route has none')
})
