// Revocation over app.inject: the RFC 7009 route, revoked access tokens refused by authenticate,
// revokeUserSessions ("log out everywhere"), and instances that share one token store.
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import fastifyPasswordBearer from '../lib/index.js'
import { createAccessTokenFormat } from '../lib/access-token/format.js'
import { MemoryTokenStore } from '../lib/stores/memory-token-store.js'
import type { Revocation } from '../lib/stores/token-store.js'
import { buildApp, decodeSegment, FORM, SECRET, tokenRequest } from './support.js'
import { me, overriding, passwordLogin, refresh, revoke, sessionApp } from './helpers/sessions.js'

function assertRevoked200 (t: Test, res: LightMyRequestResponse, name: string): void {
  t.equal(res.statusCode, 200, `${name}: 200`)
  t.equal(res.body, '', `${name}: empty body`)
  t.equal(res.headers['cache-control'], 'no-store', `${name}: no-store`)
}

t.test('200 with an empty body for any token: valid, unknown, expired or garbage', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  const alice = await passwordLogin(app)
  const other = createAccessTokenFormat({ secret: 'another-secret-another-secret-another!', issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 0 })
  const iat = Math.floor(Date.now() / 1000)
  const claims = { sub: 'u-alice', iat, exp: iat + 60, jti: 'x', client_id: 'c', scope: '', preferred_username: 'alice' }
  const ours = createAccessTokenFormat({ secret: SECRET, issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 0 })
  const cases: Record<string, string> = {
    'a refresh token': alice.refresh_token as string,
    'an access token': alice.access_token,
    'the same refresh token again': alice.refresh_token as string,
    'an unknown refresh-shaped token': 'A'.repeat(67),
    'an expired access token': ours.sign({ ...claims, iat: iat - 7200, exp: iat - 3600 }),
    'another issuer\'s token': other.sign(claims),
    garbage: '%00%FF..--',
    'a long token': 'x'.repeat(3000)
  }
  for (const [name, token] of Object.entries(cases)) {
    assertRevoked200(t, await revoke(app, `token=${encodeURIComponent(token)}`), name)
    assertRevoked200(t, await revoke(app, `token=${encodeURIComponent(token)}&token_type_hint=access_token`), `${name}, with a hint`)
  }
  assertRevoked200(t, await revoke(app, 'token=x&token_type_hint=id_token'), 'an unknown hint is ignored')
})

t.test('revoking a refresh token ends its family; revoking an access token refuses it until it expires', async (t) => {
  const { app, tokens } = await sessionApp()
  t.teardown(() => app.close())
  const first = await passwordLogin(app)
  const second = (await refresh(app, first.refresh_token as string)).json()
  const other = await passwordLogin(app)
  await revoke(app, `token=${first.refresh_token}`)
  t.equal((await refresh(app, second.refresh_token)).json().error, 'invalid_grant', 'a rotated token ends the family too')
  t.equal((await me(app, second.access_token)).statusCode, 200, 'access tokens live on until revoked themselves')

  await revoke(app, `token=${second.access_token}&token_type_hint=access_token`)
  const refused = await me(app, second.access_token)
  t.equal(refused.statusCode, 401)
  t.match(refused.headers['www-authenticate'], /error="invalid_token"/)
  t.equal(refused.json().code, 'FST_PWB_INVALID_TOKEN')
  t.equal((await me(app, other.access_token)).statusCode, 200, 'other tokens are untouched')
  t.equal((await refresh(app, other.refresh_token as string)).statusCode, 200)

  const { exp, jti } = decodeSegment(second.access_token, 1) as { exp: number, jti: string }
  t.same((await tokens.inner.loadRevocations(Date.now())).filter((r) => r.type === 'access-token'), [
    { type: 'access-token', jti, expiresAt: exp * 1000 + 5000 }
  ], 'denied until its exp (plus the clock tolerance), never longer')
  t.same(await tokens.inner.loadRevocations(exp * 1000 + 5000), [], 'then forgotten')
})

t.test('only a valid access token of this issuer is recorded', async (t) => {
  const { app, tokens } = await sessionApp()
  t.teardown(() => app.close())
  const other = createAccessTokenFormat({ secret: 'another-secret-another-secret-another!', issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 0 })
  const iat = Math.floor(Date.now() / 1000)
  await revoke(app, `token=${other.sign({ sub: 'u-alice', iat, exp: iat + 60, jti: 'forged', client_id: 'c', scope: '', preferred_username: 'a' })}`)
  await revoke(app, 'token=garbage')
  t.same(await tokens.inner.loadRevocations(Date.now()), [])
  t.notOk(tokens.calls.some(([name]) => name === 'revokeAccessToken'))
})

t.test('400 invalid_request without a token; client authentication as on the token route', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  for (const body of ['', 'token=', 'token_type_hint=refresh_token', 'token=a&token=b', 'token[]=a']) {
    const res = await revoke(app, body)
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.equal(res.json().error, 'invalid_request')
    t.equal(res.headers['cache-control'], 'no-store')
  }
  const secret = await revoke(app, 'token=x&client_id=app&client_secret=s')
  t.equal(secret.statusCode, 401)
  t.equal(secret.json().error, 'invalid_client')
  t.equal(secret.headers['www-authenticate'], 'Basic realm="api"')
  const basic = await revoke(app, 'token=x', { authorization: `Basic ${Buffer.from('app:').toString('base64')}` })
  t.equal(basic.statusCode, 200, 'a public client id with no secret')
  const json = await app.inject({ method: 'POST', url: '/revoke', payload: { token: 'x' } })
  t.equal(json.statusCode, 400, 'a JSON body')
  t.equal(json.json().error, 'invalid_request')
  const get = await app.inject({ method: 'GET', url: '/revoke?token=x' })
  t.equal(get.statusCode, 405)
  t.equal(get.headers.allow, 'POST')
  t.match(get.json().error_description, /revocation endpoint/)
})

t.test('the revocation route passes the per-address throttle', async (t) => {
  const { app } = await sessionApp({ rateLimit: { username: false, address: { max: 2, timeWindow: 60_000 } } })
  t.teardown(() => app.close())
  await revoke(app, 'token=a')
  await revoke(app, 'token=b')
  const res = await revoke(app, 'token=c')
  t.equal(res.statusCode, 429)
  t.equal(res.json().error, 'slow_down')
  t.ok(Number(res.headers['retry-after']) > 0)
})

t.test('a store that fails or hangs: 503 temporarily_unavailable, and authenticate keeps working from the last list', async (t) => {
  const { app, tokens } = await sessionApp({ tokenStoreTimeout: 50 })
  t.teardown(() => app.close())
  const alice = await passwordLogin(app)
  const revoked = await passwordLogin(app)
  await revoke(app, `token=${revoked.access_token}`)
  for (const mode of ['reject', 'hang'] as const) {
    tokens.mode(mode)
    for (const token of [alice.refresh_token as string, alice.access_token]) {
      const res = await revoke(app, `token=${token}`)
      t.equal(res.statusCode, 503, `${mode}: 503`)
      t.equal(res.json().error, 'temporarily_unavailable')
      t.equal(res.headers['retry-after'], '5')
    }
    t.equal((await me(app, alice.access_token)).statusCode, 200, `${mode}: a valid token still passes`)
    t.equal((await me(app, revoked.access_token)).statusCode, 401, `${mode}: a revoked one is still refused`)
    await t.rejects(app.revokeUserSessions('u-alice'), { code: mode === 'hang' ? 'FST_PWB_TOKEN_STORE_TIMEOUT' : 'FST_PWB_TOKEN_STORE' })
  }
  tokens.mode('ok')
  assertRevoked200(t, await revoke(app, `token=${alice.access_token}`), 'recovered')
  t.equal((await me(app, alice.access_token)).statusCode, 401)
})

t.test('revokeUserSessions ends every family of the user and refuses every token issued before', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  const a = await passwordLogin(app)
  const b = await passwordLogin(app)
  const carol = await passwordLogin(app, 'carol')
  await app.revokeUserSessions('u-alice')
  for (const [name, session] of [['first login', a], ['second login', b]] as const) {
    t.equal((await me(app, session.access_token)).statusCode, 401, `${name}: its access token is refused`)
    t.equal((await refresh(app, session.refresh_token as string)).json().error, 'invalid_grant', `${name}: its refresh token is dead`)
  }
  t.equal((await me(app, carol.access_token)).statusCode, 200, 'another user is untouched')
  t.equal((await refresh(app, carol.refresh_token as string)).statusCode, 200)

  // At the start of a second, so that the login below falls within the revocation's second.
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
  await app.revokeUserSessions('u-alice')
  const started = Date.now()
  const after = await passwordLogin(app)
  t.ok(Date.now() - started < 1500, 'a login right after waits at most for the next second')
  t.equal((await me(app, after.access_token)).statusCode, 200, 'a login from then on works, even within the same second')
  t.ok((decodeSegment(after.access_token, 1).iat as number) * 1000 >= started - 1000)
  const refreshed = await refresh(app, after.refresh_token as string)
  t.equal(refreshed.statusCode, 200)
  t.equal((await me(app, refreshed.json().access_token)).statusCode, 200)
})

t.test('the not-before rule: a token of the revocation\'s second is refused, one of the next second passes', async (t) => {
  const { app } = await sessionApp({ loadUser: undefined })
  t.teardown(() => app.close())
  const format = createAccessTokenFormat({ secret: SECRET, issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 5 })
  const sign = (iat: number, jti: string): string => format.sign({ sub: 'u-alice', iat, exp: iat + 900, jti, client_id: 'c', scope: '', preferred_username: 'alice' })
  // Wait for the start of a second, so that the revocation and the tokens below share it.
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
  const second = Math.floor(Date.now() / 1000)
  const earlier = sign(second - 1, 'earlier')
  const sameSecond = sign(second, 'same')
  await app.revokeUserSessions('u-alice')
  t.equal(Math.floor(Date.now() / 1000), second, 'still the same second')
  t.equal((await me(app, earlier)).statusCode, 401, 'an earlier second')
  t.equal((await me(app, sameSecond)).statusCode, 401, 'the same second (issued before the revocation)')
  t.equal((await me(app, sign(second + 1, 'next'))).statusCode, 200, 'the next second')
})

t.test('revokeUserSessions refuses a missing user id with FST_PWB_INVALID_OPTION', async (t) => {
  const { app } = await sessionApp()
  t.teardown(() => app.close())
  await t.rejects(app.revokeUserSessions(''), { code: 'FST_PWB_INVALID_OPTION' })
  await t.rejects(app.revokeUserSessions(42 as never), { code: 'FST_PWB_INVALID_OPTION' })
})

t.test('revocation: true alone gives the route and the checks, without refresh tokens', async (t) => {
  const { app } = await buildApp({ revocation: true, rateLimit: false, revokeUrl: '/logout' })
  t.teardown(() => app.close())
  const login = (await tokenRequest(app, 'grant_type=password&username=alice&password=secret')).json()
  t.notOk('refresh_token' in login)
  t.equal((await tokenRequest(app, 'grant_type=refresh_token&refresh_token=x')).json().error, 'unsupported_grant_type')
  assertRevoked200(t, await revoke(app, 'token=' + 'A'.repeat(67), {}, '/logout'), 'a refresh-shaped token')
  assertRevoked200(t, await revoke(app, `token=${login.access_token}`, {}, '/logout'), 'an access token')
  t.equal((await me(app, login.access_token)).statusCode, 401)
  t.equal((await revoke(app, 'token=x')).statusCode, 404, 'only at revokeUrl')
})

t.test('the revocation route follows the plugin\'s prefix, like the token route', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(async (scope) => {
    await scope.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: () => null }, revocation: true })
  }, { prefix: '/auth' })
  await app.ready()
  t.equal((await app.inject({ method: 'POST', url: '/auth/revoke', headers: FORM, payload: 'token=x' })).statusCode, 200)
  t.equal((await app.inject({ method: 'POST', url: '/revoke', headers: FORM, payload: 'token=x' })).statusCode, 404)
})

t.test('instances sharing a store: a revocation on one is refused on the other, and revocations in force are loaded at start', async (t) => {
  const store = new MemoryTokenStore()
  const one = await sessionApp({ tokenStore: store })
  const two = await sessionApp({ tokenStore: store })
  t.teardown(() => one.app.close())
  t.teardown(() => two.app.close())
  const alice = await passwordLogin(one.app)
  const carol = await passwordLogin(one.app, 'carol')
  t.equal((await me(two.app, alice.access_token)).statusCode, 200)
  await revoke(one.app, `token=${alice.access_token}`)
  t.equal((await me(two.app, alice.access_token)).statusCode, 401, 'a revoked access token')
  await one.app.revokeUserSessions('u-carol')
  t.equal((await me(two.app, carol.access_token)).statusCode, 401, 'a user\'s sessions')
  t.equal((await refresh(two.app, carol.refresh_token as string)).json().error, 'invalid_grant')

  const three = await sessionApp({ tokenStore: store })
  t.teardown(() => three.app.close())
  t.equal((await me(three.app, alice.access_token)).statusCode, 401, 'loaded at start')
  t.equal((await me(three.app, carol.access_token)).statusCode, 401)
})

t.test('a closed app stops listening to the store', async (t) => {
  const store = new MemoryTokenStore()
  let listeners = 0
  const counting = overriding(store, {
    onRevocation (listener: (r: Revocation) => void) {
      listeners++
      const stop = store.onRevocation(listener)
      return () => { listeners--; stop() }
    }
  })
  const { app } = await sessionApp({ tokenStore: counting })
  t.equal(listeners, 1)
  await app.close()
  t.equal(listeners, 0)
})

t.test('registration fails with FST_PWB_TOKEN_STORE when the revocations cannot be loaded', async (t) => {
  for (const [name, loadRevocations, code] of [
    ['rejects', async () => { throw new Error('down') }, 'FST_PWB_TOKEN_STORE'],
    ['hangs', () => new Promise(() => {}), 'FST_PWB_TOKEN_STORE_TIMEOUT'],
    ['not a list', async () => 'nope', 'FST_PWB_TOKEN_STORE']
  ] as const) {
    const store = new MemoryTokenStore()
    let listening = 0
    const broken = overriding(store, {
      loadRevocations,
      onRevocation: () => { listening++; return () => { listening-- } }
    })
    const app = Fastify()
    app.register(fastifyPasswordBearer, { secret: SECRET, users: { findByUsername: () => null }, revocation: true, tokenStore: broken, tokenStoreTimeout: 50 })
    await t.rejects(async () => { await app.ready() }, { code }, name)
    t.equal(listening, 0, `${name}: no listener left behind`)
  }
})

t.test('a malformed revocation from the store is logged and ignored', async (t) => {
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _e, cb) { logs.push(String(chunk)); cb() } })
  let emit: (r: unknown) => void = () => {}
  const store = new MemoryTokenStore()
  const odd = overriding(store, {
    onRevocation: (listener: (r: unknown) => void) => { emit = listener; return () => {} }
  })
  const { app } = await buildApp({ revocation: true, tokenStore: odd, rateLimit: false }, undefined, { logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  for (const bad of [null, 'x', { type: 'user', subject: 'u-alice' }, { type: 'access-token', expiresAt: Date.now() + 1000 }, { type: 'other', expiresAt: 1 }]) emit(bad)
  t.equal(logs.filter((l) => l.includes('malformed revocation')).length, 5)
  const token = (await tokenRequest(app, 'grant_type=password&username=alice&password=secret')).json().access_token
  t.equal((await me(app, token)).statusCode, 200)
  emit({ type: 'user', subject: 'u-alice', notBefore: Date.now() + 1000, expiresAt: Date.now() + 60_000 })
  t.equal((await me(app, token)).statusCode, 401, 'a well-formed one applies')
})
