/**
 * The options that say which keys sign and verify (`secret`, `keys`, `remoteKeys`), and with them
 * whether the plugin issues tokens or only verifies them. A bad value fails registration with
 * `FST_PWB_INVALID_OPTION`, naming the option; a key is never quoted.
 */
import { InvalidOptionError } from '../errors.js'
import { describe, integerOption as int, unknownKeys } from '../option-values.js'
import type { FastifyPasswordBearerOptions } from '../types.js'
import { localKeysFrom, localKeysOf, type LocalKeys } from './key-set.js'
import { MIN_SECRET_BYTES } from './keys.js'
import type { ResolvedRemoteKeys } from './remote-keys.js'

/** The keys after validation. */
export interface KeyOptions {
  /** The HS256 secret: the one key without `keys`, the source of derived keys with them. */
  secret: string | Buffer | undefined
  /** The local key set (of `keys`, or of the one `secret`); undefined with `remoteKeys`. */
  keys: LocalKeys | undefined
  /** Where a verify-only service fetches the issuer's keys. */
  remoteKeys: ResolvedRemoteKeys | undefined
}

export const REMOTE_KEY_DEFAULTS = Object.freeze({ timeout: 5000, cooldown: 30_000, refreshInterval: 300_000 })

/** The path, under the issuer URL, of its RFC 8414 metadata. */
export const METADATA_PATH = '/.well-known/oauth-authorization-server'

/** `value` when it is an absolute http(s) URL without credentials or fragment; else undefined. */
export function httpUrl (value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  const ok = (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' && url.hash === '' && !value.includes('#')
  return ok ? value : undefined
}

function urlOption (name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  const url = httpUrl(value)
  if (url === undefined) throw new InvalidOptionError(name, `expected an absolute http(s) URL without credentials or fragment, got ${describe(value)}`)
  return url
}

function secretOption (secret: unknown): string | Buffer {
  if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
    throw new InvalidOptionError('secret', `expected a string or Buffer of at least ${MIN_SECRET_BYTES} bytes (e.g. crypto.randomBytes(32)), or asymmetric keys in "keys"; got ${describe(secret)}`)
  }
  const bytes = typeof secret === 'string' ? Buffer.byteLength(secret) : secret.length
  if (bytes < MIN_SECRET_BYTES) {
    throw new InvalidOptionError('secret', `expected at least ${MIN_SECRET_BYTES} bytes for HS256, got ${bytes}; generate one with crypto.randomBytes(32)`)
  }
  return secret
}

function keysOption (keys: unknown): LocalKeys {
  const set = localKeysOf(keys)
  if (set !== undefined) return set
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new InvalidOptionError('keys', `expected createKeySet([...]) or a non-empty array of { privateKey }, { publicKey } or { secret }, got ${describe(keys)}`)
  }
  return localKeysFrom(keys, (problem) => new InvalidOptionError(`keys${problem.slice(0, problem.indexOf(':'))}`, problem.slice(problem.indexOf(':') + 2)))
}

function remoteKeysOption (value: unknown, issuer: string): ResolvedRemoteKeys {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('remoteKeys', 'expected an object such as { jwksUri: "https://auth.example.com/.well-known/jwks.json" }')
  }
  unknownKeys('remoteKeys', value, ['jwksUri', 'metadataUrl', 'timeout', 'cooldown', 'refreshInterval'])
  const options = value as NonNullable<FastifyPasswordBearerOptions['remoteKeys']>
  const jwksUri = urlOption('remoteKeys.jwksUri', options.jwksUri)
  let metadataUrl = urlOption('remoteKeys.metadataUrl', options.metadataUrl)
  if (jwksUri !== undefined && metadataUrl !== undefined) {
    throw new InvalidOptionError('remoteKeys', 'give jwksUri or metadataUrl, not both')
  }
  if (jwksUri === undefined && metadataUrl === undefined) {
    const base = httpUrl(issuer)
    if (base === undefined) {
      throw new InvalidOptionError('remoteKeys', 'give jwksUri or metadataUrl (or set issuer to the issuer\'s URL, and its metadata is read from <issuer>/.well-known/oauth-authorization-server)')
    }
    metadataUrl = base.replace(/\/+$/, '') + METADATA_PATH
  }
  return {
    jwksUri,
    metadataUrl,
    issuer,
    timeout: int('remoteKeys.timeout', options.timeout, REMOTE_KEY_DEFAULTS.timeout, 100, 60_000),
    cooldown: int('remoteKeys.cooldown', options.cooldown, REMOTE_KEY_DEFAULTS.cooldown, 0, 3_600_000),
    refreshInterval: int('remoteKeys.refreshInterval', options.refreshInterval, REMOTE_KEY_DEFAULTS.refreshInterval, 1000, 86_400_000)
  }
}

/**
 * The keys, and whether the plugin only verifies: `remoteKeys`, or `keys` without `users`. An
 * issuer needs `secret` or `keys` whose first key signs.
 */
export function resolveKeys (options: FastifyPasswordBearerOptions, issuer: string): KeyOptions & { verifyOnly: boolean } {
  const { secret, keys, remoteKeys, users } = options
  if (remoteKeys !== undefined) {
    for (const name of ['users', 'secret', 'keys'] as const) {
      if (options[name] !== undefined) {
        throw new InvalidOptionError(name, 'a service with remoteKeys only verifies the issuer\'s tokens: leave out users, secret and keys (they belong to the issuer)')
      }
    }
    return { secret: undefined, keys: undefined, remoteKeys: remoteKeysOption(remoteKeys, issuer), verifyOnly: true }
  }
  if (keys === undefined) return { secret: secretOption(secret), keys: undefined, remoteKeys: undefined, verifyOnly: false }
  const set = keysOption(keys)
  if (users === undefined && secret === undefined) return { secret: undefined, keys: set, remoteKeys: undefined, verifyOnly: true }
  if (set.current === undefined) {
    throw new InvalidOptionError('keys', 'the first key signs the tokens of the token route: give a private key or a secret first')
  }
  return { secret: secret === undefined ? undefined : secretOption(secret), keys: set, remoteKeys: undefined, verifyOnly: false }
}
