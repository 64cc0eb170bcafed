// Attacks on asymmetric keys over real HTTP: the key-confusion attack with every text form of our
// public keys, alg none under our kid, an algorithm swapped between our keys, and headers that point
// at keys elsewhere (jku, x5u, jwk, x5c) or extensions (crit) on tokens our own private key signed.
// Every one is 401 invalid_token, and no key URL is ever fetched.
import { createServer } from 'node:http'
import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import t, { type Test } from 'tap'
import { createKeySet } from '../../lib/index.js'
import { b64url, forge, goodClaims, listen, type Listening } from './helpers.js'

const ed = generateKeyPairSync('ed25519')
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const keys = createKeySet([
  { privateKey: ed.privateKey, kid: 'ed' },
  { privateKey: ec.privateKey, kid: 'ec' },
  { privateKey: rsa.privateKey, kid: 'rsa' }
])
const PAIRS: Array<[kid: string, alg: 'EdDSA' | 'ES256' | 'RS256', pair: { publicKey: KeyObject, privateKey: KeyObject }]> =
  [['ed', 'EdDSA', ed], ['ec', 'ES256', ec], ['rsa', 'RS256', rsa]]

/** A token signed with a real private key, over exactly the header given. */
function signWith (alg: 'EdDSA' | 'ES256' | 'RS256', privateKey: KeyObject, header: Record<string, unknown>, claims = goodClaims()): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`
  const signature = alg === 'EdDSA'
    ? cryptoSign(null, Buffer.from(input), privateKey)
    : cryptoSign('sha256', Buffer.from(input), alg === 'ES256' ? { key: privateKey, dsaEncoding: 'ieee-p1363' } : privateKey)
  return `${input}.${signature.toString('base64url')}`
}

/** Every text form an attacker may find our public key in: PEM (with and without its last newline, CRLF), DER, JWK JSON. */
function publicForms (key: KeyObject, kid: string, alg: string): Array<[string, string | Buffer]> {
  const pem = key.export({ type: 'spki', format: 'pem' }) as string
  const jwk = key.export({ format: 'jwk' })
  const forms: Array<[string, string | Buffer]> = [
    ['PEM', pem],
    ['PEM without its final newline', pem.trimEnd()],
    ['PEM with CRLF', pem.replace(/\n/g, '\r\n')],
    ['DER', key.export({ type: 'spki', format: 'der' })],
    ['JWK JSON', JSON.stringify(jwk)],
    ['JWK JSON as the JWKS publishes it', JSON.stringify({ ...jwk, kid, alg, use: 'sig' })]
  ]
  if (key.asymmetricKeyType === 'rsa') forms.push(['PKCS#1 PEM', key.export({ type: 'pkcs1', format: 'pem' }) as string])
  return forms
}

let srv: Listening
let keyHits = 0
const keyServer = createServer((_req, res) => { keyHits++; res.end('{"keys":[]}') })
let keyUrl = ''

t.before(async () => {
  srv = await listen(t, { secret: undefined, keys })
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve))
  const address = keyServer.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  keyUrl = `http://127.0.0.1:${address.port}/jwks.json`
})
t.teardown(() => { keyServer.close() })

async function status (token: string): Promise<{ status: number, challenge: string | null, code: string }> {
  const res = await fetch(`${srv.base}/me`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, challenge: res.headers.get('www-authenticate'), code: ((await res.json()) as { code: string }).code }
}

async function refused (t: Test, token: string, name: string): Promise<void> {
  t.same(await status(token), { status: 401, challenge: 'Bearer realm="api", error="invalid_token"', code: 'FST_PWB_INVALID_TOKEN' }, name)
}

t.test('the baseline: each of our keys signs a token the app accepts', async (t) => {
  for (const [kid, alg, pair] of PAIRS) {
    t.equal((await status(signWith(alg, pair.privateKey, { alg, typ: 'at+jwt', kid }))).status, 200, alg)
  }
})

t.test('key confusion: HS256 "signed" with our public key, in every form, with or without our kid', async (t) => {
  for (const [kid, alg, pair] of PAIRS) {
    for (const [form, text] of publicForms(pair.publicKey, kid, alg)) {
      await refused(t, forge({ alg: 'HS256', typ: 'at+jwt', kid }, goodClaims(), { alg: 'HS256', key: text }), `${alg} key as ${form}, with its kid`)
      await refused(t, forge({ alg: 'HS256', typ: 'at+jwt' }, goodClaims(), { alg: 'HS256', key: text }), `${alg} key as ${form}, no kid`)
    }
  }
})

t.test('alg none in any spelling under our kid', async (t) => {
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = forge({ alg, typ: 'at+jwt', kid: 'ed' }, goodClaims(), { signature: '' })
    await refused(t, unsigned, `${alg}, empty signature`)
    await refused(t, unsigned.slice(0, -1), `${alg}, no last dot`)
    const real = signWith('EdDSA', ed.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed' })
    await refused(t, `${forge({ alg, typ: 'at+jwt', kid: 'ed' }, goodClaims(), { signature: '' })}${real.split('.')[2] as string}`, `${alg} with a real signature`)
  }
})

t.test('each key is pinned to its algorithm: another alg under its kid is refused', async (t) => {
  await refused(t, signWith('ES256', ec.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'ed' }), 'ES256 under the EdDSA kid')
  await refused(t, signWith('RS256', rsa.privateKey, { alg: 'RS256', typ: 'at+jwt', kid: 'ec' }), 'RS256 under the ES256 kid')
  await refused(t, signWith('RS256', rsa.privateKey, { alg: 'PS256', typ: 'at+jwt', kid: 'rsa' }), 'PS256 under the RS256 kid')
  await refused(t, signWith('EdDSA', ed.privateKey, { alg: 'Ed25519', typ: 'at+jwt', kid: 'ed' }), 'the alg spelled Ed25519')
  const attacker = generateKeyPairSync('ed25519')
  await refused(t, signWith('EdDSA', attacker.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed' }), 'another Ed25519 key under our kid')
  await refused(t, signWith('EdDSA', attacker.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 'attacker' }), 'an unknown kid')
  await refused(t, signWith('EdDSA', ed.privateKey, { alg: 'EdDSA', typ: 'at+jwt' }), 'our key, but no kid')
  await refused(t, signWith('EdDSA', ed.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 7 }), 'a kid that is not a string')
})

t.test('jku, x5u, jwk, x5c and crit are refused even on tokens our private key signed, and never fetched', async (t) => {
  const attacker = generateKeyPairSync('ed25519')
  const headers: Array<[string, Record<string, unknown>]> = [
    ['jku', { jku: keyUrl }],
    ['x5u', { x5u: keyUrl }],
    ['jwk (our own public key)', { jwk: ed.publicKey.export({ format: 'jwk' }) }],
    ['x5c', { x5c: ['MIIB'] }],
    ['crit', { crit: ['exp'] }],
    ['crit empty', { crit: [] }]
  ]
  for (const [name, extra] of headers) {
    await refused(t, signWith('EdDSA', ed.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed', ...extra }), name)
  }
  await refused(t, signWith('EdDSA', attacker.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 'x', jwk: attacker.publicKey.export({ format: 'jwk' }) }), 'an attacker\'s key in jwk')
  await refused(t, signWith('EdDSA', attacker.privateKey, { alg: 'EdDSA', typ: 'at+jwt', kid: 'x', jku: keyUrl }), 'an attacker\'s kid and jku')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(keyHits, 0, 'the key URL got no request')
})
