/**
 * The reverse-proxy recipe (docs/recipes/reverse-proxy.md) over real HTTP: clients on different
 * loopback addresses reach the app through a proxy that appends X-Forwarded-For, as nginx's
 * `$proxy_add_x_forwarded_for` does. The app sees each client's address (not the proxy's) and
 * throttles each apart; a forged X-Forwarded-For changes nothing; the OpenAPI document's tokenUrl is
 * the prefixed path, where a login through the proxy works.
 */
import type { FastifyInstance } from 'fastify'
import { once } from 'node:events'
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { buildApp } from '../../docs/recipes/reverse-proxy/app.js'
import { hashPassword, type StoredUser } from '../../lib/index.js'

const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

interface Answer { status: number, headers: IncomingHttpHeaders, body: string }

/** One HTTP request from `localAddress` (a loopback address of its own: another client). */
function send (port: number, localAddress: string, method: string, path: string, headers: Record<string, string> = {}, body = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, localAddress, method, path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk }).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A reverse proxy to `target`: forwards everything and appends the client's address to X-Forwarded-For. */
async function startProxy (t: Test, target: number): Promise<number> {
  const proxy: Server = createServer((incoming, outgoing) => {
    const forwarded = [incoming.headers['x-forwarded-for'], incoming.socket.remoteAddress].filter(Boolean).join(', ')
    const upstream = request({
      host: '127.0.0.1',
      port: target,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, 'x-forwarded-for': forwarded, 'x-forwarded-proto': 'https' }
    }, (answer) => {
      outgoing.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(outgoing)
    })
    upstream.on('error', () => outgoing.destroy())
    incoming.pipe(upstream)
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())))
  return (proxy.address() as AddressInfo).port
}

async function setUp (t: Test) {
  const alice: StoredUser = { id: '1', username: 'alice', passwordHash: await hashPassword('secret', CHEAP), scopes: ['items:read'] }
  const app: FastifyInstance = await buildApp({ secret: 'reverse-proxy-recipe-secret-0123456789', users: { findByUsername: (u) => u === 'alice' ? alice : null }, proxies: ['127.0.0.1'] })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const appPort = (app.server.address() as AddressInfo).port
  return { appPort, proxyPort: await startProxy(t, appPort) }
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const login = (password: string) => `grant_type=password&username=alice&password=${password}`

t.test('behind the proxy, each client is seen and throttled at its own address', async (t) => {
  const { appPort, proxyPort } = await setUp(t)

  const token = await send(proxyPort, '127.0.0.2', 'POST', '/api/v1/token', FORM, login('secret'))
  t.equal(token.status, 200, 'a login through the proxy, at the prefixed token route')
  const { access_token: accessToken } = JSON.parse(token.body) as { access_token: string }
  const me = await send(proxyPort, '127.0.0.2', 'GET', '/api/v1/me', { authorization: `Bearer ${accessToken}` })
  t.same(JSON.parse(me.body), { username: 'alice', ip: '127.0.0.2' }, "request.ip is the client's address, not the proxy's")

  const forged = await send(proxyPort, '127.0.0.2', 'GET', '/api/v1/me', { authorization: `Bearer ${accessToken}`, 'x-forwarded-for': '203.0.113.9' })
  t.equal(JSON.parse(forged.body).ip, '127.0.0.2', 'an X-Forwarded-For sent by the client is not believed')

  const direct = await send(appPort, '127.0.0.4', 'GET', '/api/v1/me', { authorization: `Bearer ${accessToken}`, 'x-forwarded-for': '127.0.0.2' })
  t.equal(JSON.parse(direct.body).ip, '127.0.0.4', 'nor one sent straight to the app by anyone but the proxy')

  // 20 token requests per address per minute (each for another username, so no username lockout
  // steps in): the 21st from one client is refused, while another client logs in.
  const statuses: number[] = []
  for (let i = 0; i < 21; i++) statuses.push((await send(proxyPort, '127.0.0.3', 'POST', '/api/v1/token', FORM, `grant_type=password&username=guess${i}&password=x`)).status)
  t.equal(statuses.at(-1), 429, 'the client that keeps trying is slowed down')
  t.equal(statuses.filter((s) => s === 429).length, 1, 'after its 20 attempts')
  t.equal((await send(proxyPort, '127.0.0.5', 'POST', '/api/v1/token', FORM, login('secret'))).status, 200,
    'another client behind the same proxy still logs in')
})

t.test("Swagger UI's token URL is the prefixed route, reached through the proxy", async (t) => {
  const { proxyPort } = await setUp(t)
  const doc = await send(proxyPort, '127.0.0.2', 'GET', '/api/v1/docs/json')
  t.equal(doc.status, 200)
  const scheme = JSON.parse(doc.body).components.securitySchemes.OAuth2PasswordBearer
  t.equal(scheme.flows.password.tokenUrl, '/api/v1/token')
  t.ok(JSON.parse(doc.body).paths['/api/v1/me'].get.security, 'the protected route has its security')
  const ui = await send(proxyPort, '127.0.0.2', 'GET', '/api/v1/docs/')
  t.equal(ui.status, 200, 'Swagger UI is served under the prefix')
  t.match(ui.body, /swagger-ui/)
  const viaTokenUrl = await send(proxyPort, '127.0.0.2', 'POST', scheme.flows.password.tokenUrl, { ...FORM, authorization: 'Basic Og==' }, login('secret') + '&scope=')
  t.equal(viaTokenUrl.status, 200, "a login posted to the document's tokenUrl, as Swagger UI posts it, works")
})
