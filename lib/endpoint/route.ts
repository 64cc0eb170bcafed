/**
 * The encapsulated token route (RFC 6749 §4.3, §5.1, §5.2): its form parser, error handler and
 * headers stay inside this child context and never change the app's other routes.
 */
import formbody from '@fastify/formbody'
import { STATUS_CODES } from 'node:http'
import type { FastifyContextConfig, FastifyError, FastifyInstance, FastifySchema, FastifyReply, FastifyRequest } from 'fastify'
import type { AccessTokenFormat } from '../access-token/format.js'
import { OAuthError, RETRY_AFTER, TokenStoreError, TokenStoreTimeoutError, UserStoreTimeoutError } from '../errors.js'
import { serializeRequest } from '../log.js'
import { addSecurityScheme } from '../openapi/scheme.js'
import { revocationRouteSchema } from '../openapi/revocation-route-schema.js'
import { tokenRouteSchema } from '../openapi/token-route-schema.js'
import type { EndpointOptions } from '../options.js'
import type { Sessions } from '../sessions/sessions.js'
import type { LoginDeps } from './credentials.js'
import type { Grant } from './grants/grant.js'
import { createPasswordGrant } from './grants/password.js'
import { createRefreshGrant } from './grants/refresh.js'
import { createIssuer, type TokenResponse } from './issue.js'
import { checkBodyEncoding, parseTokenRequest } from './request.js'
import { createRevocation } from './revocation.js'
import { createThrottle } from './throttle.js'

/** What the token route needs from the plugin. */
export interface TokenRouteDeps {
  options: EndpointOptions
  login: LoginDeps
  format: AccessTokenFormat
  /** Whether @fastify/swagger is registered (the scheme is then published through this route). */
  openapi: boolean
  /** Refresh tokens and revocation, when on. */
  sessions: Sessions | undefined
}

const SERVER_ERROR_DESCRIPTION = 'The server could not process the token request; try again later'

/**
 * The audit event of a refused token request: one per request, with a reason class (for operators;
 * the client only sees the RFC 6749 error) and, through request.log, the request id.
 */
function logRefusal (request: FastifyRequest, err: OAuthError): void {
  const outcome = err.error === 'slow_down' ? 'lockout' : err.statusCode >= 500 ? 'error' : 'failure'
  const fields = { event: auditEvent(request), outcome, reason: err.error, ...err.audit }
  const message = `${endpointOf(request)} request refused`
  if (outcome === 'failure' || (outcome === 'lockout' && err.audit.started !== true)) request.log.info(fields, message)
  else request.log.warn(fields, message)
}

function sendOAuthError (reply: FastifyReply, err: OAuthError): FastifyReply {
  reply.code(err.statusCode).headers(err.headers)
  return reply.send({ error: err.error, error_description: err.message })
}

function sendMethodNotAllowed (reply: FastifyReply, endpoint = 'token'): FastifyReply {
  reply.code(405).header('allow', 'POST')
  return reply.send({ error: 'invalid_request', error_description: `The ${endpoint} endpoint accepts POST only` })
}

/** An error thrown inside the token route's own handler that is not an {@link OAuthError}. */
class HandlerFault extends Error {
  constructor (readonly fault: unknown) {
    super('token route handler failed')
  }
}

/**
 * Maps the errors the token route raises itself (its throttle, its checks, its grants) and those
 * of reading its form body to RFC 6749 §5.2 responses. Any other error comes from the app (an
 * app-wide hook, @fastify/rate-limit registered globally, an access guard) and is rethrown to the
 * app's error handler, which answers it with its own status, headers and body.
 */
function handleError (this: FastifyInstance, error: FastifyError | OAuthError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof OAuthError) {
    logRefusal(request, error)
    return sendOAuthError(reply, error)
  }
  if (error instanceof HandlerFault) return sendFault(request, reply, error.fault)
  const code = (error as FastifyError).code
  if (!isBodyError(code)) throw error
  if (request.method !== 'POST') {
    // A body-carrying method (QUERY) can fail in body parsing before its 405 handler runs.
    return sendMethodNotAllowed(reply, endpointOf(request))
  }
  const description = code === 'FST_ERR_CTP_BODY_TOO_LARGE'
    ? 'The request body is too large'
    : code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
      ? 'Send the token request as application/x-www-form-urlencoded'
      : 'The request body could not be read as application/x-www-form-urlencoded'
  request.log.info({ event: auditEvent(request), outcome: 'failure', reason: 'invalid_request', code }, `unreadable ${endpointOf(request)} request`)
  return sendOAuthError(reply, new OAuthError('invalid_request', description))
}

/** Errors of reading the request body (content type, length, parsing), which the route answers itself. */
function isBodyError (code: unknown): code is string {
  return typeof code === 'string' && (code.startsWith('FST_ERR_CTP_') || code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE')
}

/**
 * The route's serializer. Its own answers are plain objects; an app error that Fastify's default
 * error handler sends on this route arrives as an object whose fields are inherited, and is
 * written as Fastify writes it elsewhere: `{ statusCode, code, error, message }`.
 */
function serialize (data: unknown): string {
  if (data !== null && typeof data === 'object' && Object.getPrototypeOf(data) !== Object.prototype) {
    const { statusCode = 500, code, message } = data as { statusCode?: number, code?: string, message?: string }
    return JSON.stringify({ statusCode, code, error: STATUS_CODES[statusCode], message })
  }
  return JSON.stringify(data)
}

/** Which endpoint of this context a request is for, from its route's config. */
function endpointOf (request: FastifyRequest): string {
  return (request.routeOptions.config as { endpoint?: string }).endpoint ?? 'token'
}

/** The audit event of a request: `login` on the token route, `revocation` on the revocation route. */
function auditEvent (request: FastifyRequest): string {
  const endpoint = endpointOf(request)
  return endpoint === 'token' ? 'login' : endpoint
}

/** A fault of the route's own work (a user store that failed, a bug): 503 or 500, no internals. */
function sendFault (request: FastifyRequest, reply: FastifyReply, fault: unknown): FastifyReply {
  if (fault instanceof TokenStoreError || fault instanceof TokenStoreTimeoutError) {
    request.log.error({ event: auditEvent(request), outcome: 'error', code: fault.code, err: fault }, 'the token store failed')
    return sendOAuthError(reply, new OAuthError('temporarily_unavailable', 'The session store is not answering: retry after the Retry-After delay', { 'retry-after': RETRY_AFTER.storeDown }))
  }
  if (fault instanceof UserStoreTimeoutError) {
    request.log.error({ event: 'login', outcome: 'error', code: fault.code }, 'user store timed out during login')
    return sendOAuthError(reply, new OAuthError('temporarily_unavailable', 'The user store is not answering: retry after the Retry-After delay', { 'retry-after': RETRY_AFTER.storeDown }))
  }
  request.log.error({ event: auditEvent(request), outcome: 'error', code: (fault as { code?: unknown }).code, err: fault }, `${endpointOf(request)} request failed`)
  return reply.code(500).send({ error: 'server_error', error_description: SERVER_ERROR_DESCRIPTION })
}

/** Registers POST {tokenUrl} and its 405 siblings in the (non-fp) child context it is given. */
export async function tokenRoute (child: FastifyInstance, deps: TokenRouteDeps): Promise<void> {
  const { options, login, format } = deps

  // Only form bodies are read here, whatever parsers the app has.
  child.removeAllContentTypeParsers()
  await child.register(formbody, { bodyLimit: options.tokenBodyLimit })
  child.setErrorHandler(handleError)
  const throttle = options.rateLimit === false
    ? undefined
    : await createThrottle(child, options.rateLimit, format.deriveKey('fastify-password-bearer/rate-limit'))
  child.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store')
    reply.header('pragma', 'no-cache')
    return payload
  })

  const { sessions } = deps
  const issue = createIssuer({ format, accessTokenTtl: options.accessTokenTtl, clientId: options.clientId, sessions })
  const grants = new Map<string, Grant<unknown>>()
  for (const grant of [
    createPasswordGrant({ limits: options, login, throttle, knownScopes: options.knownScopes, issue }),
    ...(sessions?.refresh !== undefined
      ? [createRefreshGrant({ sessions, idleTtl: sessions.refresh.idleTtl, users: login.users, deadlines: login.deadlines, throttle, knownScopes: options.knownScopes, issue })]
      : [])
  ] as Array<Grant<unknown>>) grants.set(grant.type, grant)

  const passthrough = () => serialize
  // What every POST route of this context shares.
  const post = {
    method: 'POST',
    bodyLimit: options.tokenBodyLimit,
    logSerializers: { req: serializeRequest },
    // Throttled per client address before the body is read.
    ...(throttle !== undefined ? { onRequest: (request: FastifyRequest) => throttle.checkAddress(request) } : {}),
    preParsing: async (request: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      checkBodyEncoding(request.headers['content-encoding'], request.headers['content-type'])
      return payload
    },
    // The schema documents the route; the handler validates by the RFC's rules, not by the app's AJV.
    validatorCompiler: () => () => true,
    serializerCompiler: passthrough
  } as const

  child.route({
    ...post,
    url: options.tokenUrl,
    schema: tokenRouteSchema(options, sessions?.refresh !== undefined),
    config: {
      ...(deps.openapi ? { swaggerTransform: addSecurityScheme(options, sessions?.refresh !== undefined) } : {}),
      // Read by the RFC 8414 metadata (lib/discovery/): the grants are those registered above.
      // Public clients only: a client secret is refused (request.ts).
      oauthMetadata: { endpoint: 'token_endpoint', grant_types_supported: [...grants.keys()], token_endpoint_auth_methods_supported: ['none'] }
    } as FastifyContextConfig,
    handler: async (request, reply): Promise<TokenResponse> => {
      try {
        const { grant, parsed } = parseTokenRequest(request.body, request.headers.authorization, grants, options.realm)
        const response = await grant.handle(request, parsed)
        reply.code(200)
        return response
      } catch (err) {
        throw err instanceof OAuthError ? err : new HandlerFault(err)
      }
    }
  })
  notAllowed(child, options.tokenUrl, 'token', passthrough)

  if (sessions !== undefined) {
    const revoke = createRevocation({ sessions, format, realm: options.realm })
    child.route({
      ...post,
      url: sessions.revokeUrl,
      schema: revocationRouteSchema(),
      config: {
        endpoint: 'revocation',
        // RFC 8414 metadata (lib/discovery/): public clients only, as on the token route.
        oauthMetadata: { endpoint: 'revocation_endpoint', revocation_endpoint_auth_methods_supported: ['none'] }
      } as FastifyContextConfig,
      handler: async (request, reply) => {
        try {
          await revoke(request)
        } catch (err) {
          throw err instanceof OAuthError ? err : new HandlerFault(err)
        }
        return reply.code(200).send()
      }
    })
    notAllowed(child, sessions.revokeUrl, 'revocation', passthrough)
  }
}

/** Every other method Fastify routes at `url` (HEAD comes with GET) answers 405, so none falls through to a 404. */
function notAllowed (child: FastifyInstance, url: string, endpoint: string, serializerCompiler: () => typeof serialize): void {
  child.route({
    method: child.supportedMethods.filter((m) => m !== 'POST' && m !== 'HEAD'),
    url,
    logSerializers: { req: serializeRequest },
    schema: { hide: true } as FastifySchema,
    serializerCompiler,
    config: { endpoint } as FastifyContextConfig,
    handler: async (_request, reply) => sendMethodNotAllowed(reply, endpoint)
  })
}
