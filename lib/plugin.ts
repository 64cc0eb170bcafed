/**
 * Wiring only: validates options, builds the key source and token format, registers the token
 * route (unless the plugin only verifies) and the discovery routes in child contexts, decorates the app with the hooks (under the names of the `decorators` option), marks
 * protected routes for their logs and for @fastify/swagger, and gives routes the error handler
 * that answers refusals passed on by the hooks' `passError` form.
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
import { claimNames, decorateAll } from './resource/decorators.js'
import { answerPassedRefusals } from './resource/error-handler.js'
import { createAuthenticators } from './resource/hooks.js'
import { markNoStore } from './resource/no-store.js'
import { createTokenReader } from './resource/verified-tokens.js'
import { refusingRevoked } from './sessions/revocation-view.js'
import { openSessions, revokeUserSessions } from './sessions/wiring.js'
import { Deadlines } from './stores/deadlines.js'
import type { FastifyPasswordBearerOptions, PasswordBearerInstance, PasswordBearerRequest } from './types.js'

// Through base types, under the names of PasswordBearerNames: an app that declares a member of the
// same name itself (the `authenticate` of the usual @fastify/jwt setup) keeps its own type, where a
// second declaration of the member would not compile (TS2717).
declare module 'fastify' {
  interface FastifyInstance extends PasswordBearerInstance {}
  interface FastifyRequest extends PasswordBearerRequest {}
}

const plugin: FastifyPluginAsync<FastifyPasswordBearerOptions> = async (fastify, rawOptions) => {
  const options = resolveOptions(rawOptions)
  const names = options.decorators
  // Before anything is added: a second registration in this scope, or a name already taken, fails here.
  claimNames(fastify, names, options.sessions !== undefined)
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
    deadlines: storeDeadlines,
    userProperty: names.currentUser,
    claimsProperty: names.accessToken
  })
  decorateAll(fastify, names, sessions === undefined ? hooks : { ...hooks, revokeUserSessions: revokeUserSessions(sessions) })
  claimSchemeName(fastify, options.securitySchemeName)
  // Without @fastify/swagger yet: startup fails if it is registered later.
  const lateSwagger = openapi ? undefined : swaggerOrderCheck(fastify, options.securitySchemeName)

  // Every route may run a hook's `passError` form (inside @fastify/auth, say): its refusals are
  // answered like the hooks', unless the app handles errors itself. Routes protected by the plugin's
  // hooks log their URL without the query string, where a client may have put an access token
  // (through the app's own `req` serializer, or Fastify's), answer with no-store (unless they set
  // their own Cache-Control), and, with @fastify/swagger, get their OpenAPI `security`.
  fastify.addHook('onRoute', function markRoute (routeOptions) {
    answerPassedRefusals(routeOptions)
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
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import fastifyPasswordBearer from 'fastify-password-bearer'
 *
 * const app = Fastify()
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users })
 * app.get('/users/me', { preHandler: app.authenticate }, async (request) => request.currentUser)
 * ```
 */
export const fastifyPasswordBearer = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-password-bearer'
})
