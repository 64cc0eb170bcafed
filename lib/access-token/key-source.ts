/**
 * Which keys the plugin signs and verifies with, from the resolved options: a local key set (of
 * `keys`, or of the one `secret`) with the format that signs, or, in a verify-only service, the
 * issuer's keys fetched over HTTP from the app's start to its close.
 */
import type { FastifyInstance } from 'fastify'
import type { ResolvedOptions } from '../options.js'
import type { ReaderKeys } from '../resource/verified-tokens.js'
import { createAccessTokenFormat, createTokenVerifier, type AccessTokenFormat, type TokenVerifier } from './format.js'
import { RemoteKeys } from './remote-keys.js'

export interface KeySource {
  verifier: TokenVerifier
  /** Signs and derives keys; undefined in a verify-only service. */
  format: AccessTokenFormat | undefined
  /** What the verified-token reader follows: removals, and waiting for a remote set. */
  keys: ReaderKeys | undefined
}

export function createKeySource (fastify: FastifyInstance, options: ResolvedOptions): KeySource {
  if (options.remoteKeys !== undefined) {
    const remote = new RemoteKeys(options.remoteKeys)
    fastify.addHook('onReady', async () => { remote.start(fastify.log) })
    fastify.addHook('onClose', async () => { remote.close() })
    return { verifier: createTokenVerifier(remote, options), format: undefined, keys: remote }
  }
  if (options.verifyOnly) {
    return { verifier: createTokenVerifier(options.keys as NonNullable<ResolvedOptions['keys']>, options), format: undefined, keys: options.keys }
  }
  const format = createAccessTokenFormat(options)
  return { verifier: format, format, keys: options.keys }
}
