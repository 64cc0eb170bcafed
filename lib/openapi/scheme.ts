/**
 * The OAuth2 password-flow security scheme, as published to @fastify/swagger's document.
 */
import type { EndpointOptions, SharedOptions } from '../options.js'
import { swagger2RefreshForm } from './token-route-schema.js'

/**
 * An OpenAPI 3 OAuth2 password-flow security scheme object.
 *
 * @example
 * ```ts
 * import { securityScheme, type OAuth2PasswordScheme } from 'fastify-password-bearer'
 *
 * const scheme: OAuth2PasswordScheme = securityScheme({ tokenUrl: '/api/token', scopes: { 'items:read': 'Read items' } })
 * scheme.flows.password.tokenUrl // '/api/token'
 * ```
 */
export interface OAuth2PasswordScheme {
  type: 'oauth2'
  description?: string
  flows: { password: { tokenUrl: string, refreshUrl?: string, scopes: Record<string, string> } }
}

/**
 * The security scheme the plugin publishes, for apps that write their OpenAPI `components` by hand.
 *
 * With refresh tokens on, pass `refreshUrl` too: the token route, which also refreshes.
 *
 * @example
 * ```ts
 * import swagger from '@fastify/swagger'
 * import Fastify from 'fastify'
 * import { securityScheme } from 'fastify-password-bearer'
 *
 * // A document written by hand (static mode): the scheme the plugin would publish, full paths.
 * const app = Fastify()
 * await app.register(swagger, {
 *   openapi: {
 *     info: { title: 'My API', version: '1.0.0' },
 *     components: { securitySchemes: { OAuth2PasswordBearer: securityScheme({ tokenUrl: '/api/v1/token', scopes: { 'items:read': 'Read items' } }) } }
 *   }
 * })
 * ```
 */
export function securityScheme (options: { tokenUrl?: string, refreshUrl?: string, scopes?: Record<string, string> } = {}): OAuth2PasswordScheme {
  const tokenUrl = options.tokenUrl ?? '/token'
  return {
    type: 'oauth2',
    description: 'OAuth2 password flow: log in with a username and password to get a Bearer access token.',
    flows: {
      password: options.refreshUrl === undefined
        ? { tokenUrl, scopes: { ...options.scopes } }
        : { tokenUrl, refreshUrl: options.refreshUrl, scopes: { ...options.scopes } }
    }
  }
}

interface SwaggerTransformArgs {
  schema: Record<string, unknown> | undefined
  /** The route's full URL: its context's prefix and the `tokenUrl` option. */
  url: string
  openapiObject?: { components?: { securitySchemes?: Record<string, unknown> } }
  swaggerObject?: { securityDefinitions?: Record<string, unknown> }
}

/** `schemes` with `name` added, as a new object (the app's own objects are never changed); as it was if it has `name`. */
function withScheme (schemes: Record<string, unknown> | undefined, name: string, scheme: unknown): Record<string, unknown> {
  if (schemes !== undefined && Object.hasOwn(schemes, name)) return schemes
  return { ...schemes, [name]: scheme }
}

/**
 * The token route's `config.swaggerTransform`: @fastify/swagger calls it while it builds the
 * document, and the scheme is in the document by the time the document is complete. The scheme's
 * `tokenUrl` is the URL the token route answers at, route prefix included (and so is `refreshUrl`,
 * with refresh tokens on). An app's own scheme of the same name is kept.
 */
export function addSecurityScheme (options: EndpointOptions, refresh = false) {
  return publishScheme(options, undefined, refresh ? () => swagger2RefreshForm(options) : undefined)
}

/**
 * The scheme of a verify-only service, whose `tokenUrl` is the issuer's token endpoint (absolute),
 * published through the route it rides on (its protected resource metadata).
 */
export function addIssuerScheme (options: Pick<SharedOptions, 'securitySchemeName' | 'scopes'>, tokenUrl: string) {
  return publishScheme(options, tokenUrl, undefined)
}

/**
 * The transform that adds the scheme: `tokenUrl` (the route's own URL unless given), and with
 * `refreshForm`, the refresh URL and Swagger 2's single form.
 */
function publishScheme (
  options: Pick<SharedOptions, 'securitySchemeName' | 'scopes'>,
  tokenUrl: string | undefined,
  refreshForm: (() => Record<string, unknown>) | undefined
) {
  return ({ schema, url: routeUrl, openapiObject, swaggerObject }: SwaggerTransformArgs) => {
    const name = options.securitySchemeName
    const url = tokenUrl ?? routeUrl
    if (openapiObject !== undefined) {
      openapiObject.components ??= {}
      openapiObject.components.securitySchemes = withScheme(openapiObject.components.securitySchemes, name,
        securityScheme({ tokenUrl: url, ...(refreshForm !== undefined ? { refreshUrl: url } : {}), scopes: options.scopes }))
    } else if (swaggerObject !== undefined) {
      swaggerObject.securityDefinitions = withScheme(swaggerObject.securityDefinitions, name, {
        type: 'oauth2',
        flow: 'password',
        tokenUrl: url,
        scopes: { ...options.scopes }
      })
      // Swagger 2 cannot say "one of two forms": one form, each field saying which grant reads it.
      if (refreshForm !== undefined) return { schema: { ...schema, body: refreshForm() }, url: routeUrl }
    }
    return { schema, url: routeUrl }
  }
}
