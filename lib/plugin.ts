/**
 * Wiring only: validates options, registers @fastify/jwt and the token route in a child context,
 * decorates the app with the hooks, and marks protected routes for @fastify/swagger.
 */
import fastifyJwt, { type FastifyJWTOptions, type JWT } from '@fastify/jwt'
import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import { createAuthenticators } from './resource/hooks.js'
import { isCanonicalJws } from './resource/bearer-token.js'
import { Deadlines } from './stores/deadlines.js'
import { Limiter } from './endpoint/limiter.js'
import { serializeRequest } from './log.js'
import { markProtectedRoute, routeProtection } from './openapi/openapi.js'
import { resolveOptions } from './options.js'
import { createDummyHash } from './endpoint/password-hash.js'
import { tokenRoute } from './endpoint/route.js'
import type { AccessTokenClaims, AuthenticateHook, FastifyPasswordBearerOptions, PasswordBearerUser } from './types.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Requires a valid Bearer access token (401/400 otherwise). Use as `onRequest` or `preHandler`. */
    authenticate: AuthenticateHook
    /** Like `authenticate`, but a request without an Authorization header passes as a guest. */
    authenticateOptional: AuthenticateHook
    /** Requires a valid token that carries every named scope (403 `insufficient_scope` otherwise). */
    requireScopes: (...scopes: string[]) => AuthenticateHook
  }
  interface FastifyRequest {
    /** The authenticated user, or `null` (no hook ran, or a guest under `authenticateOptional`). */
    currentUser: PasswordBearerUser | null
    /** The verified access token's claims, or `null`. */
    accessToken: Readonly<AccessTokenClaims> | null
  }
}

// fast-jwt's signer takes `typ`; @fastify/jwt's types do not list it.
const SIGN_OPTIONS = { algorithm: 'HS256', typ: 'at+jwt' } as FastifyJWTOptions['sign']

const JWT_NAMESPACE = 'passwordBearer'

const plugin: FastifyPluginAsync<FastifyPasswordBearerOptions> = async (fastify, rawOptions) => {
  const options = resolveOptions(rawOptions)
  const limiter = new Limiter(options.maxConcurrentHashes, options.maxQueuedHashes)
  // The time limit (userLookupTimeout) of every user-store call, on the token route and in
  // loadUser alike, kept with one timer.
  const storeDeadlines = new Deadlines(options.userLookupTimeout)
  const dummyHash = await createDummyHash(options.hash)
  const openapi = fastify.hasDecorator('swagger')

  let verify: ((token: string) => unknown) | undefined

  // @fastify/jwt lives in this child context: its decorators (fastify.jwt, request.user, ...) do not
  // leak to the app, which may register @fastify/jwt for its own purposes.
  await fastify.register(async function passwordBearerToken (child) {
    // The namespace and decorator names keep clear of an app that registered @fastify/jwt itself
    // (whose decorators this child context inherits).
    await child.register(fastifyJwt, {
      namespace: JWT_NAMESPACE,
      decoratorName: 'passwordBearerUser',
      jwtVerify: 'passwordBearerJwtVerify',
      jwtDecode: 'passwordBearerJwtDecode',
      jwtSign: 'passwordBearerJwtSign',
      secret: options.secret,
      sign: SIGN_OPTIONS,
      verify: {
        algorithms: ['HS256'],
        allowedIss: options.issuer,
        allowedAud: options.audience,
        checkTyp: 'at+jwt',
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
        clockTolerance: options.clockTolerance * 1000,
        // Verified tokens are cached in front of fast-jwt (claims-reader.ts, verifyCacheSize): its own
        // cache would hash every token and also keep failures, which a token spray could fill.
        cache: false
      }
    })
    const jwt = (child.jwt as unknown as Record<string, JWT>)[JWT_NAMESPACE] as JWT
    verify = (token) => {
      // fast-jwt decodes base64url leniently and checks `iat` only with maxAge: both are enforced here.
      if (!isCanonicalJws(token)) throw new Error('not a canonical compact JWS')
      const claims = jwt.verify<Record<string, unknown>>(token)
      if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) throw new Error('iat is not a number')
      return claims
    }
    await tokenRoute(child, {
      options,
      openapi,
      sign: (payload) => jwt.sign(payload),
      login: {
        users: options.users,
        limiter,
        dummyHash,
        hash: options.hash,
        deadlines: storeDeadlines
      }
    })
  })

  // The child context above is loaded (awaited), so `verify` is set. It accepts HS256 with
  // options.secret only, so the hooks may refuse a token whose HMAC does not match before calling it.
  const hooks = createAuthenticators(options, verify as (token: string) => unknown, storeDeadlines, options.secret)
  fastify.decorate('authenticate', hooks.authenticate)
  fastify.decorate('authenticateOptional', hooks.authenticateOptional)
  fastify.decorate('requireScopes', hooks.requireScopes)
  fastify.decorateRequest('currentUser', null)
  fastify.decorateRequest('accessToken', null)

  // Routes protected by the plugin's hooks log their URL without the query string, where a client
  // may have put an access token (unless the route sets its own `req` log serializer), and, with
  // @fastify/swagger, get their OpenAPI `security`.
  fastify.addHook('onRoute', (routeOptions) => {
    const protection = routeProtection(routeOptions, hooks.registry)
    if (protection === undefined) return
    if (!Object.hasOwn(routeOptions.logSerializers ?? {}, 'req')) {
      routeOptions.logSerializers = Object.assign(Object.create(routeOptions.logSerializers ?? null), { req: serializeRequest })
    }
    if (openapi) markProtectedRoute(routeOptions, protection, options.securitySchemeName)
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
