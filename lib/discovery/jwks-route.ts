/**
 * GET `/.well-known/jwks.json` (RFC 7517): the public keys of the key set, so other services can
 * verify the tokens. Read from the set at each change: a key added or removed at run time appears
 * or disappears at once. HS256 secrets are never in it.
 */
import type { FastifyInstance } from 'fastify'
import type { LocalKeys } from '../access-token/key-set.js'
import { HIDDEN, WELL_KNOWN } from './urls.js'

/**
 * How long clients and caches may keep the JWKS, in seconds: a key added ahead of its use (see
 * docs/keys.md) reaches every verifier within this plus their refresh interval.
 */
export const JWKS_MAX_AGE = 300

export function jwksRoute (instance: FastifyInstance, keys: LocalKeys): void {
  instance.get(WELL_KNOWN.jwks, {
    schema: HIDDEN,
    config: { oauthMetadata: { endpoint: 'jwks_uri' } }
  }, async (_request, reply) => {
    reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE}`).type('application/jwk-set+json')
    return keys.jwksJson()
  })
}
