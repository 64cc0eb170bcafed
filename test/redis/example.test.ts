/**
 * Two `examples/server.ts` processes on different ports with the same REDIS_URL, JWT_SECRET and
 * EXAMPLE_DB behave as one service: tokens, refresh families, revocations and lockouts are shared.
 */
import { join } from 'node:path'
import t from 'tap'
import { startExampleProcess, type ExampleProcess } from '../helpers/example-server.js'
import { redisSkip, startRedis } from '../helpers/redis.js'

const skip = redisSkip()

t.setTimeout(180_000)

async function post (server: ExampleProcess, path: string, form: Record<string, string>): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(server.url + path, { method: 'POST', body: new URLSearchParams(form) })
  const text = await res.text()
  return { status: res.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

async function me (server: ExampleProcess, token: string): Promise<number> {
  return (await fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${token}` } })).status
}

t.test('two example servers with the same REDIS_URL, JWT_SECRET and EXAMPLE_DB behave as one service', { skip }, async (t) => {
  const redis = await startRedis(t)
  const env = { REDIS_URL: redis.url, EXAMPLE_DB: join(t.testdir(), 'shared.db') }
  const a = await startExampleProcess(env)
  t.teardown(a.stop)
  const b = await startExampleProcess(env)
  t.teardown(b.stop)
  t.not(a.port, b.port, 'two ports')
  t.match(a.output(), /Sessions: +in Redis/, 'the banner says where sessions live')
  t.notMatch(a.output(), new RegExp(redis.url.replace(/[.]/g, '\\.')), 'and does not print the URL')

  const login = await post(a, '/token', { grant_type: 'password', username: 'alice', password: 'secret' })
  t.equal(login.status, 200, 'logged in on A')
  const access = login.body.access_token as string
  const refreshToken = login.body.refresh_token as string
  t.type(refreshToken, 'string', 'with a refresh token')
  t.equal(await me(b, access), 200, 'the access token works on B (the issuer does not depend on the port)')

  const refreshed = await post(b, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken })
  t.equal(refreshed.status, 200, 'refreshed on B')
  t.equal((await post(a, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken })).body.error, 'invalid_grant', 'the used refresh token is dead on A')

  const carol = await post(b, '/token', { grant_type: 'password', username: 'carol', password: 'secret' })
  t.equal((await post(b, '/revoke', { token: carol.body.access_token as string })).status, 200, 'revoked on B')
  const started = Date.now()
  while (await me(a, carol.body.access_token as string) !== 401 && Date.now() - started < 1000) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(await me(a, carol.body.access_token as string), 401, `refused on A (${Date.now() - started} ms)`)

  for (let i = 0; i < 10; i++) t.equal((await post(i % 2 === 0 ? a : b, '/token', { grant_type: 'password', username: 'bob', password: 'wrong' })).status, 400)
  t.equal((await post(a, '/token', { grant_type: 'password', username: 'bob', password: 'wrong' })).status, 429, 'ten failures across A and B lock the username')
  t.equal((await post(b, '/token', { grant_type: 'password', username: 'bob', password: 'wrong' })).status, 429, 'on B too')
})
