/**
 * The example app's sessions over inject: refresh, logout, "log out everywhere", and two
 * instances sharing one token store.
 */
import type { FastifyInstance } from 'fastify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { build, type BuildOptions } from '../examples/app.js'
import { MemoryTokenStore } from '../lib/index.js'
import { overriding } from './helpers/sessions.js'

const SECRET = 'example-test-secret-of-at-least-32-bytes'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

async function newApp (t: Test, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await build({ dbPath: ':memory:', secret: SECRET, rateLimit: false, ...options })
  t.teardown(() => app.close())
  return app
}

function post (app: FastifyInstance, url: string, form: Record<string, string>) {
  return app.inject({ method: 'POST', url, headers: FORM, payload: new URLSearchParams(form).toString() })
}

async function login (app: FastifyInstance, username = 'alice'): Promise<{ access_token: string, refresh_token: string }> {
  const res = await post(app, '/token', { grant_type: 'password', username, password: 'secret' })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`)
  return res.json()
}

const me = (app: FastifyInstance, token: string) => app.inject({ url: '/users/me', headers: { authorization: `Bearer ${token}` } })

t.test('refresh, then log out with the revocation route', async (t) => {
  const app = await newApp(t)
  const first = await login(app)
  const refreshed = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: first.refresh_token })
  t.equal(refreshed.statusCode, 200)
  const second = refreshed.json()
  t.equal((await me(app, second.access_token)).json().username, 'alice')
  t.equal((await post(app, '/revoke', { token: second.refresh_token })).statusCode, 200)
  t.equal((await post(app, '/revoke', { token: second.access_token })).statusCode, 200)
  t.equal((await me(app, second.access_token)).statusCode, 401)
  t.equal((await post(app, '/token', { grant_type: 'refresh_token', refresh_token: second.refresh_token })).json().error, 'invalid_grant')
})

t.test('DELETE /users/me/sessions logs the user out everywhere and leaves other users alone', async (t) => {
  const app = await newApp(t)
  const a = await login(app)
  const b = await login(app)
  const carol = await login(app, 'carol')
  const res = await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: { authorization: `Bearer ${a.access_token}` } })
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  for (const session of [a, b]) {
    t.equal((await me(app, session.access_token)).statusCode, 401)
    t.equal((await post(app, '/token', { grant_type: 'refresh_token', refresh_token: session.refresh_token })).json().error, 'invalid_grant')
  }
  t.equal((await me(app, carol.access_token)).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/users/me/sessions' })).statusCode, 401, 'needs a token')
})

t.test('a token store that fails: 503 with Retry-After, no internals', async (t) => {
  let failing = false
  const store = new MemoryTokenStore()
  const flaky = overriding(store, {
    revokeUser: async (...args: Parameters<MemoryTokenStore['revokeUser']>) => {
      if (failing) throw new Error('connect ECONNREFUSED redis.internal:6379')
      return await store.revokeUser(...args)
    }
  })
  const app = await newApp(t, { tokenStore: flaky })
  const a = await login(app)
  failing = true
  const res = await app.inject({ method: 'DELETE', url: '/users/me/sessions', headers: { authorization: `Bearer ${a.access_token}` } })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.json().code, 'EXAMPLE_UNAVAILABLE')
  t.notMatch(res.body, /ECONNREFUSED|redis|FST_PWB/)
  t.equal((await me(app, a.access_token)).statusCode, 200, 'nothing was revoked')
})

t.test('two instances sharing a token store, secret and database act as one', async (t) => {
  const tokenStore = new MemoryTokenStore()
  const dir = mkdtempSync(join(tmpdir(), 'fpb-sessions-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const dbPath = join(dir, 'example.db')
  const one = await newApp(t, { tokenStore, dbPath })
  const two = await newApp(t, { tokenStore, dbPath })
  const session = await login(one)
  const refreshed = await post(two, '/token', { grant_type: 'refresh_token', refresh_token: session.refresh_token })
  t.equal(refreshed.statusCode, 200, 'a refresh token from one works on the other')
  t.equal((await post(one, '/token', { grant_type: 'refresh_token', refresh_token: session.refresh_token })).json().error, 'invalid_grant', 'and is then dead on both')
  await post(one, '/revoke', { token: refreshed.json().access_token })
  t.equal((await me(two, refreshed.json().access_token)).statusCode, 401, 'a revocation on one is refused on the other')
})
