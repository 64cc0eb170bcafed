/**
 * Answers a refusal that a hook's `passError` form passed on (a `BearerTokenError`, e.g. the final
 * error of @fastify/auth) exactly as the hooks answer it: status, `WWW-Authenticate` and the JSON
 * body, which Fastify's default error handler would replace with its own `{ error: "Unauthorized" }`.
 *
 * It is each route's own `errorHandler`, set by the plugin's onRoute hook on the routes that have
 * none. An app that handles errors itself (`setErrorHandler` in the route's scope or around it)
 * receives the `BearerTokenError` instead, and every other error goes on to the app's handlers (or
 * Fastify's) untouched.
 */
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify'
import { BearerTokenError } from '../errors.js'
import { sendError } from './answers.js'

type ErrorHandler = NonNullable<RouteOptions['errorHandler']>

/**
 * Fastify's default error handler, read from an instance of the app's Fastify with no handler of
 * its own: a scope whose `errorHandler` is this one has none from the app. (With a second copy of
 * Fastify in the app, no handler compares equal: BearerTokenError then goes to Fastify's default
 * handler, which keeps its status and headers.)
 */
let fastifyDefault: unknown
function defaultErrorHandler (): unknown {
  fastifyDefault ??= Fastify().errorHandler
  return fastifyDefault
}

function answerRefusals (error: FastifyError, request: FastifyRequest, reply: FastifyReply): unknown {
  if (error instanceof BearerTokenError && request.server.errorHandler === defaultErrorHandler()) {
    sendError(reply, error)
    return undefined
  }
  // On to the scope's handler. A thrown value that is not an Error must stay an error there:
  // Fastify only sends a rejected one as an error again (a thrown one would become the body).
  if (error instanceof Error) throw error
  return Promise.reject(error)
}

/** Gives a route without an `errorHandler` of its own the one that answers passed-on refusals. */
export function answerPassedRefusals (routeOptions: RouteOptions): void {
  if (routeOptions.errorHandler !== undefined) return
  defaultErrorHandler() // now, at registration, rather than on a request's error path
  routeOptions.errorHandler = answerRefusals as ErrorHandler
}
