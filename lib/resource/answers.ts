/**
 * The resource hooks' refusals (RFC 6750 §3): status, headers (the `WWW-Authenticate` challenge,
 * `Retry-After`) and JSON body, each built once per plugin instance; sent by the hooks, or carried
 * by a `BearerTokenError` when a hook passes its refusal on.
 */
import type { FastifyReply } from 'fastify'
import { BearerTokenError, RESOURCE_ERRORS, resourceErrorBody, RETRY_AFTER, type ResourceErrorCode } from '../errors.js'
import { buildChallenge } from './bearer-token.js'

/** A prepared error answer. */
export interface Answer {
  code: ResourceErrorCode
  statusCode: number
  headers: Readonly<Record<string, string>>
  body: string
}

const JSON_TYPE = 'application/json; charset=utf-8'

function answer (code: ResourceErrorCode, realm: string, resourceMetadata: string | undefined, scope?: string): Answer {
  const { statusCode, error } = RESOURCE_ERRORS[code]
  const headers: Record<string, string> = {}
  // RFC 6750 §3 defines challenges for the client's errors only. A client that sees one may drop
  // its token and log the user out, which an outage of the server's user store must not cause.
  if (statusCode < 500) headers['www-authenticate'] = buildChallenge({ realm, error, scope, resourceMetadata })
  if (code === 'FST_PWB_UNAVAILABLE') headers['retry-after'] = RETRY_AFTER.storeDown
  return { code, statusCode, headers: Object.freeze(headers), body: JSON.stringify(resourceErrorBody(code)) }
}

/**
 * Every answer of one realm; `insufficientScope` names the scopes a route requires. With
 * `resourceMetadata`, every challenge points at the RFC 9728 metadata.
 */
export function answers (realm: string, resourceMetadata?: string) {
  return {
    noToken: answer('FST_PWB_NO_TOKEN', realm, resourceMetadata),
    invalidRequest: answer('FST_PWB_INVALID_REQUEST', realm, resourceMetadata),
    tokenInQuery: answer('FST_PWB_TOKEN_IN_QUERY', realm, resourceMetadata),
    multipleCredentials: answer('FST_PWB_MULTIPLE_CREDENTIALS', realm, resourceMetadata),
    invalidToken: answer('FST_PWB_INVALID_TOKEN', realm, resourceMetadata),
    serverError: answer('FST_PWB_SERVER_ERROR', realm, resourceMetadata),
    unavailable: answer('FST_PWB_UNAVAILABLE', realm, resourceMetadata),
    insufficientScope: (scopes: string) => answer('FST_PWB_INSUFFICIENT_SCOPE', realm, resourceMetadata, scopes)
  }
}

export function send (reply: FastifyReply, a: Answer): void {
  reply.code(a.statusCode)
    .headers(a.headers)
    .header('content-type', JSON_TYPE)
    .send(a.body)
}

/** The refusal `a` as an error, for a hook that passes it on. */
export function refusalError (a: Answer): BearerTokenError {
  return new BearerTokenError(a.code, a.headers)
}

/** Answers a passed-on refusal exactly as the hooks answer it themselves. */
export function sendError (reply: FastifyReply, err: BearerTokenError): void {
  reply.code(err.statusCode)
    .headers(err.headers)
    .header('content-type', JSON_TYPE)
    .send(JSON.stringify(err))
}
