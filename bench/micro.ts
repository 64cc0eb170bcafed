/**
 * The token check alone, in one process, without HTTP: what one call costs in our claims reader
 * and in fast-jwt, for each kind of token; and the check of a first-seen EdDSA, ES256 and RS256
 * token (no cache anywhere) here, in fast-jwt and in jose. Much steadier than the HTTP numbers on a
 * shared machine. Run by bench/run.ts (answers over IPC) or alone: `npx tsx bench/micro.ts`.
 */
import { createVerifier } from 'fast-jwt'
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto'
import { importJWK, jwtVerify } from 'jose'
import { decodeObject } from '../lib/access-token/compact.js'
import { createAccessTokenFormat, type IssuedClaims } from '../lib/access-token/format.js'
import { localKeysOf, type LocalKeys } from '../lib/access-token/key-set.js'
import { createKeySet } from '../lib/index.js'
import { createAuthenticators } from '../lib/resource/hooks.js'
import { createTokenReader } from '../lib/resource/verified-tokens.js'
import { Deadlines } from '../lib/stores/deadlines.js'
import { handWrittenCheck } from './hand-written-check.js'

export interface MicroResult {
  name: string
  nsPerCall: number
}

// Each request brings a new string object: copy the token so no hash is reused between calls.
const fresh = (s: string): string => (' ' + s).slice(1)

/** Nanoseconds per call of `fn`, after a fifth of the calls as warm-up. */
function perCall (fn: () => unknown, iterations: number): number {
  for (let k = 0; k < iterations / 5; k++) fn()
  const start = process.hrtime.bigint()
  for (let k = 0; k < iterations; k++) fn()
  return Number(process.hrtime.bigint() - start) / iterations
}

async function perCallAsync (fn: () => Promise<unknown>, iterations: number): Promise<number> {
  for (let k = 0; k < iterations / 5; k++) await fn()
  const start = process.hrtime.bigint()
  for (let k = 0; k < iterations; k++) await fn()
  return Number(process.hrtime.bigint() - start) / iterations
}

const ASYMMETRIC: Array<[alg: 'EdDSA' | 'ES256' | 'RS256', key: () => KeyObject]> = [
  ['EdDSA', () => generateKeyPairSync('ed25519').privateKey],
  ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
  ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey]
]

/**
 * A first-seen asymmetric token (nothing cached): our verifier, fast-jwt's without its cache, and
 * jose's jwtVerify with the key imported once from the published JWK.
 */
async function firstSeen (claims: IssuedClaims, iterations: number): Promise<MicroResult[]> {
  const results: MicroResult[] = []
  for (const [alg, privateKey] of ASYMMETRIC) {
    const set = createKeySet([{ privateKey: privateKey() }])
    const format = createAccessTokenFormat({ keys: localKeysOf(set) as LocalKeys, issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 5 })
    const token = format.sign(claims)
    const jwk = set.jwks().keys[0] as unknown as Record<string, unknown>
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
    const fastJwt = createVerifier({ key: pem, algorithms: [alg], allowedIss: 'fastify-password-bearer', allowedAud: 'fastify-password-bearer', checkTyp: 'at+jwt' })
    const joseKey = await importJWK(jwk, alg)
    const read = createTokenReader(format, 0)
    results.push({ name: `first-seen ${alg}: ours`, nsPerCall: perCall(() => read(fresh(token)), iterations) })
    results.push({ name: `first-seen ${alg}: fast-jwt`, nsPerCall: perCall(() => fastJwt(fresh(token)), iterations) })
    results.push({
      name: `first-seen ${alg}: jose`,
      nsPerCall: await perCallAsync(async () => await jwtVerify(fresh(token), joseKey, { issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', typ: 'at+jwt' }), iterations)
    })
  }
  return results
}

export async function runMicro (iterations: number): Promise<MicroResult[]> {
  const secret = randomBytes(32)
  // The plugin's verifier options, with and without fast-jwt's own cache.
  const options = {
    key: secret,
    algorithms: ['HS256' as const],
    allowedIss: 'fastify-password-bearer',
    allowedAud: 'fastify-password-bearer',
    checkTyp: 'at+jwt',
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
    clockTolerance: 5000
  }
  const verify = createVerifier(options)
  const verifyCached = createVerifier({ ...options, cache: 1000 })
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    iss: 'fastify-password-bearer',
    sub: 'u1',
    aud: 'fastify-password-bearer',
    iat: now,
    exp: now + 900,
    jti: randomBytes(16).toString('base64url'),
    client_id: 'fastify-password-bearer',
    scope: 'items:read',
    preferred_username: 'alice'
  }
  // Signed as the token route signs (the HS256 key's kid in the header).
  const format = createAccessTokenFormat({ secret, issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 5 })
  const { iss, aud, ...issued } = claims
  const good = format.sign(issued)
  const expired = format.sign({ ...issued, iat: now - 3600, exp: now - 2700 })
  const i = good.lastIndexOf('.') + 10
  const bad = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1)
  const read = createTokenReader(format, 1000)
  const readNoCache = createTokenReader(format, 0)

  // The whole `authenticate` route hook (query check, Authorization parsing, the reader, the user
  // from the claims, the no-store headers, done()) as a preHandler runs it, with a request carrying
  // the token as Node hands it over and a reply that keeps its headers by lower-case name, as
  // Fastify's does: the cost the hook adds to a request with a valid cached token.
  const { authenticate } = createAuthenticators({
    realm: 'bench',
    knownScopes: new Set(['items:read']),
    loadUser: undefined,
    readToken: read,
    deadlines: new Deadlines(5000),
    userProperty: 'currentUser',
    claimsProperty: 'accessToken'
  })
  const log = { debug () {}, info () {}, error () {} }
  const newReply = () => {
    const headers: Record<string, unknown> = {}
    return {
      hasHeader: (name: string) => headers[name.toLowerCase()] !== undefined,
      getHeader: (name: string) => headers[name.toLowerCase()],
      header (name: string, value: unknown) { headers[name.toLowerCase()] = value; return this }
    }
  }
  const done = (): void => {}
  const request = () => {
    const authorization = fresh(`Bearer ${good}`)
    return {
      url: '/resource',
      query: {},
      headers: { host: '127.0.0.1', authorization },
      raw: { rawHeaders: ['Host', '127.0.0.1', 'User-Agent', 'wrk', 'Authorization', authorization] },
      log,
      currentUser: null,
      accessToken: null
    }
  }
  const hook = authenticate as unknown as (request: unknown, reply: unknown, done: () => void) => void
  const swallow = (fn: () => unknown) => () => { try { fn() } catch { /* refused */ } }
  const cases: Array<[string, () => unknown]> = [
    ['ours: valid token, cached', () => read(fresh(good))],
    ['ours: the authenticate hook, valid token, cached', () => { hook(request(), newReply(), done) }],
    ['ours: valid token, verifyCacheSize 0', () => readNoCache(fresh(good))],
    ['ours: bad signature', () => read(fresh(bad))],
    ['ours: expired', () => read(fresh(expired))],
    ['fast-jwt: valid token, its cache', () => verifyCached(fresh(good))],
    ['fast-jwt: valid token, no cache', () => verify(fresh(good))],
    ['fast-jwt: bad signature (throws)', swallow(() => verify(fresh(bad)))],
    ['fast-jwt: bad signature, its error cache', swallow(() => verifyCached(fresh(bad)))],
    ['fast-jwt: expired (throws)', swallow(() => verify(fresh(expired)))]
  ]
  // The HTTP "10,000 distinct valid tokens" row without HTTP: tokens sent round-robin, so nearly
  // every one is first-seen; beside the hand-written HMAC check that row compares with.
  const many = Array.from({ length: 10_000 }, (_, i) => format.sign({ ...issued, sub: `u${i}`, jti: randomBytes(16).toString('base64url') }))
  let next = 0
  const nextToken = (): string => fresh(many[next++ % many.length] as string)
  const payload = good.split('.')[1] as string
  cases.push(
    ['ours: a payload decoded (base64url, JSON, duplicate names)', () => decodeObject(fresh(payload))],
    ['ours: 10,000 distinct tokens, verifyCacheSize 1000', () => read(nextToken())],
    ['bare HMAC + JSON.parse: 10,000 distinct tokens', () => handWrittenCheck(secret, nextToken())]
  )
  const symmetric = cases.map(([name, fn]) => ({ name, nsPerCall: perCall(fn, iterations) }))
  // A signature check costs 20 to 200 times an HMAC: fewer calls for the same time.
  return [...symmetric, ...await firstSeen(issued, Math.max(50, Math.floor(iterations / 20)))]
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const results = await runMicro(Number(process.argv[2] ?? '100000'))
  if (process.send !== undefined) {
    process.send({ type: 'micro', results }, () => process.exit(0))
  } else {
    for (const r of results) console.log(`${r.name.padEnd(60)} ${(r.nsPerCall / 1000).toFixed(2).padStart(7)} µs`)
  }
}
