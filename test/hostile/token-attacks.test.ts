// Token verification attacks (RFC 8725, RFC 9068 §4) over real HTTP: every forged, foreign or
// malformed token is 401 invalid_token, never 200 and never 500, and no remote key is ever fetched.
import { createServer } from 'node:http'
import { generateKeyPairSync, createSign } from 'node:crypto'
import t, { type Test } from 'tap'
import { b64url, forge, goodClaims, goodToken, listen, type Listening } from './helpers.js'

const HEADER = { alg: 'HS256', typ: 'at+jwt' }

async function call (srv: Listening, token: string): Promise<{ status: number, body: string, challenge: string | null }> {
  const res = await fetch(`${srv.base}/me`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.text(), challenge: res.headers.get('www-authenticate') }
}

const bodies = new Set<string>()

async function refused (t: Test, srv: Listening, token: string, name: string): Promise<void> {
  const res = await call(srv, token)
  t.equal(res.status, 401, `${name}: 401`)
  t.equal(res.challenge, 'Bearer realm="api", error="invalid_token"', `${name}: invalid_token challenge`)
  t.match(JSON.parse(res.body), { code: 'FST_PWB_INVALID_TOKEN', error: 'invalid_token' }, `${name}: coded body`)
  bodies.add(res.body)
}

let srv: Listening
// A server standing in for an attacker's key URL: it counts every request it gets.
let keyHits = 0
const keyServer = createServer((_req, res) => { keyHits++; res.end('{"keys":[]}') })
let keyUrl = ''

t.before(async () => {
  srv = await listen(t)
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve))
  const address = keyServer.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  keyUrl = `http://127.0.0.1:${address.port}/jwks.json`
})
t.teardown(() => { keyServer.close() })

t.test('a correctly forged token with our key is accepted (the baseline the attacks vary)', async (t) => {
  const res = await call(srv, goodToken())
  t.equal(res.status, 200)
  t.match(JSON.parse(res.body), { id: 'u-alice', username: 'alice' })
})

t.test('alg none, in any case, with or without a signature', async (t) => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = forge({ alg, typ: 'at+jwt' }, goodClaims(), { signature: '' })
    await refused(t, srv, unsigned.slice(0, -1), `${alg} without the last dot`)
    await refused(t, srv, unsigned, `${alg} with an empty signature`)
    const withSig = forge({ alg, typ: 'at+jwt' }, goodClaims())
    await refused(t, srv, withSig.split('.').slice(0, 2).join('.') + '.' + withSig.split('.')[2], `${alg} with a signature`)
  }
})

t.test('algorithms other than the pinned HS256, even signed with our secret', async (t) => {
  await refused(t, srv, forge({ alg: 'HS384', typ: 'at+jwt' }, goodClaims(), { alg: 'HS384', key: 'test-secret-test-secret-test-secret!' }), 'HS384')
  await refused(t, srv, forge({ alg: 'HS512', typ: 'at+jwt' }, goodClaims(), { alg: 'HS512', key: 'test-secret-test-secret-test-secret!' }), 'HS512')
  await refused(t, srv, forge({ alg: 'RS256', typ: 'at+jwt' }, goodClaims(), { alg: 'HS256', key: 'test-secret-test-secret-test-secret!' }), 'RS256 header on an HMAC')
  await refused(t, srv, forge({ alg: 'ES256', typ: 'at+jwt' }, goodClaims(), { signature: b64url(Buffer.alloc(64, 1)) }), 'ES256')
  await refused(t, srv, forge({ typ: 'at+jwt' }, goodClaims()), 'no alg')
  await refused(t, srv, forge({ alg: ['HS256'], typ: 'at+jwt' }, goodClaims()), 'alg as an array')
})

t.test('key confusion: tokens signed with an attacker\'s key, the public key used as an HMAC secret', async (t) => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = publicKey.export({ type: 'spki', format: 'pem' })
  const jwk = publicKey.export({ format: 'jwk' })
  const input = `${b64url(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', jwk }))}.${b64url(JSON.stringify(goodClaims()))}`
  const rsa = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')
  await refused(t, srv, `${input}.${rsa}`, 'RS256 with an embedded jwk')
  await refused(t, srv, forge(HEADER, goodClaims(), { alg: 'HS256', key: pem }), 'HS256 keyed with a public key PEM')
  await refused(t, srv, forge({ ...HEADER, jwk: { kty: 'oct', k: b64url('attacker-key-attacker-key-attacker') } }, goodClaims(), { alg: 'HS256', key: 'attacker-key-attacker-key-attacker' }), 'HS256 with an embedded oct jwk')
  await refused(t, srv, forge(HEADER, goodClaims(), { alg: 'HS256', key: '' }), 'HS256 with an empty key')
})

t.test('remote-key headers (jku, x5u, jwk) are never fetched or trusted', async (t) => {
  const attacker = 'attacker-key-attacker-key-attacker'
  await refused(t, srv, forge({ ...HEADER, jku: keyUrl, kid: 'k1' }, goodClaims(), { alg: 'HS256', key: attacker }), 'jku')
  await refused(t, srv, forge({ ...HEADER, x5u: keyUrl }, goodClaims(), { alg: 'HS256', key: attacker }), 'x5u')
  await refused(t, srv, forge({ alg: 'RS256', typ: 'at+jwt', jku: keyUrl, x5u: keyUrl }, goodClaims(), { signature: b64url(Buffer.alloc(256, 7)) }), 'RS256 with jku and x5u')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(keyHits, 0, 'the key URL got no request')
})

t.test('unknown crit, wrong or missing typ', async (t) => {
  await refused(t, srv, forge({ ...HEADER, crit: ['exp-ext'], 'exp-ext': 1 }, goodClaims()), 'unknown crit')
  await refused(t, srv, forge({ ...HEADER, crit: [] }, goodClaims()), 'empty crit')
  await refused(t, srv, forge({ ...HEADER, crit: 'b64', b64: false }, goodClaims()), 'crit not an array')
  await refused(t, srv, forge({ alg: 'HS256' }, goodClaims()), 'no typ')
  await refused(t, srv, forge({ alg: 'HS256', typ: 'JWT' }, goodClaims()), 'typ JWT (an ID token or other JWT)')
  await refused(t, srv, forge({ alg: 'HS256', typ: 'at+jwt+x' }, goodClaims()), 'typ with a suffix')
  await refused(t, srv, forge({ alg: 'HS256', typ: 1 }, goodClaims()), 'typ a number')
})

t.test('payloads that are not a claims object', async (t) => {
  for (const payload of ['123', '"alice"', '[]', '[{"sub":"u-alice"}]', 'null', 'true', '{', '']) {
    await refused(t, srv, forge(HEADER, payload), `payload ${JSON.stringify(payload)}`)
  }
})

t.test('exp, nbf, iat, iss, aud, sub and jti that do not hold', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const cases: Array<[string, Record<string, unknown>]> = [
    ['exp a numeric string', { exp: String(now + 600) }],
    ['exp null', { exp: null }],
    ['exp an object', { exp: { $gt: 0 } }],
    ['exp in the past beyond the tolerance', { exp: now - 60 }],
    ['nbf in the future', { nbf: now + 600 }],
    ['nbf a string', { nbf: 'later' }],
    ['iat a string (regression: fast-jwt checks iat only with maxAge)', { iat: 'now' }],
    ['iat null', { iat: null }],
    ['foreign iss', { iss: 'https://evil.example' }],
    ['foreign aud', { aud: 'https://other-api.example' }],
    ['aud list without ours', { aud: ['a', 'b'] }],
    ['sub empty', { sub: '' }],
    ['sub a number', { sub: 42 }],
    ['scope a list', { scope: ['items:read'] }],
    ['jti a number', { jti: 7 }]
  ]
  for (const [name, claims] of cases) await refused(t, srv, goodToken(claims), name)
  for (const claim of ['exp', 'iss', 'aud', 'sub', 'jti', 'iat']) {
    const claims = goodClaims()
    delete claims[claim]
    await refused(t, srv, forge(HEADER, claims), `missing ${claim}`)
  }
})

t.test('regression: a non-canonical base64url token (altered spare bits, padding, standard alphabet) no longer verifies', async (t) => {
  const { createHmac } = await import('node:crypto')
  const hs256 = (input: string): string => createHmac('sha256', 'test-secret-test-secret-test-secret!').update(input).digest('base64url')
  // A valid token whose signature has '-' or '_' in it, so its standard-base64 form differs in the
  // alphabet: about 3 in 4 signatures do; 64 tries without one are odds of about 1 in 10^38.
  let token = ''
  for (let i = 0; i < 64 && !/[-_]/.test(token.slice(token.lastIndexOf('.') + 1)); i++) token = goodToken()
  const [h, p, s] = token.split('.') as [string, string, string]
  t.match(s, /[-_]/, 'a signature with a character outside the standard alphabet was found')
  t.equal((await call(srv, token)).status, 200, 'the token itself is valid')
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(s.slice(-1))
  const sameBytes = s.slice(0, -1) + alphabet[last ^ 1]
  t.same(Buffer.from(sameBytes, 'base64url'), Buffer.from(s, 'base64url'), 'the altered signature decodes to the same bytes')
  await refused(t, srv, `${h}.${p}.${sameBytes}`, 'spare bits of the signature altered')
  await refused(t, srv, `${h}.${p}.${s}=`, 'padded signature')
  const standard = Buffer.from(s, 'base64url').toString('base64')
  const unpadded = standard.replace(/=+$/, '')
  t.match(unpadded, /[+/]/, 'the standard-base64 signature uses \'+\' or \'/\'')
  t.not(unpadded, s, 'the standard-base64 signature differs from the base64url one')
  t.same(Buffer.from(unpadded, 'base64'), Buffer.from(s, 'base64url'), 'the standard-base64 signature decodes to the same bytes')
  await refused(t, srv, `${h}.${p}.${unpadded}`, 'signature in the standard alphabet, unpadded')
  await refused(t, srv, `${h}.${p}.${standard}`, 'signature in standard base64')
  // A payload segment with altered spare bits, correctly signed over exactly those characters:
  // its HMAC matches, and only the canonical-encoding check tells it from the original.
  let claims = goodClaims()
  for (let pad = ''; b64url(JSON.stringify(claims)).length % 4 === 0; pad += 'x') claims = goodClaims({ pad })
  const payload = b64url(JSON.stringify(claims))
  const alteredPayload = payload.slice(0, -1) + alphabet[alphabet.indexOf(payload.slice(-1)) ^ 1]
  t.same(Buffer.from(alteredPayload, 'base64url'), Buffer.from(payload, 'base64url'), 'the altered payload decodes to the same bytes')
  t.equal((await call(srv, `${h}.${payload}.${hs256(`${h}.${payload}`)}`)).status, 200, 'the same claims canonically encoded are valid')
  await refused(t, srv, `${h}.${alteredPayload}.${hs256(`${h}.${alteredPayload}`)}`, 'spare bits of the payload altered, signed over the altered text')
  // Segments in a non-canonical encoding, correctly signed over those exact bytes.
  let paddedHeader = ''
  for (let x = 1; !paddedHeader.endsWith('='); x *= 10) paddedHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', x })).toString('base64')
  const input = `${paddedHeader}.${p}`
  // '=' inside the value is outside the b64token grammar: the header itself is malformed (RFC 6750 §3.1).
  const padded = await call(srv, `${input}.${hs256(input)}`)
  t.equal(padded.status, 400, 'padded header segment: 400')
  t.equal(padded.challenge, 'Bearer realm="api", error="invalid_request"', 'padded header segment: invalid_request')
  const plus = goodClaims({ scope: '>>>?' })
  const encoded = Buffer.from(JSON.stringify(plus)).toString('base64').replace(/=+$/, '')
  t.match(encoded, /[+/]/, 'the payload in standard base64 uses \'+\' or \'/\'')
  const i2 = `${h}.${encoded}`
  await refused(t, srv, `${i2}.${hs256(i2)}`, 'payload in the standard alphabet')
})

t.test('undecodable, truncated and JWE-shaped tokens', async (t) => {
  const good = goodToken()
  const [h, p, s] = good.split('.') as [string, string, string]
  for (const [name, token] of [
    ['three garbage segments', 'abc.def.ghi'],
    ['empty objects', 'e30.e30.e30'],
    ['two segments', `${h}.${p}`],
    ['one segment', h],
    ['four segments', `${h}.${p}.${s}.${s}`],
    ['empty header', `.${p}.${s}`],
    ['empty payload', `${h}..${s}`],
    ['header not JSON', `${b64url('not json')}.${p}.${s}`],
    ['JWE-shaped (5 segments)', `${b64url(JSON.stringify({ alg: 'dir', enc: 'A256GCM', typ: 'at+jwt' }))}..${b64url('iv-iv-iv-iv')}.${b64url('ciphertext')}.${b64url('tag-tag-tag-tag')}`],
    ['JWE-shaped with RSA-OAEP', `${b64url(JSON.stringify({ alg: 'RSA-OAEP', enc: 'A128GCM' }))}.${s}.${s}.${s}.${s}`],
    ['dots only', '...'],
    ['tilde and plus in segments', `${h}~.${p}+.${s}`],
    ['huge token', `${h}.${'A'.repeat(6000)}.${s}`]
  ] as const) {
    await refused(t, srv, token, name)
  }
})

t.test('every invalid token gets one and the same answer (claims of failed tokens are never reported)', async (t) => {
  t.equal(bodies.size, 1, 'identical bodies across all attacks')
  const res = await call(srv, forge(HEADER, goodClaims({ exp: 1 }), { alg: 'HS256', key: 'wrong-key-wrong-key-wrong-key-wrong' }))
  t.equal(res.status, 401)
  t.ok(bodies.has(res.body), 'an expired token with a bad signature gets the same body as any other failure')
})
