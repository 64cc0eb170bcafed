// The verified-token cache in front of the token format.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createAccessTokenFormat } from '../lib/access-token/format.js'
import { createTokenReader, KEYS_UNAVAILABLE, LruCache, NOT_B64TOKEN } from '../lib/resource/verified-tokens.js'

const NOW = Math.floor(Date.now() / 1000) * 1000
const format = createAccessTokenFormat({ secret: randomBytes(32), issuer: 'iss', audience: 'aud', clockTolerance: 5, now: () => NOW })

function token (claims: Record<string, unknown> = {}): string {
  const iat = NOW / 1000
  return format.sign({ sub: 'u1', iat, exp: iat + 900, jti: 'j1', client_id: 'c', scope: 'items:read', preferred_username: 'a', ...claims })
}

/** A reader over the real format that counts how often the format verifies. */
function counted (cacheSize = 10, now: () => number = () => NOW) {
  const calls = { verify: 0 }
  const read = createTokenReader({ verify: (jwt) => { calls.verify++; return format.verify(jwt) } }, cacheSize, now)
  return { read, calls }
}

function tamperSignature (jwt: string): string {
  const i = jwt.lastIndexOf('.') + 5
  return jwt.slice(0, i) + (jwt[i] === 'A' ? 'B' : 'A') + jwt.slice(i + 1)
}

/** Reads each token twice: the second verification admits it to the cache. */
function admit (read: (jwt: string) => unknown, ...jwts: string[]): void {
  for (const jwt of jwts) { read(jwt); read(jwt) }
}

t.test('a valid token is verified on its first two reads, then answered from the cache', async (t) => {
  const { read, calls } = counted()
  const jwt = token()
  t.match(read(jwt), { sub: 'u1', jti: 'j1', scope: 'items:read' })
  t.match(read(jwt), { sub: 'u1' })
  t.equal(calls.verify, 2)
  for (let i = 0; i < 5; i++) t.match(read(jwt), { sub: 'u1' })
  t.equal(calls.verify, 2, 'then from the cache')
})

t.test('with more live tokens than the cache holds, tokens read once are not cached and evict nothing', async (t) => {
  const { read, calls } = counted(4)
  const steady = token({ jti: 'steady' })
  admit(read, steady)
  for (let i = 0; i < 100; i++) t.match(read(token({ jti: `once-${i}` })), { sub: 'u1' })
  t.equal(calls.verify, 102, 'each read once: verified')
  t.ok(read(steady))
  t.equal(calls.verify, 102, 'the steady client\'s token is still answered from the cache')
})

t.test('a refused token that is not a b64token is told apart (400, not 401), with or without the cache', async (t) => {
  for (const size of [10, 0]) {
    const { read } = counted(size)
    for (const bad of ['abc def', 'a.b.c!', '=abc', 'abc=def', 'ab\u00e9', `${token()} `]) t.equal(read(bad), NOT_B64TOKEN, `${JSON.stringify(bad)}, cache ${size}`)
    for (const b64 of ['abc', 'a.b.c', 'a~b+c/d==', tamperSignature(token()), token({ iat: NOW / 1000 - 3600, exp: NOW / 1000 - 60 })]) {
      t.equal(read(b64), undefined, `a b64token that does not verify is an invalid token: ${b64.slice(0, 12)}, cache ${size}`)
    }
    t.match(read(token()), { sub: 'u1' }, `a good token still reads, cache ${size}`)
  }
})

t.test('a cached token is refused once its exp plus the clock tolerance has passed', async (t) => {
  let now = NOW
  const { read, calls } = counted(10, () => now)
  const jwt = token()
  admit(read, jwt)
  now = NOW + 900_000 + 5000
  t.ok(read(jwt), 'still inside the tolerance')
  t.equal(calls.verify, 2)
  now += 1
  t.equal(read(jwt), undefined)
})

t.test('refused tokens are never cached: each costs a verification, and a spray evicts no good token', async (t) => {
  const { read, calls } = counted(4)
  const good = token()
  admit(read, good)
  for (let i = 0; i < 100; i++) {
    const forged = tamperSignature(token({ jti: `spray-${i}` }))
    t.equal(read(forged), undefined)
    t.equal(read(forged), undefined)
  }
  t.equal(calls.verify, 202)
  t.ok(read(good))
  t.equal(calls.verify, 202, 'the good token is still answered from the cache')
})

t.test('a token that reuses a cached token\'s signature with another payload is refused and leaves the cached one alone', async (t) => {
  const { read, calls } = counted()
  const good = token()
  admit(read, good)
  const [header, , signature] = good.split('.') as [string, string, string]
  const payload = Buffer.from(JSON.stringify({ sub: 'admin', jti: 'j1', scope: 'items:read', exp: NOW / 1000 + 900 })).toString('base64url')
  const spliced = `${header}.${payload}.${signature}`
  t.equal(read(spliced), undefined)
  t.equal(read(spliced), undefined, 'and again')
  t.match(read(good), { sub: 'u1' })
  t.equal(calls.verify, 4, 'the spliced token went to the format both times')
})

t.test('a token of ours that arrives expired is verified twice, then refused from the cache', async (t) => {
  const { read, calls } = counted()
  const iat = NOW / 1000 - 3600
  const stale = token({ iat, exp: iat + 900 })
  for (let i = 0; i < 5; i++) t.equal(read(stale), undefined)
  t.equal(calls.verify, 2)
})

t.test('a token that expires while cached stays refused without another verification', async (t) => {
  let now = NOW
  const { read, calls } = counted(10, () => now)
  const jwt = token()
  admit(read, jwt)
  now = NOW + 900_000 + 5001
  t.equal(read(jwt), undefined)
  t.equal(read(jwt), undefined)
  t.equal(calls.verify, 2)
})

t.test('verifyCacheSize 0 verifies every time', async (t) => {
  const { read, calls } = counted(0)
  const jwt = token()
  t.ok(read(jwt))
  t.ok(read(jwt))
  t.equal(calls.verify, 2)
})

t.test('the cache forgets the least recently used token first', async (t) => {
  const { read, calls } = counted(3)
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((jti) => token({ jti })) as [string, string, string, string]
  admit(read, a, b, c)
  read(a) // a is now the most recent
  admit(read, d) // evicts b
  const before = calls.verify
  read(a); read(c); read(d)
  t.equal(calls.verify, before, 'a, c and d are still cached')
  read(b)
  t.equal(calls.verify, before + 1, 'b was evicted')
})

t.test('LruCache keeps its bound under many distinct keys', async (t) => {
  const cache = new LruCache<number>(100)
  for (let i = 0; i < 10_000; i++) cache.set(String(i), i)
  t.equal(cache.size, 100)
  t.equal(cache.get('9999'), 9999)
  t.equal(cache.get('0'), undefined)
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

t.test('a token of an unknown kid: refused at once, or read again after the key set fetched its keys', async (t) => {
  let hasKeys = false
  let wait: Promise<void> | 'refuse' | 'unavailable' = 'refuse'
  const keys = { onRemoved: () => {}, awaitKey: () => wait, get hasKeys () { return hasKeys } }
  let known = false
  const verifier = { verify: (jwt: string) => (known ? format.verify(jwt) : 'unknown-key' as const) }
  for (const size of [0, 10]) {
    known = false
    wait = 'refuse'
    const read = createTokenReader(verifier, size, () => NOW, keys)
    t.equal(read(token()), undefined, `cache ${size}: refused during the cooldown`)
    wait = 'unavailable'
    t.equal(read(token()), KEYS_UNAVAILABLE, `cache ${size}: no keys ever`)
    wait = Promise.resolve()
    t.equal(await read(token()), KEYS_UNAVAILABLE, `cache ${size}: fetched, still no keys`)
    hasKeys = true
    t.equal(await read(token()), undefined, `cache ${size}: fetched, still unknown`)
    const pending = read(token())
    known = true
    t.match(await pending, { sub: 'u1' }, `cache ${size}: fetched, now known`)
    hasKeys = false
  }
  known = false
  t.equal(createTokenReader(verifier, 10, () => NOW)(token()), undefined, 'without a set that fetches, refused at once')
})
