// The token format on its own: what it signs, and every rule verify() applies.
import { createSigner } from 'fast-jwt'
import { createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { createAccessTokenFormat } from '../lib/access-token/format.js'

const secret = randomBytes(32)
const NOW = Math.floor(Date.now() / 1000) * 1000
const iat = NOW / 1000
const format = createAccessTokenFormat({ secret, issuer: 'iss', audience: 'aud', clockTolerance: 5, now: () => NOW })
const ISSUED = { sub: 'u1', iat, exp: iat + 900, jti: 'j1', client_id: 'c', scope: 'items:read', preferred_username: 'alice' }

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** A token signed with `key` from the exact header and payload given (objects or raw JSON text). */
function forge (header: unknown, payload: unknown, key: Buffer = secret): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}
const HEADER = { alg: 'HS256', typ: 'at+jwt' }
// The kid of an HS256 secret: derived from it, the same on every instance that shares it.
const KID = createHmac('sha256', secret).update('fastify-password-bearer/kid').digest().subarray(0, 16).toString('base64url')
const SIGNED_HEADER = { ...HEADER, kid: KID }
const CLAIMS = { iss: 'iss', aud: 'aud', ...ISSUED }

t.test('a signed token verifies, with iss and aud added, frozen claims and its expiry', async (t) => {
  const token = format.sign(ISSUED)
  t.strictSame(JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()), SIGNED_HEADER)
  const verified = format.verify(token)
  if (typeof verified !== 'object') throw new Error('not verified')
  t.same(verified.claims, CLAIMS)
  t.ok(Object.isFrozen(verified.claims))
  t.equal(verified.expiresAt, (iat + 900) * 1000 + 5000)
})

t.test('fast-jwt and this format agree on what a token is', async (t) => {
  const sign = createSigner({ key: secret, algorithm: 'HS256', header: HEADER })
  t.match(format.verify(sign(CLAIMS)), { claims: CLAIMS })
})

t.test('the signature decides first: another key, a tampered or truncated signature', async (t) => {
  const token = format.sign(ISSUED)
  t.equal(format.verify(forge(HEADER, CLAIMS, randomBytes(32))), undefined, 'another key')
  const i = token.lastIndexOf('.') + 5
  t.equal(format.verify(token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1)), undefined, 'tampered')
  t.equal(format.verify(token.slice(0, -2)), undefined, 'truncated')
})

t.test('a signature in a non-canonical base64url encoding of the right bytes is refused', async (t) => {
  const token = format.sign(ISSUED)
  // 32 bytes take 43 characters; the last one carries 2 unused bits, which a lenient decoder ignores.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const sibling = alphabet[alphabet.indexOf(token.at(-1) as string) ^ 1] as string
  const noncanonical = token.slice(0, -1) + sibling
  t.same(Buffer.from(noncanonical.split('.')[2] as string, 'base64url'), Buffer.from(token.split('.')[2] as string, 'base64url'))
  t.equal(format.verify(noncanonical), undefined)
})

t.test('shapes that are not three base64url segments are refused without throwing', async (t) => {
  for (const bad of ['', 'abc', 'a.b', 'a..c', '.b.c', 'a.b.', 'a.b.c.d', 'a+b.c.d', 'a.b.c=', 'a.b/c.d']) {
    t.equal(format.verify(bad), undefined, JSON.stringify(bad))
  }
})

t.test('header rules: HS256 only, typ at+jwt, no crit, JSON objects only', async (t) => {
  t.ok(format.verify(forge({ alg: 'HS256', typ: 'application/AT+JWT' }, CLAIMS)), 'typ in its media-type form, any case')
  const refused: Array<[string, unknown]> = [
    ['alg none', { alg: 'none', typ: 'at+jwt' }],
    ['alg HS512', { alg: 'HS512', typ: 'at+jwt' }],
    ['no alg', { typ: 'at+jwt' }],
    ['typ JWT', { alg: 'HS256', typ: 'JWT' }],
    ['no typ', { alg: 'HS256' }],
    ['crit', { ...HEADER, crit: ['x'], x: 1 }],
    ['an array', [HEADER]],
    ['not JSON', '{"alg":"HS256"']
  ]
  for (const [what, header] of refused) t.equal(format.verify(forge(header, CLAIMS)), undefined, what)
})

t.test('claim rules: required claims, issuer, audience, times, sub, jti and scope types', async (t) => {
  t.ok(format.verify(forge(HEADER, { ...CLAIMS, aud: ['other', 'aud'] })), 'aud as an array holding ours')
  t.ok(format.verify(forge(HEADER, { ...CLAIMS, exp: iat - 5 })), 'expired within the clock tolerance')
  t.ok(format.verify(forge(HEADER, { ...CLAIMS, nbf: iat + 5 })), 'not yet valid within the tolerance')
  const { scope: _scope, client_id: _client, preferred_username: _name, ...minimal } = CLAIMS
  t.ok(format.verify(forge(HEADER, minimal)), 'scope, client_id and preferred_username are optional')
  for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'jti']) {
    const { [claim]: _gone, ...rest } = CLAIMS as Record<string, unknown>
    t.equal(format.verify(forge(HEADER, rest)), undefined, `no ${claim}`)
  }
  const refused: Array<[string, Record<string, unknown>]> = [
    ['another issuer', { iss: 'other' }],
    ['another audience', { aud: 'other' }],
    ['an audience list without ours', { aud: ['other'] }],
    ['an audience list with a non-string', { aud: ['aud', 1] }],
    ['exp a string', { exp: String(iat + 900) }],
    ['not yet valid', { nbf: iat + 6 }],
    ['iat a string', { iat: String(iat) }],
    ['empty sub', { sub: '' }],
    ['jti a number', { jti: 1 }],
    ['scope an array', { scope: ['items:read'] }]
  ]
  for (const [what, change] of refused) t.equal(format.verify(forge(HEADER, { ...CLAIMS, ...change })), undefined, what)
  t.equal(format.verify(forge(HEADER, '[1]')), undefined, 'a payload that is not an object')
  t.equal(format.verify(forge(HEADER, { ...CLAIMS, exp: iat - 6 })), 'expired', 'a token of ours past its exp is told apart')
  t.equal(format.verify(forge(HEADER, { ...CLAIMS, exp: iat - 6, iss: 'other' })), undefined, 'expired and foreign: refused outright')
  t.equal(format.verify(forge(HEADER, { ...CLAIMS, exp: iat - 6 }, randomBytes(32))), undefined, 'expired and forged: refused outright')
})

t.test('deriveKey gives one stable key per purpose, apart from the signing key', async (t) => {
  const again = createAccessTokenFormat({ secret, issuer: 'x', audience: 'y', clockTolerance: 0 })
  t.same(format.deriveKey('a'), again.deriveKey('a'))
  t.notSame(format.deriveKey('a'), format.deriveKey('b'))
  t.notSame(format.deriveKey('a'), secret)
  t.equal(format.deriveKey('a').length, 32)
})

t.test('the header of a signed token is the one a fast path recognises, and any other is decoded and checked', async (t) => {
  const signed = format.sign(ISSUED).split('.')[0]
  t.equal(signed, b64(SIGNED_HEADER))
  t.ok(format.verify(forge(HEADER, CLAIMS)), 'a token without a kid (from a version before kids) still verifies')
  t.ok(format.verify(forge({ kid: KID, typ: 'at+jwt', alg: 'HS256' }, CLAIMS)), 'the same members in another order, with the kid')
  t.ok(format.verify(forge({ typ: 'at+jwt', alg: 'HS256' }, CLAIMS)), 'the same members in another order')
  t.equal(format.verify(forge({ alg: 'HS256', typ: 'at+jwt', crit: ['b64'], b64: true }, CLAIMS)), undefined)
})
