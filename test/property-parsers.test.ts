// Property-based tests (fast-check) of the pure parsers: the Authorization header parser, the
// canonical-JWS check and the token-request parser.
import fc from 'fast-check'
import t from 'tap'
import { isCanonicalJws } from '../lib/access-token/compact.js'
import { parseAuthorization } from '../lib/resource/bearer-token.js'
import { OAuthError, TOKEN_ERRORS } from '../lib/errors.js'
import type { Grant } from '../lib/endpoint/grants/grant.js'
import { parsePasswordRequest, type PasswordRequest } from '../lib/endpoint/grants/password.js'
import { parseTokenRequest as parseRequest } from '../lib/endpoint/request.js'

const B64TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'
const b64token = fc.tuple(
  fc.string({ unit: fc.constantFrom(...B64TOKEN_CHARS), minLength: 1, maxLength: 200 }),
  fc.nat({ max: 3 })
).map(([body, pad]) => body + '='.repeat(pad))
const scheme = fc.constantFrom('bearer', 'Bearer', 'BEARER', 'bEaReR')
const spaces = fc.integer({ min: 1, max: 5 }).map((n) => ' '.repeat(n))
const RFC6749_DESCRIPTION = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/
const LIMITS = { usernameMaxLength: 64, passwordMaxLength: 128 }
// The token route's parsing with the password grant alone: what it parsed, or the OAuthError it threw.
const password: Grant<PasswordRequest> = {
  type: 'password',
  params: ['username', 'password'],
  parse: (params) => parsePasswordRequest(params, LIMITS),
  handle: async () => { throw new Error('not called') }
}
const GRANTS = new Map([['password', password]])
const parseTokenRequest = (body: unknown, authorization: string | undefined): PasswordRequest =>
  parseRequest(body, authorization, GRANTS, 'api').parsed

t.test('parseAuthorization: every valid b64token parses back exactly, whatever the scheme case and spaces', async (t) => {
  fc.assert(fc.property(scheme, spaces, b64token, (s, sp, token) => {
    const parsed = parseAuthorization(s + sp + token)
    return parsed.kind === 'token' && parsed.token === token
  }), { numRuns: 2000 })
  t.pass('property held')
})

t.test('parseAuthorization: arbitrary strings never throw and give one of the three kinds', async (t) => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom(...'Bearr \t=.,"\\\u0000') })), (header) => {
    const parsed = parseAuthorization(header)
    return ['none', 'malformed', 'token'].includes(parsed.kind)
  }), { numRuns: 3000 })
  t.pass('property held')
})

t.test('parseAuthorization: a token result is always a b64token with nothing around it', async (t) => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'Bearer b\t =.+/~_-aZ9,;"'), maxLength: 30 }), (header) => {
    const parsed = parseAuthorization(header)
    if (parsed.kind !== 'token') return true
    return /^[A-Za-z0-9\-._~+/]+=*$/.test(parsed.token) && header.toLowerCase().startsWith('bearer ') && header.endsWith(parsed.token)
  }), { numRuns: 3000 })
  t.pass('property held')
})

t.test('parseAuthorization: a tab, a second word or a character outside b64token makes the header malformed', async (t) => {
  const bad = fc.constantFrom('\t', ' x', ',', ';', '"', '\\', '!', '=a', '\u00e9')
  fc.assert(fc.property(scheme, b64token, bad, (s, token, junk) => {
    return parseAuthorization(`${s} ${token}${junk}`).kind === 'malformed'
  }), { numRuns: 1000 })
  t.pass('property held')
})

t.test('isCanonicalJws: the base64url of any bytes is canonical; altering its unused bits is not', async (t) => {
  const segment = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64url'))
  fc.assert(fc.property(segment, segment, segment, (h, p, s) => isCanonicalJws(`${h}.${p}.${s}`)), { numRuns: 2000 })
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  fc.assert(fc.property(segment.filter((s) => s.length % 4 !== 0), fc.integer({ min: 1, max: 15 }), (s, flip) => {
    const unused = s.length % 4 === 2 ? 4 : 2
    const bits = flip % (1 << unused)
    if (bits === 0) return true
    const altered = s.slice(0, -1) + alphabet[alphabet.indexOf(s.slice(-1)) ^ bits]
    return !isCanonicalJws(`e30.e30.${altered}`) && Buffer.from(altered, 'base64url').equals(Buffer.from(s, 'base64url'))
  }), { numRuns: 2000 })
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => typeof isCanonicalJws(s) === 'boolean'), { numRuns: 2000 })
  t.pass('properties held')
})

// Bodies as a form parser could produce them: strings, arrays of strings (repeated keys), nested
// objects (bracketed keys), and odd prototypes.
const value = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom('password', 'alice', 'items:read', '', ' ', '\u0000', 'a'.repeat(200)),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  fc.constantFrom(undefined, null, 1, true)
)
const key = fc.constantFrom('grant_type', 'username', 'password', 'scope', 'client_id', 'client_secret', '__proto__', 'constructor', 'x')
const body = fc.oneof(
  fc.dictionary(key, value, { maxKeys: 7 }),
  fc.record({ grant_type: fc.constant('password'), username: value, password: value }, { requiredKeys: [] }),
  fc.record({ grant_type: fc.constant('password'), username: fc.string({ minLength: 1, maxLength: 70 }), password: fc.string({ minLength: 1, maxLength: 140 }), scope: fc.string({ maxLength: 40 }) }, { requiredKeys: ['grant_type', 'username', 'password'] }),
  fc.anything()
)
const authorization = fc.option(fc.oneof(
  fc.constant('Basic Og=='),
  fc.string({ maxLength: 40 }).map((s) => 'Basic ' + s),
  fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => 'Basic ' + Buffer.from(`${a}:${b}`).toString('base64')),
  fc.string({ maxLength: 40 })
), { nil: undefined })

t.test('parseTokenRequest: random bodies yield a TokenRequest or an OAuthError with an RFC code and charset', async (t) => {
  let accepted = 0
  fc.assert(fc.property(body, authorization, (b, auth) => {
    let result
    try {
      result = parseTokenRequest(b, auth)
    } catch (err) {
      return err instanceof OAuthError &&
        Object.hasOwn(TOKEN_ERRORS, err.error) &&
        err.statusCode === TOKEN_ERRORS[err.error] &&
        RFC6749_DESCRIPTION.test(err.message) &&
        Object.values(err.headers).every((v) => /^[\x20-\x7e]*$/.test(v))
    }
    accepted++
    return typeof result.username === 'string' && result.username.length > 0 && result.username.length <= LIMITS.usernameMaxLength &&
      // eslint-disable-next-line no-control-regex
      !/[\x00-\x1f\x7f]/.test(result.username) &&
      typeof result.password === 'string' && result.password.length > 0 && result.password.length <= LIMITS.passwordMaxLength &&
      (result.scope === null || (Array.isArray(result.scope) && result.scope.length > 0 && result.scope.every((s) => typeof s === 'string' && s.length > 0)))
  }), { numRuns: 5000 })
  t.ok(accepted > 100, `valid requests were generated too (${accepted})`)
})

t.test('parseTokenRequest: a well-formed request round-trips its username and password exactly', async (t) => {
  // eslint-disable-next-line no-control-regex
  const username = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !/[\x00-\x1f\x7f]/.test(s))
  const password = fc.string({ minLength: 1, maxLength: 128, unit: 'grapheme' }).filter((s) => s.length <= 128)
  fc.assert(fc.property(username, password, (u, p) => {
    const parsed = parseTokenRequest(Object.assign(Object.create(null), { grant_type: 'password', username: u, password: p }), undefined)
    return parsed.username === u && parsed.password === p && parsed.scope === null
  }), { numRuns: 2000 })
  t.pass('property held')
})

t.test('parseTokenRequest: a repeated parameter (an array) is always invalid_request', async (t) => {
  fc.assert(fc.property(fc.constantFrom('grant_type', 'username', 'password', 'scope'), fc.array(fc.string(), { minLength: 2, maxLength: 4 }), (name, values) => {
    const b: Record<string, unknown> = { grant_type: 'password', username: 'alice', password: 'secret', [name]: values }
    try {
      parseTokenRequest(b, undefined)
      return false
    } catch (err) {
      return err instanceof OAuthError && err.error === 'invalid_request'
    }
  }), { numRuns: 500 })
  t.pass('property held')
})
