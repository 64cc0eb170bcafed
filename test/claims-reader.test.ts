import { createSigner, createVerifier } from 'fast-jwt'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createClaimsReader, LruCache } from '../lib/resource/claims-reader.js'

const secret = randomBytes(32)
const sign = createSigner({ key: secret, algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt' } })
const strict = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['sub', 'exp', 'jti'], clockTolerance: 5000 })
const NOW = Math.floor(Date.now() / 1000) * 1000 // the verifier reads the real clock

function token (claims: Record<string, unknown> = {}): string {
  const iat = Math.floor(NOW / 1000)
  return sign({ sub: 'u1', jti: 'j1', scope: 'items:read', iat, exp: iat + 900, ...claims })
}

/** A reader around the real verifier that counts how often the verifier runs. */
function counted (options: { cacheSize?: number, hs256Key?: Buffer | undefined, now?: () => number } = {}) {
  const calls = { verify: 0 }
  const read = createClaimsReader({
    verify: (t) => { calls.verify++; return strict(t) },
    cacheSize: options.cacheSize ?? 10,
    clockTolerance: 5,
    hs256Key: 'hs256Key' in options ? options.hs256Key : secret,
    now: options.now ?? (() => NOW)
  })
  return { read, calls }
}

function tamperSignature (jwt: string): string {
  const i = jwt.lastIndexOf('.') + 5
  return jwt.slice(0, i) + (jwt[i] === 'A' ? 'B' : 'A') + jwt.slice(i + 1)
}

t.test('a valid token is verified once, then answered from the cache', async (t) => {
  const { read, calls } = counted()
  const jwt = token()
  t.match(read(jwt), { sub: 'u1', jti: 'j1', scope: 'items:read' })
  t.match(read(jwt), { sub: 'u1' })
  t.equal(calls.verify, 1)
  t.equal(read.cache?.size, 1)
})

t.test('a cached token is refused once its exp plus the clock tolerance has passed', async (t) => {
  let now = NOW
  const { read } = counted({ now: () => now })
  const jwt = token()
  t.ok(read(jwt))
  now = NOW + 900_000 + 5000
  t.ok(read(jwt), 'still inside the tolerance')
  now += 1
  t.equal(read(jwt), undefined)
  t.equal(read.cache?.size, 0, 'the expired entry is dropped')
})

t.test('a bad HS256 signature is refused without running the verifier or throwing', async (t) => {
  const { read, calls } = counted()
  t.equal(read(tamperSignature(token())), undefined)
  t.equal(read(token().slice(0, -2)), undefined, 'truncated signature')
  const other = createSigner({ key: randomBytes(32), algorithm: 'HS256' })
  t.equal(read(other({ sub: 'u1', jti: 'j1', exp: Math.floor(NOW / 1000) + 60 })), undefined, 'another key')
  t.equal(calls.verify, 0)
  t.equal(read.cache?.size, 0, 'forged tokens are never cached')
  t.equal(read.refused?.size, 0)
  t.equal(read(tamperSignature(token())), undefined, 'a replay is refused again')
})

t.test('a spray of forged tokens evicts no verified token', async (t) => {
  const { read, calls } = counted({ cacheSize: 4 })
  const good = token()
  t.ok(read(good))
  for (let i = 0; i < 100; i++) t.equal(read(tamperSignature(token({ jti: `spray-${i}` }))), undefined)
  t.ok(read(good))
  t.equal(calls.verify, 1, 'the good token is still answered from the cache')
})

t.test('expired tokens are remembered, boundedly, and refused again', async (t) => {
  const { read, calls } = counted({ cacheSize: 4 })
  const iat = Math.floor(NOW / 1000) - 3600
  for (let i = 0; i < 10; i++) t.equal(read(token({ iat, exp: iat + 900, jti: `old-${i}` })), undefined)
  t.equal(read.refused?.size, 4)
  t.equal(read(token({ iat, exp: iat + 900, jti: 'old-9' })), undefined)
  t.equal(calls.verify, 0)
})

t.test('a signature in a non-canonical base64url encoding of the right bytes is refused', async (t) => {
  const { read, calls } = counted()
  const jwt = token()
  // 32 bytes take 43 characters; the last one carries 2 unused bits, which a lenient decoder ignores.
  const last = jwt.at(-1) as string
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string
  const noncanonical = jwt.slice(0, -1) + sibling
  t.same(Buffer.from(noncanonical.slice(noncanonical.lastIndexOf('.') + 1), 'base64url'), Buffer.from(jwt.slice(jwt.lastIndexOf('.') + 1), 'base64url'))
  t.equal(read(noncanonical), undefined)
  t.equal(calls.verify, 0)
})

t.test('an expired token with a good signature is refused without running the verifier', async (t) => {
  const { read, calls } = counted()
  const iat = Math.floor(NOW / 1000) - 3600
  t.equal(read(token({ iat, exp: iat + 900 })), undefined)
  t.equal(calls.verify, 0)
  t.equal(read.refused?.size, 1)
})

t.test('tokens that are not three base64url segments are refused without running the verifier', async (t) => {
  const { read, calls } = counted()
  for (const bad of ['abc', 'a.b', 'a..c', '.b.c', 'a.b.', 'a.b.c.d', 'a+b.c.d', 'a.b.c=', 'a.b/c.d']) {
    t.equal(read(bad), undefined, bad)
  }
  t.equal(calls.verify, 0)
})

t.test('the verifier stays the judge: a well-signed token it refuses is refused and not cached', async (t) => {
  const { read, calls } = counted()
  const noJti = sign({ sub: 'u1', exp: Math.floor(NOW / 1000) + 60 })
  t.equal(read(noJti), undefined)
  t.equal(read(noJti), undefined)
  t.equal(calls.verify, 2)
  t.equal(read.cache?.size, 0)
  t.equal(read.refused?.size, 0, 'only the pre-checks\' refusals, which are final, are remembered')
})

t.test('claims without the access-token shape are refused', async (t) => {
  const { read } = counted()
  t.equal(read(token({ sub: '' })), undefined, 'empty sub')
  t.equal(read(token({ scope: ['a'] })), undefined, 'scope not a string')
})

t.test('without an HS256 key every token goes to the verifier, which refuses a bad signature', async (t) => {
  const { read, calls } = counted({ hs256Key: undefined })
  t.equal(read(tamperSignature(token())), undefined)
  t.equal(calls.verify, 1)
})

t.test('verifyCacheSize 0 verifies every time and keeps nothing', async (t) => {
  const { read, calls } = counted({ cacheSize: 0 })
  const jwt = token()
  t.ok(read(jwt))
  t.ok(read(jwt))
  t.equal(calls.verify, 2)
  t.equal(read.cache, undefined)
  t.equal(read.refused, undefined)
})

t.test('the cache never holds more than its size and forgets the least recently used first', async (t) => {
  const { read, calls } = counted({ cacheSize: 3 })
  const tokens = ['a', 'b', 'c', 'd'].map((jti) => token({ jti }))
  const [a, b, c, d] = tokens as [string, string, string, string]
  read(a); read(b); read(c)
  read(a) // a is now the most recent
  read(d) // evicts b
  t.equal(read.cache?.size, 3)
  const before = calls.verify
  read(a); read(c); read(d)
  t.equal(calls.verify, before, 'a, c and d are still cached')
  read(b)
  t.equal(calls.verify, before + 1, 'b was evicted')
  t.equal(read.cache?.size, 3)
})

t.test('LruCache keeps its bound under many distinct keys', async (t) => {
  const cache = new LruCache<number>(100)
  for (let i = 0; i < 10_000; i++) cache.set(String(i), i)
  t.equal(cache.size, 100)
  t.equal(cache.get('9999'), 9999)
  t.equal(cache.get('0'), undefined)
})

t.test('a replayed forged token stays refused, and the good token sharing its slot is still accepted', async (t) => {
  const { read, calls } = counted()
  const good = token()
  const forged = tamperSignature(good) // same last two characters: the same slot as the good token
  for (let i = 0; i < 5; i++) t.equal(read(forged), undefined, `replay ${i}`)
  t.match(read(good), { sub: 'u1' }, 'the real token is not refused by the remembered forgery')
  t.equal(read(forged), undefined)
  t.equal(calls.verify, 1, 'only the good token reached the verifier')
})

t.test('forged tokens with every slot taken never refuse a good token or reach the verifier', async (t) => {
  const { read, calls } = counted({ cacheSize: 2 })
  const good = token()
  const dot = good.lastIndexOf('.') + 1
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  for (let i = 0; i < 500; i++) {
    let tail = ''
    for (let j = dot; j < good.length; j++) tail += alphabet[(i * 7 + j * 13) % 64]
    t.equal(read(good.slice(0, dot) + tail), undefined)
  }
  t.equal(calls.verify, 0)
  t.ok(read(good))
  t.equal(read.cache?.size, 1)
  t.equal(read.refused?.size, 0)
})

t.test('LruCache keeps an entry that is hit often while others come and go', async (t) => {
  const cache = new LruCache<number>(10)
  cache.set('hot', 1)
  for (let i = 0; i < 1000; i++) {
    cache.set(String(i), i)
    t.equal(cache.get('hot'), 1)
  }
  t.equal(cache.size, 10)
})

t.test('a token that reuses a cached token\'s signature with another payload is refused and leaves the cached one alone', async (t) => {
  const { read, calls } = counted()
  const good = token()
  t.ok(read(good))
  const [header, , signature] = good.split('.') as [string, string, string]
  const payload = Buffer.from(JSON.stringify({ sub: 'admin', jti: 'j1', scope: 'items:read', exp: Math.floor(NOW / 1000) + 900 })).toString('base64url')
  const spliced = `${header}.${payload}.${signature}`
  t.equal(read(spliced), undefined)
  t.equal(read(spliced), undefined, 'and again')
  t.match(read(good), { sub: 'u1' })
  t.equal(calls.verify, 1)
  t.equal(read.cache?.size, 1)
})
