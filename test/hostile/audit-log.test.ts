// Logs and audit: one structured `login` event per token request (success, failure, lockout,
// error) with a reason class and the request id; and at trace level no log line ever holds a
// password, token, hash, secret or Authorization value.
import t from 'tap'
import { hashPassword } from '../../lib/index.js'
import { SECRET } from '../support.js'
import { assertLogsClean, FORM_HEADER, httpRequest, listen, rawRequest } from './helpers.js'

const PASSWORD = 'correct-Horse-battery-9'
const WRONG = 'wrong-Guess-zebra-42'

t.test('one login event per token request, with outcome, reason class and request id', async (t) => {
  const passwordHash = await hashPassword(PASSWORD)
  const weakHash = await hashPassword(PASSWORD, { memoryCost: 4096, timeCost: 1 })
  const users: Record<string, unknown> = {
    alice: { id: 'u-alice', username: 'alice', passwordHash, scopes: ['items:read'] },
    weak: { id: 'u-weak', username: 'weak', passwordHash: weakHash },
    bob: { id: 'u-bob', username: 'bob', passwordHash, disabled: true },
    nohash: { id: 'u-nohash', username: 'nohash', passwordHash: null }
  }
  const srv = await listen(t, {
    users: {
      findByUsername: (u) => Object.hasOwn(users, u) ? users[u] as never : null,
      updatePasswordHash: () => {}
    },
    rateLimit: { username: { max: 2, timeWindow: 60_000 }, address: false }
  })
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['success', `grant_type=password&username=alice&password=${PASSWORD}`, { outcome: 'success', userId: 'u-alice' }],
    ['re-hash on success', `grant_type=password&username=weak&password=${PASSWORD}`, { outcome: 'success', userId: 'u-weak' }],
    ['wrong password', `grant_type=password&username=alice&password=${WRONG}`, { outcome: 'failure', reason: 'bad_password' }],
    ['unknown user', `grant_type=password&username=ghost&password=${WRONG}`, { outcome: 'failure', reason: 'unknown_user' }],
    ['disabled user', `grant_type=password&username=bob&password=${PASSWORD}`, { outcome: 'failure', reason: 'disabled' }],
    ['user without a hash', `grant_type=password&username=nohash&password=${PASSWORD}`, { outcome: 'failure', reason: 'no_password' }],
    ['unknown scope', `grant_type=password&username=alice&password=${PASSWORD}&scope=admin`, { outcome: 'failure', reason: 'invalid_scope', userId: 'u-alice' }],
    ['malformed request', `grant_type=password&username=alice&password=${PASSWORD}&password=x`, { outcome: 'failure', reason: 'invalid_request' }],
    ['other grant', `grant_type=client_credentials&client_secret=${PASSWORD}`, { outcome: 'failure', reason: 'unsupported_grant_type' }],
    ['lockout starts', `grant_type=password&username=ghost&password=${WRONG}`, { outcome: 'failure', reason: 'unknown_user' }],
    ['lockout starts', `grant_type=password&username=ghost&password=${WRONG}`, { outcome: 'lockout', reason: 'username', started: true, level: 40 }],
    ['during the lockout', `grant_type=password&username=ghost&password=${PASSWORD}`, { outcome: 'lockout', reason: 'username', started: false, level: 30 }]
  ]
  for (const [name, body, expected] of cases) {
    const before = srv.logs.length
    const res = await rawRequest(srv.port, httpRequest('POST', '/token', [FORM_HEADER], body))
    t.ok(res.status > 0, `${name}: answered`)
    await new Promise((resolve) => setImmediate(resolve))
    const lines = srv.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>)
    const events = lines.filter((l) => l.event === 'login')
    t.equal(events.length, 1, `${name}: exactly one login event`)
    const incoming = lines.find((l) => l.msg === 'incoming request')
    t.match(events[0], { ...expected, reqId: incoming?.reqId }, `${name}: outcome, reason and request id`)
  }
  const unreadable = await rawRequest(srv.port, httpRequest('POST', '/token', ['Content-Type: application/json'], `{"password":"${PASSWORD}"}`))
  t.equal(unreadable.status, 400)
  assertLogsClean(t, srv.logs, [PASSWORD, WRONG, '$argon2', SECRET])
})

t.test('no password, token, hash, secret or Authorization value in any log line at trace level', async (t) => {
  const srv = await listen(t, {
    rateLimit: false,
    loadUser: (claims) => ({ id: claims.sub, username: 'alice', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' }),
    users: { findByUsername: async (u) => { if (u === 'explode') throw new Error(`lookup failed for ${u}`); return u === 'alice' ? { id: 'u-alice', username: 'alice', passwordHash: await hashPassword('secret') } : null } }
  })
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const ok = await fetch(`${srv.base}/token`, { method: 'POST', headers: form, body: 'grant_type=password&username=alice&password=secret' })
  const { access_token: token } = await ok.json() as { access_token: string }
  t.type(token, 'string')
  const basic = Buffer.from(`client:${PASSWORD}`).toString('base64')
  await fetch(`${srv.base}/me`, { headers: { authorization: `Bearer ${token}` } })
  await fetch(`${srv.base}/me?access_token=${token}`, { headers: { authorization: `Bearer ${token}` } })
  await fetch(`${srv.base}/items`, { headers: { authorization: `bearer ${token}x` } })
  await fetch(`${srv.base}/me`, { headers: { authorization: `Basic ${basic}` } })
  await fetch(`${srv.base}/token`, { method: 'POST', headers: { ...form, authorization: `Basic ${basic}` }, body: `grant_type=password&username=alice&password=${PASSWORD}` })
  await fetch(`${srv.base}/token?password=${PASSWORD}`, { method: 'POST', headers: form, body: `grant_type=password&username=explode&password=${PASSWORD}` })
  await fetch(`${srv.base}/token?password=${PASSWORD}`, { method: 'GET' })
  await fetch(`${srv.base}/token`, { method: 'POST', headers: form, body: `grant_type=password&username=alice&password=${PASSWORD}&x=${'y'.repeat(9000)}` })
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(srv.logs.some((l) => l.includes('"level":10') || l.includes('"level":20') || l.includes('"level":30')), 'logs were written')
  t.ok(srv.logs.some((l) => l.includes('lookup failed')) || srv.logs.some((l) => l.includes('"outcome":"error"')), 'the store error was logged')
  assertLogsClean(t, srv.logs, [PASSWORD, token, token.split('.')[2] as string, basic, '$argon2', SECRET, 'aGFzaGhhc2g'])
})
