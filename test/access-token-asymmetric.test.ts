// The token format with asymmetric keys: what it signs verifies under fast-jwt and jose too, what
// they sign it verifies, and the verdicts of a key set that changes (unknown kid, removed key).
import { createVerifier } from 'fast-jwt'
import { generateKeyPairSync } from 'node:crypto'
import { importJWK, jwtVerify, SignJWT } from 'jose'
import t from 'tap'
import { createAccessTokenFormat } from '../lib/access-token/format.js'
import { localKeysOf, type LocalKeys } from '../lib/access-token/key-set.js'
import { createKeySet } from '../lib/index.js'
import { createTokenReader } from '../lib/resource/verified-tokens.js'

const NOW = Math.floor(Date.now() / 1000) * 1000
const iat = NOW / 1000
const ISSUED = { sub: 'u1', iat, exp: iat + 900, jti: 'j1', client_id: 'c', scope: 'items:read', preferred_username: 'alice' }
const PAIRS = {
  EdDSA: generateKeyPairSync('ed25519'),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 })
} as const

function formatOf (set: ReturnType<typeof createKeySet>) {
  return createAccessTokenFormat({ keys: localKeysOf(set) as LocalKeys, issuer: 'iss', audience: 'aud', clockTolerance: 5, now: () => NOW })
}

t.test('each algorithm: signed here, verified here, by fast-jwt and by jose; and the other way round', async (t) => {
  for (const [alg, pair] of Object.entries(PAIRS) as Array<[keyof typeof PAIRS, (typeof PAIRS)[keyof typeof PAIRS]]>) {
    const set = createKeySet([{ privateKey: pair.privateKey, kid: alg }])
    const format = formatOf(set)
    const token = format.sign(ISSUED)
    t.match(format.verify(token), { claims: { sub: 'u1', iss: 'iss', aud: 'aud' } }, `${alg}: verifies here`)
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string
    t.match(createVerifier({ key: pem, algorithms: [alg], clockTimestamp: NOW })(token), { sub: 'u1' }, `${alg}: fast-jwt verifies it`)
    const jwk = set.jwks().keys[0] as unknown as Record<string, unknown>
    const { payload, protectedHeader } = await jwtVerify(token, await importJWK(jwk, alg), { currentDate: new Date(NOW), typ: 'at+jwt' })
    t.equal(payload.sub, 'u1', `${alg}: jose verifies it with the published JWK`)
    t.same(protectedHeader, { alg, typ: 'at+jwt', kid: alg })

    const fromJose = await new SignJWT({ iss: 'iss', aud: 'aud', sub: 'u2', iat, exp: iat + 60, jti: 'j' })
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: alg })
      .sign(pair.privateKey)
    t.match(format.verify(fromJose), { claims: { sub: 'u2' } }, `${alg}: a token jose signed verifies here`)
  }
})

t.test('a kid the set does not hold is "unknown-key"; a removed key\'s tokens are refused, cached or not', async (t) => {
  const set = createKeySet([{ privateKey: PAIRS.EdDSA.privateKey, kid: 'a' }])
  const format = formatOf(set)
  const old = format.sign(ISSUED)
  set.rotate({ privateKey: PAIRS.ES256.privateKey, kid: 'b' })
  const fresh = format.sign(ISSUED)
  t.ok(typeof format.verify(old) === 'object', 'the previous key still verifies')

  const other = formatOf(createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey, kid: 'z' }]))
  t.equal(format.verify(other.sign(ISSUED)), 'unknown-key')

  const read = createTokenReader(format, 10, () => NOW, localKeysOf(set))
  t.ok(read(old), 'cached')
  set.remove('a')
  t.equal(read(old), undefined, 'refused from the cache once its key is gone')
  t.equal(format.verify(old), 'unknown-key')
  t.ok(read(fresh))
})

t.test('signatures of the wrong length are refused before any cryptography', async (t) => {
  for (const [alg, pair] of Object.entries(PAIRS)) {
    const format = formatOf(createKeySet([{ privateKey: pair.privateKey, kid: alg }]))
    const token = format.sign(ISSUED)
    t.equal(format.verify(token.slice(0, -4)), undefined, `${alg}: shorter`)
    t.equal(format.verify(token + 'AAAA'), undefined, `${alg}: longer`)
  }
})

t.test('deriveKey comes from the secret when one is given, else from the signing key at creation', async (t) => {
  const set = createKeySet([{ privateKey: PAIRS.EdDSA.privateKey, kid: 'a' }])
  const keys = localKeysOf(set) as LocalKeys
  const a = createAccessTokenFormat({ keys, issuer: 'i', audience: 'a', clockTolerance: 0 })
  const again = createAccessTokenFormat({ keys: localKeysOf(createKeySet([{ privateKey: PAIRS.EdDSA.privateKey, kid: 'other-kid' }])) as LocalKeys, issuer: 'i', audience: 'a', clockTolerance: 0 })
  t.same(a.deriveKey('x'), again.deriveKey('x'), 'the same private key derives the same, whatever its kid')
  set.rotate({ privateKey: PAIRS.ES256.privateKey })
  t.same(a.deriveKey('x'), again.deriveKey('x'), 'a rotation at run time does not change it')
  const secret = 's'.repeat(32)
  const withSecret = createAccessTokenFormat({ keys, secret, issuer: 'i', audience: 'a', clockTolerance: 0 })
  const hs = createAccessTokenFormat({ secret, issuer: 'i', audience: 'a', clockTolerance: 0 })
  t.same(withSecret.deriveKey('x'), hs.deriveKey('x'), 'with a secret, the same as an HS256 app with that secret')
  t.throws(() => createAccessTokenFormat({ keys: localKeysOf(createKeySet([{ publicKey: PAIRS.EdDSA.publicKey }])) as LocalKeys, issuer: 'i', audience: 'a', clockTolerance: 0 }), /no key that signs/)
  t.throws(() => createAccessTokenFormat({ issuer: 'i', audience: 'a', clockTolerance: 0 }), /secret or a key set/)
})
