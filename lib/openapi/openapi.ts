/**
 * OpenAPI for @fastify/swagger: the OAuth2 password-flow security scheme, the token route's schema,
 * and `security` requirements on every route protected by the plugin's hooks.
 */
import type { RouteOptions } from 'fastify'
import type { ResolvedOptions } from '../options.js'

/** An OpenAPI 3 OAuth2 password-flow security scheme object. */
export interface OAuth2PasswordScheme {
  type: 'oauth2'
  description?: string
  flows: { password: { tokenUrl: string, scopes: Record<string, string> } }
}

/**
 * The security scheme the plugin publishes, for apps that write their OpenAPI `components` by hand.
 *
 * @example
 * await app.register(swagger, { openapi: { components: { securitySchemes: {
 *   OAuth2PasswordBearer: securityScheme({ tokenUrl: '/token', scopes: { 'items:read': 'Read items' } })
 * } } } })
 */
export function securityScheme (options: { tokenUrl?: string, scopes?: Record<string, string> } = {}): OAuth2PasswordScheme {
  return {
    type: 'oauth2',
    description: 'OAuth2 password flow: log in with a username and password to get a Bearer access token.',
    flows: { password: { tokenUrl: options.tokenUrl ?? '/token', scopes: { ...options.scopes } } }
  }
}

interface SwaggerTransformArgs {
  schema: Record<string, unknown> | undefined
  url: string
  openapiObject?: { components?: { securitySchemes?: Record<string, unknown> } }
  swaggerObject?: { securityDefinitions?: Record<string, unknown> }
}

/**
 * The token route's `config.swaggerTransform`: @fastify/swagger calls it while it builds the
 * document, before any protected route (those are registered after the plugin), so the scheme is
 * in `components.securitySchemes` by the time routes refer to it. An app's own scheme of the same
 * name is kept.
 */
export function addSecurityScheme (options: ResolvedOptions) {
  return ({ schema, url, openapiObject, swaggerObject }: SwaggerTransformArgs) => {
    const name = options.securitySchemeName
    if (openapiObject !== undefined) {
      openapiObject.components ??= {}
      openapiObject.components.securitySchemes ??= {}
      openapiObject.components.securitySchemes[name] ??= securityScheme(options)
    } else if (swaggerObject !== undefined) {
      swaggerObject.securityDefinitions ??= {}
      swaggerObject.securityDefinitions[name] ??= {
        type: 'oauth2',
        flow: 'password',
        tokenUrl: options.tokenUrl,
        scopes: { ...options.scopes }
      }
    }
    return { schema, url }
  }
}

const oauthError = {
  type: 'object',
  description: 'RFC 6749 §5.2 error',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type', 'invalid_scope', 'slow_down', 'server_error', 'temporarily_unavailable']
    },
    error_description: { type: 'string' }
  }
}

/** The token route's schema: a form body and RFC 6749 §5.1 / §5.2 responses. */
export function tokenRouteSchema (options: ResolvedOptions): Record<string, unknown> {
  const scopeList = Object.keys(options.scopes)
  return {
    summary: 'Log in with a username and password (OAuth2 password grant)',
    description: 'RFC 6749 §4.3 resource owner password credentials grant. Returns a Bearer access token (an RFC 9068 JWT).',
    tags: ['auth'],
    consumes: ['application/x-www-form-urlencoded'],
    body: {
      type: 'object',
      required: ['grant_type', 'username', 'password'],
      properties: {
        grant_type: { type: 'string', enum: ['password'], description: 'Always "password"' },
        username: { type: 'string', maxLength: options.usernameMaxLength },
        password: { type: 'string', format: 'password', maxLength: options.passwordMaxLength },
        scope: {
          type: 'string',
          description: scopeList.length > 0
            ? `Space-separated scopes to request (default: all the user holds). Known: ${scopeList.join(', ')}`
            : 'Space-separated scopes to request (default: all the user holds)'
        }
      }
    },
    response: {
      200: {
        description: 'Access token issued (RFC 6749 §5.1)',
        type: 'object',
        required: ['access_token', 'token_type', 'expires_in', 'scope'],
        properties: {
          access_token: { type: 'string' },
          token_type: { type: 'string', enum: ['Bearer'] },
          expires_in: { type: 'integer', description: 'Lifetime in seconds' },
          scope: { type: 'string', description: 'Space-separated granted scopes' }
        }
      },
      400: { ...oauthError, description: 'Invalid request, credentials or scope (RFC 6749 §5.2)' },
      401: { ...oauthError, description: 'Client authentication refused' },
      429: { ...oauthError, description: 'Too many login attempts for this username or address (slow_down): retry after the Retry-After delay' },
      500: { ...oauthError, description: 'Server error' },
      503: { ...oauthError, description: 'Too many logins at once, or the user store is not answering' }
    }
  }
}

/** How a hook protects a route, recorded for the OpenAPI document. */
export interface HookSecurity {
  scopes: readonly string[]
  optional: boolean
}

type HookList = RouteOptions['onRequest'] | RouteOptions['preHandler']

function hooksOf (value: HookList): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * How the plugin's hooks in a route's `onRequest` and `preHandler` protect it (scopes of every
 * hook together; optional only when every hook is), or `undefined` when none of them is there.
 */
export function routeProtection (
  routeOptions: RouteOptions,
  registry: WeakMap<object, HookSecurity>
): HookSecurity | undefined {
  let found = false
  let optional = true
  const scopes = new Set<string>()
  for (const hook of [...hooksOf(routeOptions.onRequest), ...hooksOf(routeOptions.preHandler)]) {
    if (typeof hook !== 'function') continue
    const security = registry.get(hook)
    if (security === undefined) continue
    found = true
    if (!security.optional) optional = false
    for (const scope of security.scopes) scopes.add(scope)
  }
  return found ? { scopes: [...scopes], optional } : undefined
}

/**
 * Adds `security: [{ <scheme>: [scopes] }]` to a protected route (an optional-auth route also gets
 * `{}`, "anonymous allowed"). A `security` the app wrote is kept. The schema object is copied,
 * never mutated: apps share schema objects between routes.
 */
export function markProtectedRoute (
  routeOptions: RouteOptions,
  protection: HookSecurity,
  schemeName: string
): void {
  const schema = (routeOptions.schema ?? {}) as Record<string, unknown>
  if (schema.security !== undefined) return
  const requirement = [{ [schemeName]: [...protection.scopes] }]
  routeOptions.schema = { ...schema, security: protection.optional ? [...requirement, {}] : requirement } as RouteOptions['schema']
}
