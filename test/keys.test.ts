// Keys on their own (lib/access-token/keys.ts, key-set.ts): reading every accepted form, pinning each
// key to its one algorithm, kids (RFC 7638 thumbprints), the public JWKS, and rotation in a key set.
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import t from 'tap'
import { createKeySet, KeySetError } from '../lib/index.js'
import { readKey, thumbprint, type KeyInput } from '../lib/access-token/keys.js'
import { localKeysOf } from '../lib/access-token/key-set.js'

const ed = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']

function pem (key: KeyObject): string {
  return key.export(key.type === 'private' ? { type: 'pkcs8', format: 'pem' } : { type: 'spki', format: 'pem' }) as string
}

t.test('a private key reads from PEM, DER, a JWK object, JWK text or a KeyObject, and signs what its public half verifies', async (t) => {
  for (const [name, pair, alg] of [['Ed25519', ed, 'EdDSA'], ['P-256', ec, 'ES256'], ['RSA', rsa, 'RS256']] as const) {
    const forms: KeyInput[] = [
      { privateKey: pair.privateKey },
      { privateKey: pem(pair.privateKey) },
      { privateKey: Buffer.from(pem(pair.privateKey)) },
      { privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'der' }) },
      { privateKey: pair.privateKey.export({ format: 'jwk' }) },
      { privateKey: JSON.stringify(pair.privateKey.export({ format: 'jwk' })) }
    ]
    const kids = new Set<string>()
    for (const form of forms) {
      const key = readKey(form)
      t.equal(key.alg, alg, `${name}: pinned to ${alg}`)
      kids.add(key.kid)
      if (!('sign' in key)) throw new Error('a private key must sign')
      const token = key.sign({ sub: 'x' })
      const [header, payload, signature] = token.split('.') as [string, string, string]
      t.equal(header, key.header, `${name}: fast-jwt writes the header the key expects`)
      const verifier = readKey({ publicKey: pem(pair.publicKey) })
      t.ok(verifier.verify(`${header}.${payload}`, signature), `${name}: the public key verifies it`)
      t.notOk(verifier.verify(`${header}.${payload}x`, signature), `${name}: not another input`)
    }
    t.equal(kids.size, 1, `${name}: every form gets the same thumbprint kid`)
    t.equal([...kids][0], thumbprint(pair.publicKey))
  }
})

t.test('a public key reads from PEM, DER, a JWK or a KeyObject, and never signs', async (t) => {
  for (const form of [pem(ec.publicKey), ec.publicKey.export({ type: 'spki', format: 'der' }), ec.publicKey.export({ format: 'jwk' }), ec.publicKey]) {
    const key = readKey({ publicKey: form })
    t.equal(key.alg, 'ES256')
    t.notOk('sign' in key)
  }
  const rsaPkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string
  t.equal(readKey({ publicKey: rsaPkcs1 }).alg, 'RS256', 'an RSA PUBLIC KEY (PKCS#1) PEM')
})

t.test('the RFC 7638 thumbprint of the RFC\'s own example key', async (t) => {
  const n = '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw'
  const key = createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' })
  t.equal(thumbprint(key), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
})

t.test('a public JWK carries kid, alg and use, and no private member', async (t) => {
  for (const pair of [ed, ec, rsa]) {
    const { jwk } = readKey({ privateKey: pair.privateKey, kid: 'k1' })
    t.match(jwk, { kid: 'k1', use: 'sig' })
    for (const name of PRIVATE_MEMBERS) t.notOk(name in (jwk as object), `no ${name}`)
  }
  t.equal(readKey({ secret: randomBytes(32) }).jwk, undefined, 'a secret has none')
})

t.test('keys that cannot be used are refused, naming the member and never quoting the key', async (t) => {
  const cases: Array<[string, KeyInput, string, RegExp]> = [
    ['P-384', { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey }, 'privateKey', /P-256/],
    ['secp256k1', { publicKey: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey }, 'publicKey', /P-256/],
    ['RSA 1024', { privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey }, 'privateKey', /at least 2048/],
    ['Ed448', { privateKey: generateKeyPairSync('ed448').privateKey }, 'privateKey', /Ed25519/],
    ['alg of another key type', { privateKey: ed.privateKey, alg: 'ES256' }, 'alg', /EdDSA/],
    ['a kid with a quote', { privateKey: ed.privateKey, kid: 'a"b' }, 'kid', /printable/],
    ['an empty kid', { secret: randomBytes(32), kid: '' }, 'kid', /printable/],
    ['a public key as privateKey', { privateKey: pem(ed.publicKey) }, 'privateKey', /could not be read/],
    ['a public KeyObject as privateKey', { privateKey: ed.publicKey }, 'privateKey', /public KeyObject/],
    ['a private PEM as publicKey', { publicKey: pem(ed.privateKey) }, 'publicKey', /pass it as privateKey/],
    ['a private JWK as publicKey', { publicKey: ed.privateKey.export({ format: 'jwk' }) }, 'publicKey', /pass it as privateKey/],
    ['a private KeyObject as publicKey', { publicKey: ed.privateKey }, 'publicKey', /pass a private key as privateKey/],
    ['garbage text', { privateKey: 'not a key' }, 'privateKey', /could not be read/],
    ['garbage JSON', { publicKey: '{"kty":' }, 'publicKey', /could not be read/],
    ['garbage DER', { publicKey: randomBytes(40) }, 'publicKey', /could not be read/],
    ['a short secret', { secret: 'short' }, 'secret', /at least 32 bytes/],
    ['a secret of another type', { secret: 42 as unknown as string }, 'secret', /string or Buffer/],
    ['two kinds at once', { secret: randomBytes(32), privateKey: ed.privateKey } as unknown as KeyInput, '', /exactly one/],
    ['no key at all', {} as KeyInput, '', /exactly one/],
    ['not an object', null as unknown as KeyInput, '', /expected/]
  ]
  for (const [name, input, member, message] of cases) {
    try {
      readKey(input)
      t.fail(`${name}: accepted`)
    } catch (err) {
      t.match(err, { member, message }, name)
      t.notMatch((err as Error).message, /BEGIN|MII/, `${name}: no key text in the message`)
    }
  }
})

t.test('a key set: the first key signs, add/use/rotate/remove change it at run time', async (t) => {
  const set = createKeySet([{ privateKey: ed.privateKey, kid: 'one' }])
  t.same(set.current, { kid: 'one', alg: 'EdDSA', canSign: true, current: true })
  t.same(set.add({ privateKey: ec.privateKey, kid: 'two' }), { kid: 'two', alg: 'ES256', canSign: true, current: false })
  t.equal(set.current?.kid, 'one', 'an added key does not sign yet')
  set.use('two')
  t.equal(set.current?.kid, 'two')
  t.same(set.rotate({ privateKey: rsa.privateKey, kid: 'three' }), { kid: 'three', alg: 'RS256', canSign: true, current: true })
  t.same(set.list().map((k) => [k.kid, k.current]), [['one', false], ['two', false], ['three', true]])
  t.same(set.jwks().keys.map((k) => k.kid), ['one', 'two', 'three'])
  set.remove('one')
  t.same(set.jwks().keys.map((k) => k.kid), ['two', 'three'])
  set.add({ publicKey: ed.publicKey, kid: 'verify-only' })
  t.equal(set.current?.kid, 'three')

  const refused: Array<[string, () => unknown, RegExp]> = [
    ['a duplicate kid', () => set.add({ privateKey: ed.privateKey, kid: 'two' }), /already in the set/],
    ['removing the current key', () => { set.remove('three') }, /use\(\) another key/],
    ['removing an unknown kid', () => { set.remove('nope') }, /no key with kid "nope"/],
    ['using an unknown kid', () => { set.use('nope') }, /add it first/],
    ['using a public key', () => { set.use('verify-only') }, /cannot sign/],
    ['rotating to a public key', () => set.rotate({ publicKey: ec.publicKey, kid: 'p' }), /cannot sign/],
    ['adding a key that cannot be read', () => set.add({ privateKey: 'nope' }), /add\(\): privateKey could not be read/],
    ['an empty list', () => createKeySet([]), /non-empty array/],
    ['a list with one bad key', () => createKeySet([{ privateKey: ed.privateKey }, { publicKey: 'x' }]), /keys\[1\]: publicKey/],
    ['a list with a kid twice', () => createKeySet([{ privateKey: ed.privateKey, kid: 'a' }, { privateKey: ec.privateKey, kid: 'a' }]), /keys\[1\]: the kid "a" is already taken/]
  ]
  for (const [name, fn, message] of refused) {
    t.throws(fn, { code: 'FST_PWB_KEY_SET', message }, name)
    try { fn() } catch (err) { t.ok(err instanceof KeySetError, `${name}: a KeySetError`) }
  }
  t.same(set.list().map((k) => k.kid), ['two', 'three', 'verify-only'], 'a refused change leaves the set as it was')
})

t.test('a set of public keys has no current key; a secret signs but is never published', async (t) => {
  t.equal(createKeySet([{ publicKey: ed.publicKey }]).current, undefined)
  const set = createKeySet([{ secret: randomBytes(32), kid: 'hs' }, { privateKey: ed.privateKey, kid: 'ed' }])
  t.equal(set.current?.alg, 'HS256')
  t.same(set.jwks().keys.map((k) => k.kid), ['ed'])
  t.equal(localKeysOf({}), undefined, 'an object that is no key set')
  t.equal(localKeysOf(null), undefined)
})
