// FastAPI's TestClient tests, with app.inject() and Node's test runner.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { buildApp } from './app.js'

const app = await buildApp('a-secret-for-tests-only-at-least-32-bytes')
after(() => app.close())

// client.post("/token", data={"username": "johndoe", "password": "secret"})
async function login (username: string, password: string, scope?: string) {
  const form = new URLSearchParams({ grant_type: 'password', username, password, ...(scope === undefined ? {} : { scope }) })
  return app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form.toString() })
}

test('login, then read /users/me', async () => {
  const res = await login('johndoe', 'secret')
  assert.equal(res.statusCode, 200)
  const { access_token: token, token_type: type } = res.json()
  assert.equal(type, 'Bearer')
  const me = await app.inject({ url: '/users/me', headers: { authorization: `Bearer ${token}` } })
  assert.deepEqual(me.json(), { id: '1', username: 'johndoe', scopes: ['me', 'items'] })
})

test('a wrong password: 400 invalid_grant (FastAPI: 400 "Incorrect username or password")', async () => {
  const res = await login('johndoe', 'wrong')
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().error, 'invalid_grant')
})

test('no token: 401 with WWW-Authenticate: Bearer', async () => {
  const res = await app.inject({ url: '/users/me' })
  assert.equal(res.statusCode, 401)
  assert.match(res.headers['www-authenticate'] as string, /^Bearer/)
})

test('a token without the items scope: 403 insufficient_scope', async () => {
  const { access_token: token } = (await login('johndoe', 'secret', 'me')).json()
  const res = await app.inject({ url: '/users/me/items', headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.statusCode, 403)
  assert.match(res.headers['www-authenticate'] as string, /error="insufficient_scope", scope="items"/)
})
