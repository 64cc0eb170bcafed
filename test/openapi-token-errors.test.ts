import swagger from '@fastify/swagger'
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, { TOKEN_ERRORS } from '../lib/index.js'
import { demoUsers, FORM, SCOPES, SECRET } from './support.js'

// The OpenAPI document is the contract clients are generated from: every error the token route
// really sends must be documented under its status, with its code in the error enum.

async function buildApp () {
  const users = await demoUsers()
  const app = Fastify()
  await app.register(swagger, { openapi: { info: { title: 'test', version: '1.0.0' } } })
  await app.register(fastifyPasswordBearer, {
    secret: SECRET,
    scopes: SCOPES,
    users: { findByUsername: (u) => users.get(u) },
    rateLimit: { username: { max: 1, timeWindow: 60_000 }, address: false }
  })
  await app.ready()
  return app
}

function documentedCodes (doc: any, status: number): string[] {
  const response = doc.paths['/token']?.post?.responses?.[String(status)]
  return response?.content?.['application/json']?.schema?.properties?.error?.enum ?? []
}

t.test('a 429 slow_down sent by the token route is documented in the OpenAPI document', async (t) => {
  const app = await buildApp()
  t.teardown(() => app.close())
  const body = 'grant_type=password&username=alice&password=wrong'
  await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: body })
  const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: body })
  t.equal(res.statusCode, 429)
  t.equal(res.json().error, 'slow_down')
  t.notOk(res.json().access_token, 'no token issued')
  const doc = JSON.parse(JSON.stringify(app.swagger()))
  t.ok(doc.paths['/token'].post.responses['429'], 'the token route documents its 429')
  t.ok(documentedCodes(doc, 429).includes('slow_down'), 'slow_down is in the documented enum')
})

t.test('every token-route error code is documented under its status', async (t) => {
  const app = await buildApp()
  t.teardown(() => app.close())
  const doc = JSON.parse(JSON.stringify(app.swagger()))
  for (const [code, status] of Object.entries(TOKEN_ERRORS)) {
    t.ok(documentedCodes(doc, status).includes(code), `${code} is documented under ${status}`)
  }
})
