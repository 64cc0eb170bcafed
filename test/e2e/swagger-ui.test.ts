/**
 * Swagger UI's Authorize button, in a real browser, against the example server: the password flow
 * as Swagger UI really sends it (Basic Og==, the ticked scopes), Try it out on protected routes,
 * a missing scope, and Logout; and against an app that mounts the plugin under a route prefix.
 *
 * Screenshots go to docs/images/ when they are missing there or UPDATE_SCREENSHOTS=1 (the README
 * shows them), to a temporary directory otherwise.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import fastifyPasswordBearer from '../../lib/index.js'
import { chromiumMissing, launchChromium } from '../helpers/browser.js'
import { authorize, closeDialog, execute, logout, operation } from '../helpers/swagger-page.js'
import { startExample, DEMO } from '../helpers/example-server.js'
import { REPO } from '../helpers/pack.js'
import { demoUsers, SCOPES, SECRET } from '../support.js'

t.setTimeout(180_000)

const missing = chromiumMissing()
if (missing !== null && process.env.CI === 'true') {
  t.fail(`Chromium is required in CI: ${missing}`)
}
const skip = missing !== null ? `skipped: ${missing}` : false

const IMAGES = join(REPO, 'docs', 'images')
const tmpImages = mkdtempSync(join(tmpdir(), 'fpb-screens-'))
t.teardown(() => rmSync(tmpImages, { recursive: true, force: true }))

/** Where a screenshot goes: docs/images/ when missing there or asked for, a temporary file otherwise. */
function screenshotPath (name: string): string {
  const published = join(IMAGES, name)
  if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(published)) {
    mkdirSync(IMAGES, { recursive: true })
    return published
  }
  return join(tmpImages, name)
}

/** Chromium on the server's Swagger UI, once its Authorize button is there; closed at teardown. */
async function openSwaggerUi (t: Test, url: string) {
  const browser = await launchChromium()
  t.teardown(browser.close)
  const page = browser.context.pages()[0] ?? await browser.context.newPage()
  page.setDefaultTimeout(30_000)
  await page.goto(`${url}/docs`)
  await page.locator('.auth-wrapper .btn.authorize').waitFor()
  return page
}

t.test('Swagger UI logs in with the password flow and calls protected routes', { skip }, async (t) => {
  const server = await startExample()
  t.teardown(server.close)
  const page = await openSwaggerUi(t, server.url)

  await t.test('Authorize as alice: Swagger UI sends Basic Og== and the ticked scopes, and gets a token', async (t) => {
    const request = await authorize(page, DEMO.alice.username, DEMO.alice.password)
    t.equal(request.headers().authorization, 'Basic Og==', 'the empty client credentials Swagger UI always sends')
    const form = new URLSearchParams(request.postData() ?? '')
    t.equal(form.get('grant_type'), 'password')
    t.equal(form.get('username'), 'alice')
    t.equal(form.get('scope'), 'items:read items:write')
    const response = await request.response()
    t.equal(response?.status(), 200)
    t.match(await response?.json(), { token_type: 'Bearer', scope: 'items:read items:write', expires_in: 900 })

    const modal = page.locator('.modal-ux')
    t.match(await modal.innerText(), /Authorized/, 'the dialog says Authorized')
    const file = screenshotPath('swagger-authorize.png')
    await page.screenshot({ path: file })
    t.ok(statSync(file).size > 10_000, `screenshot of the authorized dialog: ${file}`)
    await closeDialog(page)
  })

  await t.test('Try it out on GET /users/me answers 200 with alice', async (t) => {
    const result = await execute(page, 'get', '/users/me', server.url)
    t.equal(result.status, '200')
    const body = JSON.parse(result.body) as { username: string, scopes: string[], id: string }
    t.equal(body.username, 'alice')
    t.same(body.scopes, ['items:read', 'items:write'])
    t.notOk('passwordHash' in body, 'no password hash in the response')
    // From the operation's header down to the response it received (not the documented responses).
    const op = operation(page, 'get', '/users/me')
    const live = op.locator('.live-responses-table')
    await live.scrollIntoViewIfNeeded()
    const top = await op.boundingBox()
    const bottom = await live.boundingBox()
    if (top === null || bottom === null) throw new Error('the operation is not rendered')
    // Bounding boxes are relative to the viewport; a full-page clip is relative to the page.
    const scroll = await page.evaluate(() => ({ x: window.scrollX, y: window.scrollY }))
    const file = screenshotPath('swagger-users-me.png')
    await page.screenshot({
      path: file,
      fullPage: true,
      clip: { x: top.x + scroll.x, y: top.y + scroll.y, width: top.width, height: bottom.y + bottom.height - top.y + 8 }
    })
    t.ok(statSync(file).size > 10_000, `screenshot of the response: ${file}`)
  })

  await t.test('as carol (items:read only), POST /items answers 403 insufficient_scope', async (t) => {
    await logout(page)
    const request = await authorize(page, DEMO.carol.username, DEMO.carol.password)
    t.match(await (await request.response())?.json(), { scope: 'items:read' }, 'carol is granted only the scope she holds')
    await closeDialog(page)

    const result = await execute(page, 'post', '/items', server.url)
    t.equal(result.status, '403')
    t.match(JSON.parse(result.body), { statusCode: 403, code: 'FST_PWB_INSUFFICIENT_SCOPE' })
    t.equal(result.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", scope="items:write"')

    const read = await execute(page, 'get', '/items', server.url)
    t.equal(read.status, '200', 'carol can still read items')
  })

  await t.test('after Logout, GET /users/me answers 401', async (t) => {
    await logout(page)
    const result = await execute(page, 'get', '/users/me', server.url)
    t.equal(result.status, '401')
    t.match(JSON.parse(result.body), { statusCode: 401, code: 'FST_PWB_NO_TOKEN' })
    t.equal(result.headers['www-authenticate'], 'Bearer realm="api"')
  })
})

/** An app with the plugin and its routes under the `/api/v1` prefix, Swagger UI at /docs, over HTTP. */
async function startPrefixedApp (): Promise<{ url: string, close: () => Promise<void> }> {
  const users = await demoUsers()
  const app = Fastify()
  await app.register(swagger, { openapi: { openapi: '3.0.3', info: { title: 'prefixed', version: '1.0.0' } } })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(async (api) => {
    await api.register(fastifyPasswordBearer, { secret: SECRET, scopes: SCOPES, users: { findByUsername: (u) => users.get(u) ?? null } })
    api.get('/users/me', {
      preHandler: api.authenticate,
      schema: { response: { 200: { type: 'object', properties: { username: { type: 'string' } } } } }
    }, async (request) => ({ username: request.currentUser?.username }))
  }, { prefix: '/api/v1' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('the server has no TCP address')
  return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() }
}

t.test('under a route prefix, Swagger UI logs in at the prefixed token route', { skip }, async (t) => {
  const server = await startPrefixedApp()
  t.teardown(server.close)
  const page = await openSwaggerUi(t, server.url)
  const request = await authorize(page, 'alice', 'secret')
  t.equal(new URL(request.url()).pathname, '/api/v1/token', 'Authorize posts to the token route under the prefix')
  t.equal((await request.response())?.status(), 200, 'and gets a token')
  await closeDialog(page)

  const result = await execute(page, 'get', '/api/v1/users/me', server.url)
  t.equal(result.status, '200', 'Try it out sends the token')
  t.same(JSON.parse(result.body), { username: 'alice' })
})
