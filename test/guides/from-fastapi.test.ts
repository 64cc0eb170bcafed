/**
 * docs/from-fastapi.md: the app of FastAPI's OAuth2 tutorial in Fastify (docs/from-fastapi/app.ts)
 * does what the page says each piece does, and its TestClient-style tests pass under node --test.
 */
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { buildApp } from '../../docs/from-fastapi/app.js'
import { run as runClean } from '../helpers/process.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('each FastAPI piece behaves as the page says', async (t) => {
  const app = await buildApp('from-fastapi-guide-secret-0123456789abcdef')
  t.teardown(() => app.close())
  const login = (username: string, password: string) => app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `grant_type=password&username=${username}&password=${password}` })

  const ok = await login('johndoe', 'secret')
  t.equal(ok.json().expires_in, 1800, 'ACCESS_TOKEN_EXPIRE_MINUTES = 30')
  const token = ok.json().access_token as string
  const json = await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json' }, payload: '{"username":"johndoe","password":"secret"}' })
  t.equal(json.statusCode, 400, 'OAuth2PasswordRequestForm: a form, not JSON')
  t.equal(json.json().error, 'invalid_request')

  const disabled = await login('alice', 'secret2')
  t.equal(disabled.json().error, 'invalid_grant', 'get_current_active_user: a disabled user gets no token')

  t.same((await app.inject({ url: '/greeting' })).json(), { message: 'Hello guest' }, 'auto_error=False: no token is a guest')
  t.same((await app.inject({ url: '/greeting', headers: { authorization: `Bearer ${token}` } })).json(), { message: 'Hello johndoe' })
  t.equal((await app.inject({ url: '/greeting', headers: { authorization: 'Bearer forged' } })).statusCode, 401, 'a bad token is still refused')

  const items = await app.inject({ url: '/users/me/items', headers: { authorization: `Bearer ${token}` } })
  t.same(items.json(), [{ item_id: 'Foo', owner: 'johndoe', granted: 'me items' }], 'Security(scopes=["items"]) with the scope')

  const doc = (await app.inject({ url: '/docs/json' })).json()
  t.same(doc.components.securitySchemes.OAuth2PasswordBearer.flows.password, {
    tokenUrl: '/token',
    scopes: { me: 'Read information about the current user.', items: 'Read items.' }
  }, "/docs: the Authorize button's scheme")
  t.same(doc.paths['/users/me/items'].get.security, [{ OAuth2PasswordBearer: ['items'] }])
  t.equal((await app.inject({ url: '/docs/' })).statusCode, 200, 'Swagger UI at /docs')
})

t.test("the page's TestClient-style tests pass under node --test", async (t) => {
  // As its readers run it, without the test runner's loaders (and so without its coverage).
  const run = await runClean(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'docs/from-fastapi/app.test.ts'], { cwd: root, timeout: 60_000 })
  t.equal(run.code, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^# pass 4$/m)
})
