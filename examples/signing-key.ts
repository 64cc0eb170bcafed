/**
 * How the example server signs its tokens: HS256 with JWT_SECRET (the default), or EdDSA with
 * JWT_ALGORITHM=EdDSA, from an Ed25519 key pair generated on first run and kept in a file beside the
 * database, so that a restart keeps the key, its kid and every token issued before it. Its issuer is
 * an http(s) URL (ISSUER), the same whatever PORT is, so that several instances issue the same `iss`.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'

export type ExampleAlgorithm = 'HS256' | 'EdDSA'

/** The example's issuer when ISSUER is not set. */
export const DEFAULT_ISSUER = 'http://127.0.0.1:3000'
/** Origins whose pages may call the token route from a browser when CORS_ORIGINS is not set: the example resource server's. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = Object.freeze(['http://127.0.0.1:3001', 'http://localhost:3001'])

/** JWT_ALGORITHM: `HS256` (or unset) or `EdDSA`. */
export function algorithmFromEnv (env: NodeJS.ProcessEnv): ExampleAlgorithm {
  const value = env.JWT_ALGORITHM
  if (value === undefined || value === '' || value === 'HS256') return 'HS256'
  if (value === 'EdDSA') return 'EdDSA'
  throw new Error(`JWT_ALGORITHM must be HS256 or EdDSA, got ${JSON.stringify(value)}`)
}

/** ISSUER: an http(s) URL without a trailing slash; DEFAULT_ISSUER when unset. */
export function issuerFromEnv (env: NodeJS.ProcessEnv): string {
  const value = env.ISSUER
  if (value === undefined || value === '') return DEFAULT_ISSUER
  if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(value) || value.endsWith('/')) {
    throw new Error(`ISSUER must be an http(s) URL without a trailing slash (e.g. https://auth.example.com), got ${JSON.stringify(value)}`)
  }
  return value
}

/** CORS_ORIGINS: a comma-separated list of origins (`none` for none); DEFAULT_CORS_ORIGINS when unset. */
export function corsOriginsFromEnv (env: NodeJS.ProcessEnv): string[] {
  const value = env.CORS_ORIGINS
  if (value === undefined || value === '') return [...DEFAULT_CORS_ORIGINS]
  if (value === 'none') return []
  const origins = value.split(',').map((origin) => origin.trim())
  for (const origin of origins) {
    if (!/^https?:\/\/[^/?#\s]+$/.test(origin)) throw new Error(`CORS_ORIGINS must list origins such as http://127.0.0.1:3001, got ${JSON.stringify(origin)}`)
  }
  return origins
}

/** Where the key pair of a database is kept: `<database>.ed25519.pem`; none for `:memory:`. */
export function keyPathOf (dbPath: string): string | undefined {
  return dbPath === ':memory:' ? undefined : `${dbPath}.ed25519.pem`
}

/**
 * The Ed25519 private key kept beside the database, made on first run (readable by its owner only);
 * a new one per start for an in-memory database.
 */
export function loadOrCreateKey (dbPath: string): { privateKey: KeyObject, path: string | undefined, created: boolean } {
  const path = keyPathOf(dbPath)
  if (path !== undefined) {
    try {
      return { privateKey: createPrivateKey(readFileSync(path)), path, created: false }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the signing key ${path}: ${(err as Error).message}`)
    }
  }
  const { privateKey } = generateKeyPairSync('ed25519')
  if (path === undefined) return { privateKey, path, created: true }
  try {
    // 'wx': never overwrite a key another process wrote in the meantime; use that one instead.
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    return { privateKey: createPrivateKey(readFileSync(path)), path, created: false }
  }
  return { privateKey, path, created: true }
}
