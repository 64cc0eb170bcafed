/**
 * The discovery routes, in their own child context: the JWKS (asymmetric keys), the RFC 8414
 * authorization server metadata (an issuer with an http(s) URL) and the RFC 9728 protected resource
 * metadata (with `resource`), which in a verify-only service also carries the OpenAPI scheme.
 */
import type { FastifyContextConfig, FastifyInstance } from 'fastify'
import { addIssuerScheme } from '../openapi/scheme.js'
import type { ResolvedOptions } from '../options.js'
import { authorizationServerRoute, type MetadataRoutes } from './authorization-server.js'
import { jwksRoute } from './jwks-route.js'
import { protectedResourceMetadataUrl, protectedResourceRoute } from './protected-resource.js'

export interface DiscoveryDeps {
  options: ResolvedOptions
  /** Whether @fastify/swagger is registered. */
  openapi: boolean
  /** The routes seen so far and to come that contribute to the RFC 8414 metadata. */
  metadata: MetadataRoutes
}

/**
 * Registers the routes that apply; answers the absolute URL of the protected resource metadata
 * (for the challenges' `resource_metadata`), or undefined without `resource`.
 */
export async function registerDiscovery (fastify: FastifyInstance, { options, openapi, metadata }: DiscoveryDeps): Promise<string | undefined> {
  const { keys, issuer, issuerUrl, resource, verifyOnly } = options
  await fastify.register(async function passwordBearerDiscovery (child) {
    if (!verifyOnly && keys !== undefined) jwksRoute(child, keys)
    if (!verifyOnly && issuerUrl !== undefined) authorizationServerRoute(child, { issuer, scopes: options.scopes, routes: metadata })
    if (resource !== undefined) {
      // Without a token route of its own, a verify-only service publishes the scheme (whose
      // tokenUrl is the issuer's) through this route.
      const config = verifyOnly && openapi ? { swaggerTransform: addIssuerScheme(options, options.remoteTokenUrl as string) } : {}
      protectedResourceRoute(child, { resource, issuerUrl, scopes: options.scopes, config: config as FastifyContextConfig })
    }
  })
  return resource === undefined ? undefined : protectedResourceMetadataUrl(resource, fastify.prefix)
}
