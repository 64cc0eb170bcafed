/**
 * What docs/errors.md says of two answers readers asked about: the 401 of a request without a token
 * has a body `error` (`unauthorized`) while its challenge has no `error` attribute; and an empty
 * parameter is `invalid_request` only when the parameter is required, an empty optional one
 * (`scope=`, `client_id=`, `client_secret=`, `token_type_hint=`) counting as not sent (RFC 6749 §3.1).
 */
import t from 'tap'
import { buildApp, FORM, tokenRequest } from './support.js'

const login = 'grant_type=password&username=alice&password=secret'

t.test('no token: body error "unauthorized", challenge without an error attribute', async (t) => {
  const { app } = await buildApp()
  t.teardown(() => app.close())
  const res = await app.inject({ url: '/me' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
  t.match(res.json(), { statusCode: 401, code: 'FST_PWB_NO_TOKEN', error: 'unauthorized' })
})

t.test('an empty required parameter is invalid_request', async (t) => {
  const { app } = await buildApp({ refreshTokens: true })
  t.teardown(() => app.close())
  for (const body of ['grant_type=&username=alice&password=secret', 'grant_type=password&username=&password=secret',
    'grant_type=password&username=alice&password=', 'grant_type=refresh_token&refresh_token=']) {
    const res = await tokenRequest(app, body)
    t.equal(res.statusCode, 400, body)
    t.equal(res.json().error, 'invalid_request', body)
  }
  const revoke = await app.inject({ method: 'POST', url: '/revoke', headers: FORM, payload: 'token=' })
  t.equal(revoke.json().error, 'invalid_request', 'token=')
})

t.test('an empty optional parameter counts as not sent', async (t) => {
  const { app } = await buildApp({ refreshTokens: true })
  t.teardown(() => app.close())
  const plain = await tokenRequest(app, login)
  for (const extra of ['&scope=', '&client_id=', '&client_secret=']) {
    const res = await tokenRequest(app, login + extra)
    t.equal(res.statusCode, 200, extra)
    t.equal(res.json().scope, plain.json().scope, `${extra}: the scopes of a request without it`)
  }
  const revoke = await app.inject({ method: 'POST', url: '/revoke', headers: FORM, payload: 'token=abc&token_type_hint=' })
  t.equal(revoke.statusCode, 200, 'token_type_hint=')
})
