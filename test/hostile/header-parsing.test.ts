// Authorization header parsing over raw HTTP (RFC 6750 §2.1, §3.1): tolerant where the grammar
// allows, strict where it does not. Raw sockets, because clients such as fetch normalise headers.
import t from 'tap'
import { goodToken, httpRequest, listen, rawRequest, type Listening } from './helpers.js'

let srv: Listening
let token: string
t.before(async () => {
  srv = await listen(t)
  token = goodToken()
})

async function get (path: string, headers: string[]): Promise<Awaited<ReturnType<typeof rawRequest>>> {
  return rawRequest(srv.port, httpRequest('GET', path, headers))
}

t.test('the scheme in any case and one or more spaces are accepted', async (t) => {
  for (const value of [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`, `Bearer    ${token}`, `Bearer ${token}   `]) {
    const res = await get('/me', [`Authorization: ${value}`])
    t.equal(res.status, 200, JSON.stringify(value.replace(token, '<token>')))
  }
})

t.test('tabs, trailing junk and characters outside b64token are 400 invalid_request', async (t) => {
  for (const value of [
    `Bearer\t${token}`,
    `Bearer \t${token}`,
    `Bearer ${token}\tjunk`,
    `Bearer ${token} junk`,
    `Bearer ${token},`,
    `Bearer "${token}"`,
    `Bearer ${token.replace('.', '!')}`,
    `Bearer ${token};`,
    'Bearer =',
    'Bearer ',
    `Bearer ${token.slice(0, 10)}%2E${token.slice(10)}`
  ]) {
    const res = await get('/me', [`Authorization: ${value}`])
    t.equal(res.status, 400, JSON.stringify(value.replace(token, '<token>')))
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_request"')
    t.notOk(res.body.includes(token.slice(-20)), 'the token is not echoed')
  }
})

t.test('non-ASCII bytes in the header are refused, never a 500', async (t) => {
  const res = await rawRequest(srv.port, Buffer.concat([
    Buffer.from('GET /me HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer '),
    Buffer.from([0xc3, 0xa9, 0xff, 0x80]),
    Buffer.from('\r\n\r\n')
  ]))
  t.equal(res.status, 400)
})

t.test('a token in the query string, with or without the header, is 400 invalid_request', async (t) => {
  const both = await get(`/me?access_token=${token}`, [`Authorization: Bearer ${token}`])
  t.equal(both.status, 400)
  t.equal(both.headers['www-authenticate'], 'Bearer realm="api", error="invalid_request"')
  const queryOnly = await get(`/me?access_token=${token}`, [])
  t.equal(queryOnly.status, 400)
  const optional = await get(`/hello?access_token=${token}`, [])
  t.equal(optional.status, 400, 'authenticateOptional does not take a query token as "no credentials"')
  for (const res of [both, queryOnly, optional]) t.notOk(res.raw.includes(token.slice(-20)), 'the token is not echoed')
})

t.test('other schemes are "no credentials": 401 without an error attribute', async (t) => {
  for (const value of ['Basic YWxpY2U6c2VjcmV0', 'Token abc', `Bearer${token}`, 'Digest username="alice"']) {
    const res = await get('/me', [`Authorization: ${value}`])
    t.equal(res.status, 401, value.slice(0, 12))
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api"')
  }
})

t.test('a valid token for the wrong realm of header (Proxy-Authorization) is ignored', async (t) => {
  const res = await get('/me', [`Proxy-Authorization: Bearer ${token}`])
  t.equal(res.status, 401)
})

t.test('regression: routes protected by the plugin log no query-string token (nor the Authorization value)', async (t) => {
  const tokens = [token, token.split('.')[2] as string]
  const hits = srv.logs.filter((line) => tokens.some((s) => line.includes(s)))
  t.same(hits, [], 'no token in the logs')
})
