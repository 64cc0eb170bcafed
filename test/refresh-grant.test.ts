// The refresh token grant over app.inject: rotation, reuse detection, lifetimes, scopes, the user
// check, and the answers that tell a client nothing about why a refresh token was refused.
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { REFRESH_TOKEN_LENGTH } from '../lib/sessions/refresh-token.js'
import { buildApp, tokenRequest } from './support.js'
import { instrumentedStore, me, passwordLogin, refresh, sessionApp } from './helpers/sessions.js'
import { assertLogsClean } from './hostile/helpers.js'

const DAY = 86_400_000

function assertInvalidGrant (t: Test, res: LightMyRequestResponse, name: string): void {
  t.equal(res.statusCode, 400, `${name}: 400`)
  t.same(res.json(), { error: 'invalid_grant', error_description: 'The refresh token is invalid, expired or revoked: log in again' }, `${name}: the one invalid_grant answer`)
  t.equal(res.headers['cache-control'], 'no-store', `${name}: no-store`)
  t.equal(res.headers.pragma, 'no-cache')
}

function logCapture (): { logs: string[], logger: { level: string, stream: Writable } } {
  const logs: string[] = []
  return { logs, logger: { level: 'trace', stream: new Writable({ write (chunk, _e, cb) { logs.push(String(chunk)); cb() } }) } }
}

t.test('off by default: no refresh token, no refresh grant, no revocation route, no decorator', async (t) => {
  const { app } = await buildApp()
  t.teardown(() => app.close())
  const login = await tokenRequest(app, 'grant_type=password&username=alice&password=secret')
  t.same(Object.keys(login.json()).sort(), ['access_token', 'expires_in', 'scope', 'token_type'])
  const res = await tokenRequest(app, 'grant_type=refresh_token&refresh_token=x')
  t.equal(res.json().error, 'unsupported_grant_type')
  t.equal((await app.inject({ method: 'POST', url: '/revoke', payload: 'token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode, 404)
  t.notOk(app.hasDecorator('revokeUserSessions'))
})

t.test('a login answers an opaque 256-bit refresh token beside the access token', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  const a = await passwordLogin(app)
  const b = await passwordLogin(app)
  t.same(Object.keys(a), ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'])
  t.match(a.refresh_token, /^[A-Za-z0-9_-]+$/)
  t.equal(a.refresh_token?.length, REFRESH_TOKEN_LENGTH)
  t.equal(a.refresh_token?.split('.').length, 1, 'not a JWT')
  t.not(a.refresh_token, b.refresh_token)
  t.equal((await me(app, a.access_token)).statusCode, 200)
})

t.test('a refresh answers a new access token and a new refresh token; the used one is dead at once', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  const first = await passwordLogin(app)
  const res = await refresh(app, first.refresh_token as string)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const second = res.json()
  t.same(Object.keys(second), ['access_token', 'token_type', 'expires_in', 'refresh_token', 'scope'])
  t.equal(second.scope, 'items:read items:write', 'the scopes of the login')
  t.not(second.refresh_token, first.refresh_token)
  t.not(second.access_token, first.access_token)
  t.equal((await me(app, second.access_token)).statusCode, 200)
  t.equal((await refresh(app, second.refresh_token)).statusCode, 200, 'the new refresh token works')
  assertInvalidGrant(t, await refresh(app, first.refresh_token as string), 'the used one')
})

t.test('reusing a rotated refresh token ends the family, newest token included, with an audit line and no token in the logs', async (t) => {
  const { logs, logger } = logCapture()
  const tokens = instrumentedStore()
  const { app } = await buildApp({ refreshTokens: true, tokenStore: tokens.store, rateLimit: false }, undefined, { logger })
  t.teardown(() => app.close())
  const first = await passwordLogin(app)
  const second = (await refresh(app, first.refresh_token as string)).json()
  const third = (await refresh(app, second.refresh_token)).json()
  const before = logs.length
  assertInvalidGrant(t, await refresh(app, first.refresh_token as string), 'the reuse')
  const lines = logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(lines.find((l) => l.event === 'refresh_token_reuse'), { level: 40, userId: 'u-alice', msg: /revoked/ }, 'a warning says so')
  t.match(lines.find((l) => l.event === 'login'), { outcome: 'failure', reason: 'reused_token', grant: 'refresh_token', userId: 'u-alice' })
  assertInvalidGrant(t, await refresh(app, third.refresh_token), 'the newest token of the family')
  assertInvalidGrant(t, await refresh(app, second.refresh_token), 'every token of the family')
  const other = await passwordLogin(app)
  t.equal((await refresh(app, other.refresh_token as string)).statusCode, 200, 'another login of the user is untouched')
  assertLogsClean(t, logs, [first.refresh_token, second.refresh_token, third.refresh_token, other.refresh_token].map(String))
})

t.test('of many simultaneous refreshes with one token, exactly one succeeds', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  const { refresh_token: token } = await passwordLogin(app)
  const answers = await Promise.all(Array.from({ length: 10 }, () => refresh(app, token as string)))
  t.equal(answers.filter((r) => r.statusCode === 200).length, 1)
  for (const res of answers.filter((r) => r.statusCode !== 200)) assertInvalidGrant(t, res, 'a loser')
})

t.test('unknown, malformed, expired, idle, rotated and revoked refresh tokens get the same answer', async (t) => {
  const { app, tokens } = await sessionApp({ refreshTokens: { absoluteTtl: 3600, idleTtl: 600 } })
  t.teardown(() => app.close())
  const rotated = await passwordLogin(app)
  await refresh(app, rotated.refresh_token as string)
  const revoked = await passwordLogin(app)
  t.equal((await app.inject({ method: 'POST', url: '/revoke', payload: `token=${revoked.refresh_token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).statusCode, 200)
  const live = await passwordLogin(app)
  const cases: Record<string, string> = {
    unknown: 'A'.repeat(REFRESH_TOKEN_LENGTH),
    malformed: 'not a refresh token',
    'an access token': live.access_token,
    'a wrong secret with a real family': (live.refresh_token as string).slice(0, -5) + 'AAAAA',
    rotated: rotated.refresh_token as string,
    revoked: revoked.refresh_token as string
  }
  for (const [name, token] of Object.entries(cases)) assertInvalidGrant(t, await refresh(app, token), name)
  t.equal((await refresh(app, live.refresh_token as string)).statusCode, 200, 'a guess with a real family id harmed nothing')

  // Idle: unused for idleTtl since the login. Absolute: used often, but past absoluteTtl.
  const idle = await passwordLogin(app)
  let busy = (await passwordLogin(app)).refresh_token as string
  for (let i = 0; i < 6; i++) {
    tokens.later(590_000)
    const res = await refresh(app, busy)
    t.equal(res.statusCode, 200, `a refresh within idleTtl, ${i + 1}`)
    busy = res.json().refresh_token
  }
  assertInvalidGrant(t, await refresh(app, idle.refresh_token as string), 'idle-expired')
  tokens.later(70_000)
  assertInvalidGrant(t, await refresh(app, busy), 'past absoluteTtl')
})

t.test('a family unused for idleTtl since its last refresh is refused', async (t) => {
  const { app, tokens } = await sessionApp({ refreshTokens: { absoluteTtl: 3600, idleTtl: 600 } })
  t.teardown(() => app.close())
  const login = await passwordLogin(app)
  tokens.later(300_000)
  const rested = (await refresh(app, login.refresh_token as string)).json()
  tokens.later(599_000)
  const kept = (await refresh(app, rested.refresh_token)).json()
  t.type(kept.refresh_token, 'string', 'idleTtl counts from the last refresh, not from the login')
  tokens.later(600_000)
  assertInvalidGrant(t, await refresh(app, kept.refresh_token), 'unused for idleTtl')
})

t.test('a narrower scope may be asked for; a wider one, or one no longer held, is invalid_scope and spends nothing', async (t) => {
  const { app, users } = await sessionApp()
  t.teardown(() => app.close())
  const carol = await passwordLogin(app, 'carol')
  const wider = await refresh(app, carol.refresh_token as string, '&scope=items:write')
  t.equal(wider.statusCode, 400)
  t.equal(wider.json().error, 'invalid_scope')
  const unknown = await refresh(app, carol.refresh_token as string, '&scope=admin')
  t.equal(unknown.json().error, 'invalid_scope')
  const readOnly = await passwordLogin(app, 'alice', '&scope=items:read')
  const beyondLogin = await refresh(app, readOnly.refresh_token as string, '&scope=items:write')
  t.equal(beyondLogin.statusCode, 400)
  t.equal(beyondLogin.json().error, 'invalid_scope', 'a scope the user holds but the login did not grant')

  const alice = await passwordLogin(app)
  const narrow = await refresh(app, alice.refresh_token as string, '&scope=items:read')
  t.equal(narrow.statusCode, 200)
  t.equal(narrow.json().scope, 'items:read')
  const again = await refresh(app, narrow.json().refresh_token)
  t.equal(again.json().scope, 'items:read items:write', 'the family keeps the login\'s scopes (RFC 6749 §6)')

  users.set('alice', { ...users.get('alice')!, scopes: ['items:read'] })
  const lost = await refresh(app, again.json().refresh_token, '&scope=items:write')
  t.equal(lost.statusCode, 400)
  t.equal(lost.json().error, 'invalid_scope', 'a scope the user no longer holds')
  const rest = await refresh(app, again.json().refresh_token)
  t.equal(rest.statusCode, 200, 'the refused requests did not spend the token')
  t.equal(rest.json().scope, 'items:read', 'without scope: what the user still holds of the login\'s')
  t.equal((await refresh(app, carol.refresh_token as string)).statusCode, 200)
})

t.test('the user store is asked on every refresh: a disabled, deleted or renamed user cannot refresh', async (t) => {
  const { app, users } = await sessionApp()
  t.teardown(() => app.close())
  const alice = await passwordLogin(app)
  const asked: string[] = []
  const get = users.get.bind(users)
  users.get = (name: string) => { asked.push(name); return get(name) }
  const fresh = (await refresh(app, alice.refresh_token as string)).json()
  await refresh(app, fresh.refresh_token)
  t.same(asked, ['alice', 'alice'], 'once per refresh')
  alice.refresh_token = (await passwordLogin(app)).refresh_token
  const carol = await passwordLogin(app, 'carol')
  const dave = await passwordLogin(app, 'carol')
  const original = users.get('alice')!
  users.set('alice', { ...original, disabled: true })
  assertInvalidGrant(t, await refresh(app, alice.refresh_token as string), 'disabled')
  users.set('alice', original)
  assertInvalidGrant(t, await refresh(app, alice.refresh_token as string), 'the family of a disabled user stays ended')
  users.delete('carol')
  assertInvalidGrant(t, await refresh(app, carol.refresh_token as string), 'deleted')
  users.set('carol', { id: 'u-someone-else', username: 'carol', passwordHash: null })
  assertInvalidGrant(t, await refresh(app, dave.refresh_token as string), 'the name now belongs to another user')
})

t.test('a refresh does no argon2 work: it works for a user whose stored hash is unusable', async (t) => {
  const { app, users } = await sessionApp()
  t.teardown(() => app.close())
  const alice = await passwordLogin(app)
  users.set('alice', { ...users.get('alice')!, passwordHash: 'not-an-argon2-hash' })
  t.equal((await tokenRequest(app, 'grant_type=password&username=alice&password=secret')).statusCode, 500, 'a login would verify it')
  t.equal((await refresh(app, alice.refresh_token as string)).statusCode, 200)
})

t.test('refreshes pass the per-address throttle, and a successful one is credited back', async (t) => {
  const { app } = await sessionApp({ rateLimit: { username: false, address: { max: 3, timeWindow: 60_000 } } })
  t.teardown(() => app.close())
  let token = (await passwordLogin(app)).refresh_token as string
  for (let i = 0; i < 5; i++) {
    const res = await refresh(app, token)
    t.equal(res.statusCode, 200, `refresh ${i + 1}: successes are credited back`)
    token = res.json().refresh_token
  }
  for (let i = 0; i < 3; i++) await refresh(app, 'A'.repeat(REFRESH_TOKEN_LENGTH))
  const locked = await refresh(app, token)
  t.equal(locked.statusCode, 429)
  t.equal(locked.json().error, 'slow_down')
})

t.test('the store is given hashes only: no refresh token in any call', async (t) => {
  const { app, tokens } = await sessionApp()
  t.teardown(() => app.close())
  const a = await passwordLogin(app)
  const b = (await refresh(app, a.refresh_token as string)).json()
  await refresh(app, a.refresh_token as string)
  await app.inject({ method: 'POST', url: '/revoke', payload: `token=${b.refresh_token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  const recorded = JSON.stringify(tokens.calls)
  t.ok(tokens.calls.length >= 5)
  for (const token of [a.refresh_token, b.refresh_token] as string[]) {
    t.notOk(recorded.includes(token), 'no token')
    t.notOk(recorded.includes(token.slice(-43)), 'no token secret')
  }
})

t.test('a store that fails or hangs gets 503 temporarily_unavailable and no token, and the token survives it', async (t) => {
  for (const mode of ['reject', 'hang'] as const) {
    const { app, tokens } = await sessionApp({ tokenStoreTimeout: 50 })
    t.teardown(() => app.close())
    const alice = await passwordLogin(app)
    tokens.mode(mode)
    for (const [name, res] of [
      ['login', await tokenRequest(app, 'grant_type=password&username=alice&password=secret')],
      ['refresh', await refresh(app, alice.refresh_token as string)]
    ] as const) {
      t.equal(res.statusCode, 503, `${mode}, ${name}: 503`)
      t.same(Object.keys(res.json()).sort(), ['error', 'error_description'])
      t.equal(res.json().error, 'temporarily_unavailable')
      t.equal(res.headers['retry-after'], '5')
      t.equal(res.headers['cache-control'], 'no-store')
      t.notMatch(res.body, /ECONNREFUSED|redis|FST_PWB/)
    }
    tokens.mode('ok')
    t.equal((await refresh(app, alice.refresh_token as string)).statusCode, 200, `${mode}: recovered without a restart`)
  }
})

t.test('a user store that fails during a refresh leaves the refresh token working', async (t) => {
  let failing = false
  const { app, users } = await sessionApp()
  t.teardown(() => app.close())
  const alice = await passwordLogin(app)
  const real = users.get('alice')!
  users.get = ((name: string) => {
    if (failing) throw new Error('db down')
    return name === 'alice' ? real : undefined
  }) as typeof users.get
  failing = true
  t.equal((await refresh(app, alice.refresh_token as string)).statusCode, 500)
  failing = false
  t.equal((await refresh(app, alice.refresh_token as string)).statusCode, 200)
})

t.test('a family is refused when the user\'s sessions ended during the login', async (t) => {
  const tokens = instrumentedStore()
  const { app } = await sessionApp({}, tokens)
  t.teardown(() => app.close())
  const create = tokens.inner.createFamily.bind(tokens.inner)
  tokens.inner.createFamily = async (family, hash) => {
    await tokens.inner.revokeUser({ subject: family.subject, shard: family.shard }, family.createdAt + 1, family.createdAt + DAY)
    return await create(family, hash)
  }
  const res = await tokenRequest(app, 'grant_type=password&username=alice&password=secret')
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_grant')
  t.notOk('access_token' in res.json(), 'no access token either')
})

t.test('one audit event per refresh or revocation request, with its outcome, and no token in any log line', async (t) => {
  const { logs, logger } = logCapture()
  const { app } = await buildApp({ refreshTokens: true, rateLimit: false }, undefined, { logger })
  t.teardown(() => app.close())
  const login = await passwordLogin(app)
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const cases: Array<[string, () => Promise<LightMyRequestResponse>, string, Record<string, unknown>]> = [
    ['refresh', () => refresh(app, login.refresh_token as string), 'login', { outcome: 'success', grant: 'refresh_token', userId: 'u-alice' }],
    ['unknown refresh token', () => refresh(app, 'A'.repeat(REFRESH_TOKEN_LENGTH)), 'login', { outcome: 'failure', reason: 'unknown_token', grant: 'refresh_token' }],
    ['no refresh_token', () => tokenRequest(app, 'grant_type=refresh_token'), 'login', { outcome: 'failure', reason: 'invalid_request' }],
    ['revoke an access token', () => app.inject({ method: 'POST', url: '/revoke', headers: form, payload: `token=${login.access_token}` }), 'revocation', { outcome: 'success', type: 'access_token', userId: 'u-alice' }],
    ['revoke garbage', () => app.inject({ method: 'POST', url: '/revoke', headers: form, payload: 'token=x' }), 'revocation', { outcome: 'success', type: 'unknown' }],
    ['revoke without a token', () => app.inject({ method: 'POST', url: '/revoke', headers: form, payload: '' }), 'revocation', { outcome: 'failure', reason: 'invalid_request' }],
    ['revoke with a JSON body', () => app.inject({ method: 'POST', url: '/revoke', payload: { token: 'x' } }), 'revocation', { outcome: 'failure', reason: 'invalid_request' }]
  ]
  for (const [name, send, event, expected] of cases) {
    const before = logs.length
    await send()
    const events = logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'login' || l.event === 'revocation')
    t.equal(events.length, 1, `${name}: exactly one event`)
    t.match(events[0], { event, ...expected }, `${name}: its fields`)
  }
  assertLogsClean(t, logs, [login.refresh_token as string, login.access_token])
})

t.test('a refresh that loses a race after its checks answers invalid_grant; one beaten by a reuse ends like a reuse', async (t) => {
  const { logs, logger } = logCapture()
  const tokens = instrumentedStore()
  const { app } = await buildApp({ refreshTokens: true, tokenStore: tokens.store, rateLimit: false }, undefined, { logger })
  t.teardown(() => app.close())
  const rotate = tokens.inner.rotate.bind(tokens.inner)
  const session = await passwordLogin(app)
  // Another request rotates the token between this one's findFamily and its rotate.
  tokens.inner.rotate = async (used, next, now, idle) => {
    tokens.inner.rotate = rotate
    await rotate(used, 'someone-else', now, idle)
    return await rotate(used, next, now, idle)
  }
  assertInvalidGrant(t, await refresh(app, session.refresh_token as string), 'beaten by another rotation: a reuse')
  t.ok(logs.some((l) => l.includes('"event":"refresh_token_reuse"')))
  const other = await passwordLogin(app)
  tokens.inner.rotate = async () => ({ status: 'unknown' })
  assertInvalidGrant(t, await refresh(app, other.refresh_token as string), 'the family ended meanwhile')
})

t.test('a user record without the StoredUser shape on a refresh is a 500, and the token stays usable', async (t) => {
  const { app, users } = await sessionApp()
  t.teardown(() => app.close())
  const session = await passwordLogin(app)
  const real = users.get('alice')!
  users.set('alice', { id: 42 } as never)
  const res = await refresh(app, session.refresh_token as string)
  t.equal(res.statusCode, 500)
  t.equal(res.json().error, 'server_error')
  users.set('alice', real)
  t.equal((await refresh(app, session.refresh_token as string)).statusCode, 200)
})
