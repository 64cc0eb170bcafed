/**
 * The session options (`refreshTokens`, `revocation`, `revokeUrl`, `tokenStore`,
 * `tokenStoreTimeout`): defaults and validation. All off by default.
 */
import { InvalidOptionError } from '../errors.js'
import { describe, integerOption as int, pathOption, unknownKeys } from '../option-values.js'
import { MemoryTokenStore } from '../stores/memory-token-store.js'
import type { TokenStore } from '../stores/token-store.js'

/**
 * Lifetimes of refresh-token families, in seconds.
 *
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer, { type RefreshTokenOptions } from 'fastify-password-bearer'
 *
 * const refreshTokens: RefreshTokenOptions = { absoluteTtl: 86_400, idleTtl: 3_600 } // a day at most, an hour unused
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, refreshTokens })
 * ```
 */
export interface RefreshTokenOptions {
  /**
   * A family's whole life, from the login: after it, the user logs in again however active.
   * @default 2592000 (30 days)
   */
  absoluteTtl?: number
  /**
   * How long a family lives unused: each refresh starts it again (never past `absoluteTtl`).
   * @default 604800 (7 days)
   */
  idleTtl?: number
}

/** What the session options say, once resolved. */
export interface SessionOptions {
  /** Refresh-token lifetimes in seconds; undefined when refresh tokens are off. */
  refresh: Required<RefreshTokenOptions> | undefined
  /** Path of the revocation route, relative to the plugin's prefix. */
  revokeUrl: string
  store: TokenStore
  /** The time limit of every token-store call, in milliseconds. */
  storeTimeout: number
}

/** The session options as the user writes them. */
export interface RawSessionOptions {
  refreshTokens?: boolean | RefreshTokenOptions
  revocation?: boolean
  revokeUrl?: string
  tokenStore?: TokenStore
  tokenStoreTimeout?: number
}

export const SESSION_DEFAULTS = Object.freeze({
  absoluteTtl: 2_592_000,
  idleTtl: 604_800,
  revokeUrl: '/revoke',
  tokenStoreTimeout: 2000
})

const STORE_METHODS = [
  'createFamily', 'findFamily', 'rotate', 'revokeFamily', 'revokeAccessToken', 'revokeUser', 'loadRevocations', 'onRevocation'
] as const

function refreshLifetimes (value: RawSessionOptions['refreshTokens']): Required<RefreshTokenOptions> | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return { absoluteTtl: SESSION_DEFAULTS.absoluteTtl, idleTtl: SESSION_DEFAULTS.idleTtl }
  if (value === null || typeof value !== 'object') {
    throw new InvalidOptionError('refreshTokens', `expected true, false or { absoluteTtl, idleTtl } in seconds, got ${describe(value)}`)
  }
  unknownKeys('refreshTokens', value, ['absoluteTtl', 'idleTtl'])
  const absoluteTtl = int('refreshTokens.absoluteTtl', value.absoluteTtl, SESSION_DEFAULTS.absoluteTtl, 60, 31_536_000)
  const idleTtl = int('refreshTokens.idleTtl', value.idleTtl, Math.min(SESSION_DEFAULTS.idleTtl, absoluteTtl), 60, 31_536_000)
  if (idleTtl > absoluteTtl) {
    throw new InvalidOptionError('refreshTokens.idleTtl', `must not be longer than absoluteTtl (${absoluteTtl} s), got ${idleTtl}`)
  }
  return { absoluteTtl, idleTtl }
}

function tokenStore (value: unknown): TokenStore {
  if (value === undefined) return new MemoryTokenStore()
  if (value === null || typeof value !== 'object' ||
    STORE_METHODS.some((name) => typeof (value as Record<string, unknown>)[name] !== 'function')) {
    throw new InvalidOptionError('tokenStore', `expected a TokenStore (an object with ${STORE_METHODS.join(', ')}), got ${describe(value)}`)
  }
  return value as TokenStore
}

/**
 * Resolves the session options: `undefined` when neither refresh tokens nor revocation are on
 * (then no session code runs at all). Throws `FST_PWB_INVALID_OPTION`.
 */
export function resolveSessionOptions (options: RawSessionOptions, tokenUrl: string): SessionOptions | undefined {
  const refresh = refreshLifetimes(options.refreshTokens)
  const { revocation } = options
  if (revocation !== undefined && typeof revocation !== 'boolean') {
    throw new InvalidOptionError('revocation', `expected true or false, got ${describe(revocation)}`)
  }
  if (refresh !== undefined && revocation === false) {
    throw new InvalidOptionError('revocation', 'refresh tokens need revocation (logout, reuse detection): remove revocation: false, or turn refreshTokens off')
  }
  if (refresh === undefined && revocation !== true) {
    for (const name of ['revokeUrl', 'tokenStore', 'tokenStoreTimeout'] as const) {
      if (options[name] !== undefined) {
        throw new InvalidOptionError(name, 'is only used with refreshTokens or revocation: true; turn one of them on, or remove it')
      }
    }
    return undefined
  }
  const revokeUrl = pathOption('revokeUrl', options.revokeUrl, SESSION_DEFAULTS.revokeUrl)
  if (revokeUrl === tokenUrl) {
    throw new InvalidOptionError('revokeUrl', `must differ from tokenUrl ("${tokenUrl}")`)
  }
  return {
    refresh,
    revokeUrl,
    store: tokenStore(options.tokenStore),
    storeTimeout: int('tokenStoreTimeout', options.tokenStoreTimeout, SESSION_DEFAULTS.tokenStoreTimeout, 1, 600_000)
  }
}
