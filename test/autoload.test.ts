import autoload from '@fastify/autoload'
import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { SwaggerOrderError, type FastifyPasswordBearerOptions } from '../lib/index.js'
import { demoUsers, login, SCOPES, SECRET } from './support.js'

// docs/existing-apps.md, "With @fastify/autoload": an app whose plugins/ and routes/ directories
// are loaded by @fastify/autoload (test/fixtures/autoload), and its order against @fastify/swagger.

const fixture = (dir: string) => fileURLToPath(new URL(`fixtures/autoload/${dir}`, import.meta.url))

async function pluginOptions (): Promise<FastifyPasswordBearerOptions> {
  const users = await demoUsers()
  return { secret: SECRET, scopes: SCOPES, rateLimit: false, users: { findByUsername: (u) => users.get(u) } }
}

/** The app: autoload's plugins directory, then its routes directory. */
async function build (plugins: string, before?: (app: FastifyInstance) => Promise<void>): Promise<FastifyInstance> {
  const app = Fastify()
  if (before !== undefined) await before(app)
  await app.register(autoload, { dir: fixture(plugins), options: { passwordBearer: await pluginOptions() }, ignorePattern: before === undefined ? undefined : /swagger/ })
  await app.register(autoload, { dir: fixture('routes') })
  return app
}

async function protectedAndDocumented (t: Test, app: FastifyInstance): Promise<void> {
  await app.ready()
  const doc = JSON.parse(JSON.stringify(app.swagger()))
  t.ok(doc.components.securitySchemes.OAuth2PasswordBearer, 'the security scheme is in the document')
  t.ok(doc.paths['/token']?.post, 'the token route is in the document')
  t.same(doc.paths['/me']?.get.security, [{ OAuth2PasswordBearer: [] }], 'the autoloaded route has its security')
  t.same(doc.paths['/items']?.get.security, [{ OAuth2PasswordBearer: ['items:read'] }])
  t.equal((await app.inject({ url: '/me' })).statusCode, 401, 'the autoloaded route is protected')
  const token = await login(app, 'carol')
  const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.same([me.statusCode, me.json()], [200, { username: 'carol' }])
  t.same((await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })).json(), ['apple'])
}

t.test('autoload loads plugins by file name: password-bearer.ts before swagger.ts fails startup with FST_PWB_SWAGGER_ORDER', async (t) => {
  const app = await build('plugins')
  t.teardown(() => app.close())
  const err = await app.ready().then(() => null, (e: unknown) => e)
  t.ok(err instanceof SwaggerOrderError, 'a SwaggerOrderError')
  t.match(err, { code: 'FST_PWB_SWAGGER_ORDER', message: /register @fastify\/swagger first.*@fastify\/autoload/ })
})

t.test('the fix in the plugin file: fastify-plugin dependencies: [\'swagger\'] makes autoload load swagger.ts first', async (t) => {
  const app = await build('plugins-ordered')
  t.teardown(() => app.close())
  await protectedAndDocumented(t, app)
})

t.test('the fix in the app: @fastify/swagger registered before the autoloaded directory', async (t) => {
  const app = await build('plugins', async (app) => {
    await app.register(swagger, { openapi: { info: { title: 'app', version: '1.0.0' } } })
  })
  t.teardown(() => app.close())
  await protectedAndDocumented(t, app)
})
