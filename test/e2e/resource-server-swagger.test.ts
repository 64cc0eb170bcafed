/**
 * Swagger UI of the example resource server, in a real browser: its Authorize button logs in at the
 * example server (another origin, JWT_ALGORITHM=EdDSA), and Try it out on GET /reports sends the token
 * the resource server verifies with the issuer's published keys.
 */
import t from 'tap'
import { build as buildIssuer } from '../../examples/app.js'
import { build as buildResource } from '../../examples/resource-app.js'
import { chromiumMissing, launchChromium } from '../helpers/browser.js'
import { DEMO } from '../helpers/example-server.js'
import { authorize, closeDialog, execute } from '../helpers/swagger-page.js'
import { freePort } from '../helpers/two-services.js'

t.setTimeout(120_000)

const missing = chromiumMissing()
if (missing !== null && process.env.CI === 'true') t.fail(`Chromium is required in CI: ${missing}`)

t.test('the resource server\'s Authorize logs in at the issuer, and GET /reports answers 200', { skip: missing !== null ? `skipped: ${missing}` : false }, async (t) => {
  const [issuerPort, resourcePort] = [await freePort(), await freePort()]
  const issuerUrl = `http://127.0.0.1:${issuerPort}`
  const resourceUrl = `http://127.0.0.1:${resourcePort}`
  const issuer = await buildIssuer({ dbPath: ':memory:', env: {}, algorithm: 'EdDSA', issuer: issuerUrl, corsOrigins: [resourceUrl], rateLimit: false })
  t.teardown(() => issuer.close())
  await issuer.listen({ host: '127.0.0.1', port: issuerPort })
  const resource = await buildResource({ issuerUrl, resource: resourceUrl, env: {} })
  t.teardown(() => resource.close())
  await resource.listen({ host: '127.0.0.1', port: resourcePort })

  const browser = await launchChromium()
  t.teardown(browser.close)
  const page = browser.context.pages()[0] ?? await browser.context.newPage()
  page.setDefaultTimeout(30_000)
  await page.goto(`${resourceUrl}/docs`)
  await page.locator('.auth-wrapper .btn.authorize').waitFor()

  const request = await authorize(page, DEMO.carol.username, DEMO.carol.password)
  t.equal(request.url(), `${issuerUrl}/token`, 'the token request goes to the issuer')
  t.equal((await request.response())?.status(), 200, 'and is answered across origins')
  await closeDialog(page)

  const result = await execute(page, 'get', '/reports', resourceUrl)
  t.equal(result.status, '200')
  t.match(JSON.parse(result.body), { user: 'carol', reports: [{ id: 'q1' }] })
})
