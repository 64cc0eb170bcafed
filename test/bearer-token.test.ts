import t from 'tap'
import { buildChallenge, parseAuthorization, quoteString } from '../lib/resource/bearer-token.js'

t.test('parseAuthorization accepts the Bearer scheme in any case with one or more spaces', async (t) => {
  t.same(parseAuthorization('Bearer abc.def.ghi'), { kind: 'token', token: 'abc.def.ghi' })
  t.same(parseAuthorization('bearer abc'), { kind: 'token', token: 'abc' })
  t.same(parseAuthorization('BEARER    a-b_c~d+e/f=='), { kind: 'token', token: 'a-b_c~d+e/f==' })
})

t.test('parseAuthorization treats a missing header or another scheme as no credentials', async (t) => {
  t.same(parseAuthorization(undefined), { kind: 'none' })
  t.same(parseAuthorization(''), { kind: 'none' })
  t.same(parseAuthorization('Basic Og=='), { kind: 'none' })
  t.same(parseAuthorization('Bearerabc'), { kind: 'none' })
  t.same(parseAuthorization('Token abc'), { kind: 'none' })
})

t.test('parseAuthorization refuses what the b64token grammar does not allow', async (t) => {
  for (const value of ['Bearer', 'Bearer ', 'Bearer\tabc', 'Bearer abc def', 'Bearer abc\t', 'Bearer a=b', 'Bearer abc,', 'Bearer "abc"', 'Bearer ===']) {
    t.same(parseAuthorization(value), { kind: 'malformed' }, JSON.stringify(value))
  }
})

t.test('quoteString escapes quotes and backslashes and drops control characters', async (t) => {
  t.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"')
  t.equal(quoteString('a\nb\x00c\x7f'), '"abc"')
  t.equal(quoteString('tab\there'), '"tab\there"')
})

t.test('buildChallenge lists only the attributes given, in RFC 6750 order', async (t) => {
  t.equal(buildChallenge({ realm: 'api' }), 'Bearer realm="api"')
  t.equal(buildChallenge({ realm: 'api', error: 'insufficient_scope', scope: 'a b' }),
    'Bearer realm="api", error="insufficient_scope", scope="a b"')
  t.equal(buildChallenge({ realm: 'my "api"', error: 'invalid_token', errorDescription: 'bad' }),
    'Bearer realm="my \\"api\\"", error="invalid_token", error_description="bad"')
})
