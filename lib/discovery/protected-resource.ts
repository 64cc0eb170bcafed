/**
 * RFC 9728 protected resource metadata at `/.well-known/oauth-protected-resource`: this API's
 * resource identifier, where to log in (the issuer), its scopes and how it takes tokens. Clients
 * (MCP clients among them) find it through the `resource_metadata` parameter of the 401 challenges.
 */
import type { FastifyContextConfig, FastifyInstance } from 'fastify'
import { absoluteUrl, HIDDEN, joinPath, WELL_KNOWN } from './urls.js'

export interface ProtectedResourceDeps {
  /** The resource identifier, an http(s) URL. */
  resource: string
  /** The issuer when it is an http(s) URL. */
  issuerUrl: string | undefined
  scopes: Record<string, string>
  /** Route config to add (the OpenAPI scheme of a verify-only service rides on this route). */
  config: FastifyContextConfig
}

/** The absolute URL of the metadata of a plugin registered under `prefix`, for the challenges. */
export function protectedResourceMetadataUrl (resource: string, prefix: string): string {
  return absoluteUrl(resource, joinPath(prefix, WELL_KNOWN.protectedResource))
}

export function protectedResourceRoute (instance: FastifyInstance, deps: ProtectedResourceDeps): void {
  const body = JSON.stringify({
    resource: deps.resource,
    ...(deps.issuerUrl === undefined ? {} : { authorization_servers: [deps.issuerUrl] }),
    scopes_supported: Object.keys(deps.scopes),
    bearer_methods_supported: ['header']
  })
  instance.get(WELL_KNOWN.protectedResource, { schema: HIDDEN, config: deps.config }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8')
    return body
  })
}
