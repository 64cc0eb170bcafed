/**
 * RFC 8414 authorization server metadata at `/.well-known/oauth-authorization-server`: the issuer,
 * its endpoints as absolute URLs, and what they accept. Endpoints are read from the routes the
 * plugin registers, not written here: a route that belongs in the document says so in its
 * `config.oauthMetadata` (the token route names `token_endpoint` and its grant types, the JWKS
 * route `jwks_uri`), so a new grant or a new endpoint appears without touching this file.
 */
import type { FastifyInstance, RouteOptions } from 'fastify'
import { absoluteUrl, HIDDEN, WELL_KNOWN } from './urls.js'

/** What one route adds to the metadata: the member that holds its URL, and any other members. */
export interface MetadataEntry {
  /** The member naming the route's absolute URL, e.g. `token_endpoint`, `revocation_endpoint`. */
  endpoint: string
  /** Other members, e.g. `grant_types_supported`. */
  [member: string]: unknown
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The RFC 8414 metadata this route contributes (see lib/discovery/authorization-server.ts). */
    oauthMetadata?: MetadataEntry
  }
}

/** The routes that contribute to the metadata, seen as they are registered. */
export class MetadataRoutes {
  readonly #entries: Array<{ url: string, entry: MetadataEntry }> = []

  /** For an onRoute hook: keeps a route with `config.oauthMetadata` (once per URL: HEAD comes with GET). */
  seen (routeOptions: RouteOptions): void {
    const entry = (routeOptions.config as { oauthMetadata?: MetadataEntry } | undefined)?.oauthMetadata
    if (entry === undefined || this.#entries.some((e) => e.entry === entry)) return
    this.#entries.push({ url: routeOptions.url, entry })
  }

  /** The metadata members of every route seen: its URL under `base`, and the members it adds. */
  members (base: string): Record<string, unknown> {
    const members: Record<string, unknown> = {}
    for (const { url, entry } of this.#entries) {
      const { endpoint, ...rest } = entry
      members[endpoint] = absoluteUrl(base, url)
      Object.assign(members, rest)
    }
    return members
  }
}

export interface AuthorizationServerDeps {
  issuer: string
  scopes: Record<string, string>
  routes: MetadataRoutes
}

/** GET `/.well-known/oauth-authorization-server`, built once, after every route is registered. */
export function authorizationServerRoute (instance: FastifyInstance, deps: AuthorizationServerDeps): void {
  let body: string | undefined
  instance.get(WELL_KNOWN.authorizationServer, { schema: HIDDEN }, async (_request, reply) => {
    body ??= JSON.stringify({
      issuer: deps.issuer,
      ...deps.routes.members(deps.issuer),
      scopes_supported: Object.keys(deps.scopes),
      // Required by RFC 8414 §2; there is no authorization endpoint, so no response type.
      response_types_supported: []
    })
    reply.header('cache-control', 'public, max-age=3600').type('application/json; charset=utf-8')
    return body
  })
}
