/**
 * Signing and verification keys: reading a key from what an app has (PEM, DER, a JWK, a KeyObject,
 * an HS256 secret), pinning it to its one algorithm, naming it (`kid`), checking signatures with it
 * and publishing its public half as a JWK. Pure functions over node:crypto, no Fastify.
 */
import { createSigner } from 'fast-jwt'
import {
  createHash, createHmac, createPrivateKey, createPublicKey, createSecretKey, KeyObject, verify as cryptoVerify,
  type JsonWebKey as NodeJwk
} from 'node:crypto'

/**
 * The asymmetric algorithms a key can be pinned to.
 *
 * @example
 * ```ts
 * import type { AsymmetricAlgorithm, KeyInput } from 'fastify-password-bearer'
 *
 * const alg: AsymmetricAlgorithm = 'EdDSA'
 * const key: KeyInput = { privateKey: process.env.JWT_PRIVATE_KEY!, alg } // refused unless the key is Ed25519
 * ```
 */
export type AsymmetricAlgorithm = 'EdDSA' | 'ES256' | 'RS256'
/**
 * Every algorithm a key can be pinned to.
 *
 * @example
 * ```ts
 * import { createKeySet, type KeyAlgorithm } from 'fastify-password-bearer'
 *
 * const keys = createKeySet([{ secret: process.env.JWT_SECRET! }])
 * const algorithms: KeyAlgorithm[] = keys.list().map((key) => key.alg) // ['HS256']
 * ```
 */
export type KeyAlgorithm = 'HS256' | AsymmetricAlgorithm

/**
 * Key material: a PEM text (string or Buffer), DER bytes (Buffer: PKCS#8 or SPKI), a JWK (an object,
 * or its JSON text), or a node:crypto KeyObject.
 *
 * @example
 * ```ts
 * import { generateKeyPairSync } from 'node:crypto'
 * import type { KeyMaterial } from 'fastify-password-bearer'
 *
 * const { privateKey } = generateKeyPairSync('ed25519')
 * const asKeyObject: KeyMaterial = privateKey
 * const asPem: KeyMaterial = privateKey.export({ type: 'pkcs8', format: 'pem' })
 * const asJwk: KeyMaterial = privateKey.export({ format: 'jwk' })
 * ```
 */
export type KeyMaterial = string | Buffer | KeyObject | NodeJwk

/**
 * One key of a key set: a private key (signs; its public half verifies and is published in the
 * JWKS), a public key (verifies only), or an HS256 secret (signs and verifies; never published).
 * `kid` defaults to the RFC 7638 thumbprint of the public key (for a secret, a value derived from
 * it); `alg`, when given, must be the key's algorithm.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { createKeySet, type KeyInput } from 'fastify-password-bearer'
 *
 * const inputs: KeyInput[] = [
 *   { privateKey: readFileSync('/run/secrets/jwt-ed25519.pem'), kid: '2026-12' }, // signs (the first one)
 *   { publicKey: readFileSync('/run/secrets/jwt-2026-06.pub.pem'), kid: '2026-06' } // verifies only
 * ]
 * const keys = createKeySet(inputs)
 * ```
 */
export type KeyInput =
  | { privateKey: KeyMaterial, kid?: string, alg?: AsymmetricAlgorithm }
  | { publicKey: KeyMaterial, kid?: string, alg?: AsymmetricAlgorithm }
  | { secret: string | Buffer, kid?: string }

/**
 * A public key as the JWKS publishes it (RFC 7517): public members only.
 *
 * @example
 * ```ts
 * import { generateKeyPairSync } from 'node:crypto'
 * import { createKeySet, type PublicJwk } from 'fastify-password-bearer'
 *
 * const keys = createKeySet([{ privateKey: generateKeyPairSync('ed25519').privateKey }])
 * const published: PublicJwk[] = keys.jwks().keys // [{ kty: 'OKP', crv: 'Ed25519', x, use: 'sig', alg: 'EdDSA', kid }]
 * ```
 */
export interface PublicJwk {
  kty: 'OKP' | 'EC' | 'RSA'
  use: 'sig'
  alg: AsymmetricAlgorithm
  kid: string
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

/** A key ready to verify: its algorithm, id, signature check and the header of tokens it signs here. */
export interface VerificationKey {
  readonly kid: string
  readonly alg: KeyAlgorithm
  /** Whether `signature` (base64url) signs `input` under this key. Never throws. */
  readonly verify: (input: string, signature: string) => boolean
  /** The base64url header segment of a token this package signs with this key (`alg`, `typ`, `kid`). */
  readonly header: string
  /** The public JWK; undefined for an HS256 secret. */
  readonly jwk: PublicJwk | undefined
}

/** A key that can also sign. */
export interface SigningKey extends VerificationKey {
  readonly sign: (claims: Record<string, unknown>) => string
  /** Secret bytes other keys may be derived from (the HS256 secret, or the private key's PKCS#8 DER). */
  readonly material: Buffer
}

/** A key input that cannot be used: what is wrong with it (the key itself is never quoted). */
export class KeyInputError extends Error {
  constructor (readonly member: string, problem: string) {
    super(problem)
  }
}

export const TOKEN_TYPE = 'at+jwt'
export const MIN_SECRET_BYTES = 32
const MIN_RSA_BITS = 2048
const KID_PATTERN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/
// Members of each key type that a public JWK may carry, and those its RFC 7638 thumbprint hashes.
const PUBLIC_MEMBERS = { OKP: ['crv', 'x'], EC: ['crv', 'x', 'y'], RSA: ['e', 'n'] } as const

/** The base64url header segment of tokens signed with `alg` and `kid` (as fast-jwt writes it). */
export function headerSegment (alg: KeyAlgorithm, kid: string): string {
  return Buffer.from(JSON.stringify({ alg, typ: TOKEN_TYPE, kid })).toString('base64url')
}

/** Whether a kid is one this package accepts (printable ASCII without '"' or '\\', 1 to 128 characters). */
export function isKid (value: unknown): value is string {
  return typeof value === 'string' && KID_PATTERN.test(value)
}

/** The algorithm an asymmetric key is used with, or why it cannot be used. */
export function algorithmOf (key: KeyObject): AsymmetricAlgorithm | string {
  const type = key.asymmetricKeyType
  const details = key.asymmetricKeyDetails ?? {}
  if (type === 'ed25519') return 'EdDSA'
  if (type === 'ec') {
    return details.namedCurve === 'prime256v1' ? 'ES256' : `an EC key on ${details.namedCurve ?? 'an unknown curve'}; ES256 needs P-256 (prime256v1)`
  }
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0
    return bits >= MIN_RSA_BITS ? 'RS256' : `an RSA key of ${bits} bits; RS256 needs at least ${MIN_RSA_BITS}`
  }
  return `a key of type ${type ?? 'unknown'}; use Ed25519 (EdDSA), P-256 (ES256) or RSA of at least ${MIN_RSA_BITS} bits (RS256)`
}

function isAlgorithm (value: string): value is AsymmetricAlgorithm {
  return value === 'EdDSA' || value === 'ES256' || value === 'RS256'
}

function jwkOf (material: KeyMaterial): NodeJwk | undefined {
  if (typeof material === 'string' && material.trimStart().startsWith('{')) {
    try {
      return JSON.parse(material) as NodeJwk
    } catch {
      return undefined
    }
  }
  if (material !== null && typeof material === 'object' && !Buffer.isBuffer(material) && !isKeyObject(material)) return material
  return undefined
}

function isKeyObject (value: unknown): value is KeyObject {
  return value instanceof KeyObject
}

function isPem (value: string | Buffer): boolean {
  return (typeof value === 'string' ? value : value.subarray(0, 64).toString('latin1')).trimStart().startsWith('-----BEGIN')
}

/** A private KeyObject from any accepted material. */
function readPrivate (material: KeyMaterial): KeyObject {
  if (isKeyObject(material)) {
    if (material.type !== 'private') throw new Error(`a ${material.type} KeyObject`)
    return material
  }
  const jwk = jwkOf(material)
  if (jwk !== undefined) return createPrivateKey({ key: jwk, format: 'jwk' })
  if (typeof material === 'string' || isPem(material as Buffer)) return createPrivateKey(material as string | Buffer)
  return createPrivateKey({ key: material as Buffer, format: 'der', type: 'pkcs8' })
}

/** A public KeyObject from any accepted material; a private key is refused (pass it as `privateKey`). */
function readPublic (material: KeyMaterial): KeyObject {
  if (isKeyObject(material)) {
    if (material.type !== 'public') throw new Error(`a ${material.type} KeyObject; pass a private key as privateKey`)
    return material
  }
  const jwk = jwkOf(material)
  if (jwk !== undefined) {
    if ('d' in jwk) throw new Error('a private JWK; pass it as privateKey')
    return createPublicKey({ key: jwk, format: 'jwk' })
  }
  if (typeof material === 'string' || isPem(material as Buffer)) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(material.toString())) throw new Error('a private key PEM; pass it as privateKey')
    return createPublicKey(material as string | Buffer)
  }
  return createPublicKey({ key: material as Buffer, format: 'der', type: 'spki' })
}

/** The public JWK of a key: only the members of its type, with kid, alg and use. */
export function publicJwk (key: KeyObject, alg: AsymmetricAlgorithm, kid: string): PublicJwk {
  const exported = key.export({ format: 'jwk' }) as Record<string, string>
  const kty = exported.kty as PublicJwk['kty']
  const jwk: Record<string, string> = { kty, use: 'sig', alg, kid }
  for (const member of PUBLIC_MEMBERS[kty]) jwk[member] = exported[member] as string
  return jwk as unknown as PublicJwk
}

/** The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key. */
export function thumbprint (key: KeyObject): string {
  const exported = key.export({ format: 'jwk' }) as Record<string, string>
  const kty = exported.kty as PublicJwk['kty']
  // The required members in lexicographic order, no whitespace (RFC 7638 §3.2).
  const members: Record<string, string> = {}
  for (const member of [...PUBLIC_MEMBERS[kty], 'kty'].sort()) members[member] = exported[member] as string
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

/** Whether `signature` is the base64url of HMAC-SHA256(key, input), compared in constant time. */
function hs256Matches (key: KeyObject, input: string, signature: string): boolean {
  const expected = createHmac('sha256', key).update(input).digest('base64url')
  if (signature.length !== expected.length) return false
  let diff = 0
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ signature.charCodeAt(i)
  return diff === 0
}

/** The signature check of an asymmetric key: the signature's exact length first, then node:crypto. */
function asymmetricCheck (key: KeyObject, alg: AsymmetricAlgorithm): (input: string, signature: string) => boolean {
  // EdDSA and ES256 (IEEE P1363 r||s) signatures are 64 bytes; RS256 ones as long as the modulus.
  const bytes = alg === 'RS256' ? Math.ceil((key.asymmetricKeyDetails?.modulusLength as number) / 8) : 64
  const length = Math.ceil(bytes * 4 / 3)
  const digest = alg === 'EdDSA' ? null : 'sha256'
  const verifyKey = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  return (input, signature) => {
    if (signature.length !== length) return false
    try {
      return cryptoVerify(digest, Buffer.from(input, 'latin1'), verifyKey, Buffer.from(signature, 'base64url'))
    } catch {
      return false
    }
  }
}

/** A verification key for an asymmetric public key. */
export function asymmetricKey (publicKey: KeyObject, alg: AsymmetricAlgorithm, kid: string): VerificationKey {
  return { kid, alg, verify: asymmetricCheck(publicKey, alg), header: headerSegment(alg, kid), jwk: publicJwk(publicKey, alg, kid) }
}

function checkedKid (kid: unknown, fallback: () => string): string {
  if (kid === undefined) return fallback()
  if (!isKid(kid)) throw new KeyInputError('kid', 'expected 1 to 128 printable ASCII characters without spaces, \'"\' or \'\\\'')
  return kid
}

function checkedAlgorithm (key: KeyObject, alg: unknown, member: string): AsymmetricAlgorithm {
  const actual = algorithmOf(key)
  if (!isAlgorithm(actual)) throw new KeyInputError(member, `is ${actual}`)
  if (alg !== undefined && alg !== actual) {
    throw new KeyInputError('alg', `is ${JSON.stringify(alg)} but the key is a ${actual} key; give alg: '${actual}' or leave it out`)
  }
  return actual
}

function hs256Key (secret: string | Buffer, kid: unknown): SigningKey {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret)
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new KeyInputError('secret', `expected at least ${MIN_SECRET_BYTES} bytes for HS256, got ${bytes.length}; generate one with crypto.randomBytes(32)`)
  }
  // Derived, never the secret's plain hash: the same secret gives the same kid on every instance.
  const id = checkedKid(kid, () => createHmac('sha256', bytes).update('fastify-password-bearer/kid').digest().subarray(0, 16).toString('base64url'))
  const key = createSecretKey(bytes)
  const header = headerSegment('HS256', id)
  const signer = createSigner({ key: bytes, algorithm: 'HS256', header: { alg: 'HS256', typ: TOKEN_TYPE, kid: id } })
  return { kid: id, alg: 'HS256', header, jwk: undefined, material: bytes, verify: (input, signature) => hs256Matches(key, input, signature), sign: signer }
}

/**
 * Reads one key input. Throws {@link KeyInputError} naming the member that is wrong.
 *
 * @example readKey({ privateKey: pem }) // { kid: '<thumbprint>', alg: 'EdDSA', sign, verify, ... }
 */
export function readKey (input: KeyInput): VerificationKey | SigningKey {
  if (input === null || typeof input !== 'object') throw new KeyInputError('', 'expected { privateKey }, { publicKey } or { secret }')
  const given = ['privateKey', 'publicKey', 'secret'].filter((name) => name in input)
  if (given.length !== 1) throw new KeyInputError('', 'expected exactly one of privateKey, publicKey or secret')
  if ('secret' in input) {
    if (typeof input.secret !== 'string' && !Buffer.isBuffer(input.secret)) throw new KeyInputError('secret', 'expected a string or Buffer of at least 32 bytes')
    return hs256Key(input.secret, input.kid)
  }
  const member = given[0] as 'privateKey' | 'publicKey'
  const material = (input as Record<string, unknown>)[member] as KeyMaterial
  let key: KeyObject
  try {
    key = member === 'privateKey' ? readPrivate(material) : readPublic(material)
  } catch (err) {
    throw new KeyInputError(member, `could not be read as a ${member === 'privateKey' ? 'private' : 'public'} key (PEM, DER, JWK or KeyObject): ${(err as Error).message.split('\n')[0]}`)
  }
  const alg = checkedAlgorithm(key, input.alg, member)
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  const kid = checkedKid(input.kid, () => thumbprint(publicKey))
  const verification = asymmetricKey(publicKey, alg, kid)
  if (key.type !== 'private') return verification
  const pem = key.export({ type: 'pkcs8', format: 'pem' }) as string
  const signer = createSigner({ key: pem, algorithm: alg, header: { alg, typ: TOKEN_TYPE, kid } })
  return { ...verification, sign: signer, material: key.export({ type: 'pkcs8', format: 'der' }) }
}

/** Whether a key can sign. */
export function canSign (key: VerificationKey): key is SigningKey {
  return typeof (key as SigningKey).sign === 'function'
}
