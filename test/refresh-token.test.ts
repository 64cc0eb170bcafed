// The refresh token's layout: opaque base64url, 256 random bits, only its hash leaves this module.
import t from 'tap'
import { hashRefreshToken, newFamilyId, newRefreshToken, parseRefreshToken, REFRESH_TOKEN_LENGTH, shardKey } from '../lib/sessions/refresh-token.js'

t.test('a new token is base64url text that parses back to its shard key, family and hash', async (t) => {
  const family = newFamilyId()
  const { token, ref } = newRefreshToken(shardKey('u1'), family)
  t.match(token, /^[A-Za-z0-9_-]+$/)
  t.equal(token.length, REFRESH_TOKEN_LENGTH)
  t.same(parseRefreshToken(token), ref)
  t.same(ref, { shard: shardKey('u1'), family, hash: hashRefreshToken(token) })
  t.equal(Buffer.from(token.slice(-43), 'base64url').length, 32, '256 random bits after the two public parts')
  t.notOk(ref.hash.includes(token.slice(-43)))
})

t.test('tokens of one family differ, and so do their hashes', async (t) => {
  const family = newFamilyId()
  const seen = new Set<string>()
  for (let i = 0; i < 100; i++) seen.add(newRefreshToken('AAAAAAAA', family).ref.hash)
  t.equal(seen.size, 100)
})

t.test('a user\'s shard key is stable, and 8 base64url characters', async (t) => {
  t.equal(shardKey('u1'), shardKey('u1'))
  t.not(shardKey('u1'), shardKey('u2'))
  t.match(shardKey('ü-λ'), /^[A-Za-z0-9_-]{8}$/)
})

t.test('anything not shaped like our token does not parse', async (t) => {
  const { token } = newRefreshToken(shardKey('u1'), newFamilyId())
  for (const bad of ['', token.slice(1), token + 'A', token.slice(1) + '=', token.slice(1) + '.', token.slice(1) + '+', 'x'.repeat(10_000)]) {
    t.equal(parseRefreshToken(bad), undefined, JSON.stringify(bad.slice(0, 20)))
  }
})
