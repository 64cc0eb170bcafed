/**
 * Wiring only: validates options, builds the key source and token format, registers the token
 * route (unless the plugin only verifies) and the discovery routes in child contexts, decorates
 * the app with the hooks, and marks protected routes for their logs and for @fastify/swagger.
 */
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { createKeySource } from './access-token/key-source.js'
import { MetadataRoutes } from './discovery/authorization-server.js'
import { registerDiscovery } from './discovery/routes.js'
import { Limiter } from './endpoint/limiter.js'
import { prepareHashSchemes } from './endpoint/hash-schemes.js'
import { tokenRoute } from './endpoint/route.js'
import { requestLogSerializers } from './log.js'
import { claimSchemeName, hasSwagger, swaggerOrderCheck } from './openapi/document.js'
import { markProtectedRoute, routeProtection } from './openapi/route-security.js'
import { resolveOptions } from './options.js'
import { createAuthenticators } from './resource/hooks.js'
import { markNoStore } from './resource/no-store.js'
import { createTokenReader } from './resource/verified-tokens.js'
import { refusingRevoked } from './sessions/revocation-view.js'
import { openSessions, revokeUserSessions } from './sessions/wiring.js'
import { Deadlines } from './stores/deadlines.js'
import type { AccessTokenClaims, AuthenticateHook, FastifyPasswordBearerOptions, PasswordBearerUser } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Requires a valid Bearer access token (401/400 otherwise). Use as `onRequest` or `preHandler`. */
    authenticate: AuthenticateHook
    /** Like `authenticate`, but a request without an Authorization header passes as a guest. */
    authenticateOptional: AuthenticateHook
    /** Requires a valid token that carries every named scope (403 `insufficient_scope` otherwise). */
    requireScopes: (...scopes: string[]) => AuthenticateHook
    /**
     * Ends every session of a user: their refresh tokens die, and every access token issued to
     * them until now is refused. Only with `refreshTokens` or `revocation` on.
     */
    revokeUserSessions: (userId: string) => Promise<void>
  }
  interface FastifyRequest {
    /** The authenticated user, or `null` (no hook ran, or a guest under `authenticateOptional`). */
    currentUser: PasswordBearerUser | null
    /** The verified access token's claims, or `null`. */
    accessToken: Readonly<AccessTokenClaims> | null
  }
}

const plugin: FastifyPluginAsync<FastifyPasswordBearerOptions> = async (fastify, rawOptions) => {
  const options = resolveOptions(rawOptions)
  const { format, verifier, keys } = createKeySource(fastify, options)
  const users = options.users
  // The time limit (userLookupTimeout) of every user-store call, on the token route and in loadUser.
  const storeDeadlines = new Deadlines(options.userLookupTimeout)
  // @fastify/swagger must be registered first: it only documents the routes registered after it.
  const openapi = hasSwagger(fastify)
  // Refresh tokens and revocation (docs/sessions.md); undefined, and no work at all, when off.
  const sessions = await openSessions(fastify, options)
  // The routes that name themselves in the RFC 8414 metadata (config.oauthMetadata), from here on.
  const metadata = new MetadataRoutes()
  fastify.addHook('onRoute', function oauthMetadataRoute (routeOptions) { metadata.seen(routeOptions) })

  // A plain (non-fp) child context: the token route's form parser, error handler and throttle stay
  // local to it and never touch the app's other routes. None in a verify-only service.
  if (format !== undefined && users !== undefined) {
    const endpoint = { ...options, users }
    await fastify.register(async function passwordBearerToken (child) {
      await tokenRoute(child, {
        options: endpoint,
        openapi,
        format,
        sessions,
        login: {
          users,
          limiter: new Limiter(options.maxConcurrentHashes, options.maxQueuedHashes),
          schemes: await prepareHashSchemes(endpoint, fastify.log),
          hash: options.hash,
          deadlines: storeDeadlines
        }
      })
    })
  }
  const resourceMetadata = await registerDiscovery(fastify, { options, openapi, metadata })

  const readToken = createTokenReader(verifier, options.verifyCacheSize, undefined, keys)
  const hooks = createAuthenticators({
    realm: options.realm,
    resourceMetadata,
    knownScopes: options.knownScopes,
    loadUser: options.loadUser,
    readToken: sessions === undefined ? readToken : refusingRevoked(readToken, sessions.view),
    deadlines: storeDeadlines
  })
  fastify.decorate('authenticate', hooks.authenticate)
  fastify.decorate('authenticateOptional', hooks.authenticateOptional)
  fastify.decorate('requireScopes', hooks.requireScopes)
  if (sessions !== undefined) fastify.decorate('revokeUserSessions', revokeUserSessions(sessions))
  fastify.decorateRequest('currentUser', null)
  fastify.decorateRequest('accessToken', null)
  // After the decorators: registering twice in one scope fails on them first, with its own error.
  claimSchemeName(fastify, options.securitySchemeName)
  // Without @fastify/swagger yet: startup fails if it is registered later.
  const lateSwagger = openapi ? undefined : swaggerOrderCheck(fastify, options.securitySchemeName)

  // Routes protected by the plugin's hooks log their URL without the query string, where a client
  // may have put an access token (through the app's own `req` serializer, or Fastify's), answer
  // with no-store (unless they set their own Cache-Control), and, with @fastify/swagger, get their
  // OpenAPI `security`.
  fastify.addHook('onRoute', function markRoute (routeOptions) {
    const protection = routeProtection(routeOptions, hooks.registry)
    if (protection === undefined) return
    routeOptions.logSerializers = requestLogSerializers(routeOptions.logSerializers, this.log)
    markNoStore(routeOptions)
    if (lateSwagger === undefined) markProtectedRoute(routeOptions, protection, options.securitySchemeName)
    else lateSwagger.routeAdded(this)
  })
}

/**
 * The fastify-password-bearer plugin: OAuth2 password flow and Bearer-token protection.
 *
 * @example
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET, users })
 * app.get('/users/me', { preHandler: app.authenticate }, async (request) => request.currentUser)
 */
export const fastifyPasswordBearer = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-password-bearer'
})
