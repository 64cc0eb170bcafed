// Tests of the app's protected routes with app.inject(): no port, no HTTP client, the real plugin.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { hashPassword, type HashOptions, type StoredUser } from '../../../lib/index.js'
import { buildApp } from './app.js'

// Cheap argon2 parameters for test users: a login takes about a millisecond instead of 25. Give the
// plugin the same ones (`hash`), or it re-hashes each test user at its first login.
const FAST: HashOptions = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

const users = new Map<string, StoredUser>([
  ['reader', { id: '1', username: 'reader', passwordHash: await hashPassword('secret', FAST), scopes: ['items:read'] }],
  ['writer', { id: '2', username: 'writer', passwordHash: await hashPassword('secret', FAST), scopes: ['items:read', 'items:write'] }]
])
const app = await buildApp({
  secret: 'a-secret-for-tests-only-at-least-32-bytes',
  users: { findByUsername: (username) => users.get(username) ?? null },
  hash: FAST,
  rateLimit: false // many logins from one address in a few milliseconds: not an attack here
})
after(() => app.close())

/** Logs in through the token route, as a client would, and answers the access token. */
async function tokenFor (username: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ grant_type: 'password', username, password: 'secret' }).toString()
  })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().access_token
}

test('without a token: 401 and a Bearer challenge', async () => {
  const res = await app.inject({ url: '/users/me' })
  assert.equal(res.statusCode, 401)
  assert.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
})

test('with a token: the current user', async () => {
  const res = await app.inject({ url: '/users/me', headers: { authorization: `Bearer ${await tokenFor('reader')}` } })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { id: '1', username: 'reader', scopes: ['items:read'] })
})

test('without the scope: 403 insufficient_scope, naming the scope', async () => {
  const res = await app.inject({ method: 'POST', url: '/items', headers: { authorization: `Bearer ${await tokenFor('reader')}` } })
  assert.equal(res.statusCode, 403)
  assert.match(res.headers['www-authenticate'] as string, /error="insufficient_scope", scope="items:write"/)
})

test('with the scope: the route runs', async () => {
  const res = await app.inject({ method: 'POST', url: '/items', headers: { authorization: `Bearer ${await tokenFor('writer')}` } })
  assert.equal(res.statusCode, 201)
})

test('a tampered token: 401 invalid_token', async () => {
  const token = await tokenFor('writer')
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } })
  assert.equal(res.statusCode, 401)
  assert.match(res.headers['www-authenticate'] as string, /error="invalid_token"/)
})
