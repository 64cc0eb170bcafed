/**
 * The token check alone, in one process, without HTTP: what one call costs in our claims reader
 * and in fast-jwt, for each kind of token. Much steadier than the HTTP numbers on a shared machine.
 * Run by bench/run.ts (answers over IPC) or alone: `npx tsx bench/micro.ts`.
 */
import { createSigner, createVerifier } from 'fast-jwt'
import { randomBytes } from 'node:crypto'
import { createAccessTokenFormat } from '../lib/access-token/format.js'
import { createTokenReader } from '../lib/resource/verified-tokens.js'

export interface MicroResult {
  name: string
  nsPerCall: number
}

export function runMicro (iterations: number): MicroResult[] {
  const secret = randomBytes(32)
  const sign = createSigner({ key: secret, algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt' } })
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
  const good = sign(claims)
  const expired = sign({ ...claims, iat: now - 3600, exp: now - 2700 })
  const i = good.lastIndexOf('.') + 10
  const bad = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1)
  const format = createAccessTokenFormat({ secret, issuer: 'fastify-password-bearer', audience: 'fastify-password-bearer', clockTolerance: 5 })
  const read = createTokenReader(format, 1000)
  const readNoCache = createTokenReader(format, 0)

  // Each request brings a new string object: copy the token so no hash is reused between calls.
  const fresh = (s: string): string => (' ' + s).slice(1)
  const swallow = (fn: () => unknown) => () => { try { fn() } catch { /* refused */ } }
  const cases: Array<[string, () => unknown]> = [
    ['ours: valid token, cached', () => read(fresh(good))],
    ['ours: valid token, verifyCacheSize 0', () => readNoCache(fresh(good))],
    ['ours: bad signature', () => read(fresh(bad))],
    ['ours: expired', () => read(fresh(expired))],
    ['fast-jwt: valid token, its cache', () => verifyCached(fresh(good))],
    ['fast-jwt: valid token, no cache', () => verify(fresh(good))],
    ['fast-jwt: bad signature (throws)', swallow(() => verify(fresh(bad)))],
    ['fast-jwt: bad signature, its error cache', swallow(() => verifyCached(fresh(bad)))],
    ['fast-jwt: expired (throws)', swallow(() => verify(fresh(expired)))]
  ]
  return cases.map(([name, fn]) => {
    for (let k = 0; k < iterations / 5; k++) fn()
    const start = process.hrtime.bigint()
    for (let k = 0; k < iterations; k++) fn()
    return { name, nsPerCall: Number(process.hrtime.bigint() - start) / iterations }
  })
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  const results = runMicro(Number(process.argv[2] ?? '100000'))
  if (process.send !== undefined) {
    process.send({ type: 'micro', results }, () => process.exit(0))
  } else {
    for (const r of results) console.log(`${r.name.padEnd(42)} ${(r.nsPerCall / 1000).toFixed(2).padStart(7)} µs`)
  }
}
