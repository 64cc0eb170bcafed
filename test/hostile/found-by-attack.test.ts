// Regressions of attacks that once got through (issue: "Holes found by attacking it from outside"),
// each sent over raw HTTP as an attacker would.
import t from 'tap'
import { FORM_HEADER, forge, goodClaims, goodToken, httpRequest, listen, rawRequest, type Listening } from './helpers.js'

let srv: Listening
t.before(async () => { srv = await listen(t) })

const HEADER = { alg: 'HS256', typ: 'at+jwt' }
const get = (path: string, headers: string[]) => rawRequest(srv.port, httpRequest('GET', path, headers))
const bearer = (token: string) => `Authorization: Bearer ${token}`
const post = (body: string, headers: string[] = [FORM_HEADER]) => rawRequest(srv.port, httpRequest('POST', '/token', headers, body))

t.test('numbers that are not numbers: exp, nbf and iat must be whole seconds in range, iat not in the future', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  t.equal((await get('/me', [bearer(goodToken())])).status, 200, 'control: a good token')
  const cases: Array<[string, string]> = [
    ['exp 1e400 (Infinity)', JSON.stringify(goodClaims()).replace(/"exp":\d+/, '"exp":1e400')],
    ['nbf -1e400', JSON.stringify(goodClaims()).replace(/"exp":\d+/, `"exp":${now + 600},"nbf":-1e400`)],
    ['exp in the year 3001', JSON.stringify(goodClaims({ exp: 32_535_216_000 }))],
    ['exp with a fraction', JSON.stringify(goodClaims({ exp: now + 600.5 }))],
    ['iat in the year 2286', JSON.stringify(goodClaims({ iat: 9_999_999_999 }))],
    ['iat negative', JSON.stringify(goodClaims({ iat: -1 }))],
    ['iat a minute in the future', JSON.stringify(goodClaims({ iat: now + 60 }))]
  ]
  for (const [what, payload] of cases) {
    const res = await get('/me', [bearer(forge(HEADER, payload))])
    t.equal(res.status, 401, what)
    t.match(res.headers['www-authenticate'], /error="invalid_token"/, `${what}: invalid_token`)
  }
  t.equal((await get('/me', [bearer(goodToken({ iat: now + 4 }))])).status, 200, 'iat within the clock tolerance')
})

t.test('ambiguous JSON: duplicate member names in the header or the payload are refused', async (t) => {
  const claims = JSON.stringify(goodClaims())
  const cases: Array<[string, string, string]> = [
    ['alg twice in the header', '{"alg":"none","alg":"HS256","typ":"at+jwt"}', claims],
    ['typ twice in the header', '{"alg":"HS256","typ":"JWT","typ":"at+jwt"}', claims],
    ['sub twice in the payload', JSON.stringify(HEADER), claims.replace('"sub":"u-alice"', '"sub":"u-admin","sub":"u-alice"')],
    ['sub twice, one spelled with an escape', JSON.stringify(HEADER), claims.replace('"sub":"u-alice"', '"\\u0073ub":"u-admin","sub":"u-alice"')],
    ['a nested object with a duplicate', JSON.stringify(HEADER), claims.replace(/}$/, ',"cnf":{"jkt":"a","jkt":"b"}}')],
    ['sub twice, after a string of escaped quotes and colons', JSON.stringify(HEADER), claims.replace(/}$/, ',"note":"x\\":1,\\"y","sub":"u-admin"}')]
  ]
  for (const [what, header, payload] of cases) {
    const res = await get('/me', [bearer(forge(header, payload))])
    t.equal(res.status, 401, what)
  }
  const nested = claims.replace(/}$/, ',"cnf":{"jkt":"a"},"x":[{"jkt":"b"},{"jkt":"c"}]}')
  t.equal((await get('/me', [bearer(forge(HEADER, nested))])).status, 200, 'the same name in sibling objects is no duplicate')
  for (const tail of [',"note":"a,\\"b\\":{[c\\\\","z":[[1,2],"]",","]}', ',"note":"\\",\\"","z":1}', ',"list":["x,y",{"}":1,"a\\"":2}]}', ',"note":"a:b\\\\","c":"d:\\":e"}']) {
    const tricky = claims.replace(/}$/, tail)
    t.equal((await get('/me', [bearer(forge(HEADER, tricky))])).status, 200, `${tail}: quotes, escapes, brackets and commas in strings and arrays are no members`)
  }
})

t.test('two Authorization headers are 400 invalid_request, whatever they hold', async (t) => {
  const token = goodToken()
  for (const [what, headers] of [
    ['twice the same token', [bearer(token), bearer(token)]],
    ['a token and another scheme', ['Authorization: Basic YTpi', bearer(token)]],
    ['a token and a bad one', [bearer(token), bearer('x.y.z')]]
  ] as Array<[string, string[]]>) {
    const res = await get('/me', headers)
    t.equal(res.status, 400, what)
    t.equal(res.headers['www-authenticate'], 'Bearer realm="api", error="invalid_request"', `${what}: challenge`)
    t.match(JSON.parse(res.body), { code: 'FST_PWB_MULTIPLE_CREDENTIALS' }, `${what}: code`)
  }
  t.equal((await get('/hello', ['Authorization: Basic YTpi', 'Authorization: Basic YzpK'])).status, 400, 'on an optional route too')
})

t.test('a token in the URL is refused under any spelling, with a message about the URL', async (t) => {
  const token = goodToken()
  for (const path of [`/me?access_token=${token}`, '/me?access_token[]=x', '/me?access_token[0]=x', '/me?access%5Ftoken=x', `/hello?access_token=${token}`]) {
    const res = await get(path, [])
    t.equal(res.status, 400, path.replace(token, '<token>'))
    t.match(JSON.parse(res.body), { code: 'FST_PWB_TOKEN_IN_QUERY', error: 'invalid_request' }, 'coded')
    t.notMatch(res.body, /Malformed Authorization header/, 'not told its header is malformed')
  }
  t.equal((await get('/me?access_token[]=x', [bearer(token)])).status, 400, 'with a good header too')
})

t.test('characters that look like nothing in a username are refused with invalid_request', async (t) => {
  for (const ch of ['\u0085', '\u00ad', '\u200b', '\u2028', '\u2060', '\ufeff', '\u034f', '\u0080']) {
    const res = await post(`grant_type=password&username=${encodeURIComponent('ali' + ch + 'ce')}&password=secret`)
    t.equal(res.status, 400, `U+${ch.codePointAt(0)?.toString(16).padStart(4, '0')}`)
    t.match(JSON.parse(res.body), { error: 'invalid_request' })
  }
  t.equal((await post('grant_type=password&username=alice&password=secret')).status, 200, 'control: alice logs in')
  t.equal((await post(`grant_type=password&username=${encodeURIComponent('zoë')}&password=x`)).status, 400, 'a visible non-ASCII name is checked as usual')
})

t.test('bracketed parameter names next to plain ones are refused', async (t) => {
  for (const body of ['grant_type=password&username=alice&username[]=x&password=secret', 'grant_type=password&username=alice&password=secret&scope[]=items:read']) {
    const res = await post(body)
    t.equal(res.status, 400, body)
    t.match(JSON.parse(res.body), { error: 'invalid_request' })
  }
})

t.test('a body the route does not decode is 415: Content-Encoding, or a charset other than UTF-8', async (t) => {
  const body = 'grant_type=password&username=alice&password=secret'
  for (const headers of [
    [FORM_HEADER, 'Content-Encoding: gzip'],
    [FORM_HEADER, 'Content-Encoding: br'],
    ['Content-Type: application/x-www-form-urlencoded; charset=utf-16'],
    ['Content-Type: application/x-www-form-urlencoded; charset="iso-8859-1"']
  ]) {
    const res = await post(body, headers)
    t.equal(res.status, 415, headers.join(' | '))
    t.match(JSON.parse(res.body), { error: 'invalid_request' })
    t.equal(res.headers['cache-control'], 'no-store')
  }
  for (const headers of [
    [FORM_HEADER, 'Content-Encoding: identity'],
    ['Content-Type: application/x-www-form-urlencoded; charset=UTF-8'],
    ['Content-Type: application/x-www-form-urlencoded;charset=us-ascii']
  ]) t.equal((await post(body, headers)).status, 200, headers.join(' | '))
})

t.test('outages carry no challenge: a failing or hung loadUser is 500/503 without WWW-Authenticate', async (t) => {
  const failing = await listen(t, { loadUser: () => { throw new Error('db down') } })
  const hung = await listen(t, { userLookupTimeout: 50, loadUser: () => new Promise(() => {}) })
  const token = goodToken()
  const a = await rawRequest(failing.port, httpRequest('GET', '/me', [bearer(token)]))
  t.equal(a.status, 500)
  t.equal(a.headers['www-authenticate'], undefined, '500: no challenge')
  const b = await rawRequest(hung.port, httpRequest('GET', '/me', [bearer(token)]))
  t.equal(b.status, 503)
  t.equal(b.headers['www-authenticate'], undefined, '503: no challenge')
  t.equal(b.headers['retry-after'], '5')
})
