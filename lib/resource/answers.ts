/**
 * The resource hooks' refusals (RFC 6750 §3): status, `WWW-Authenticate` challenge and JSON body,
 * each built once per plugin instance.
 */
import type { FastifyReply } from 'fastify'
import { RESOURCE_ERRORS, type ResourceErrorCode } from '../errors.js'
import { buildChallenge } from './bearer-token.js'

/** A prepared error answer. */
export interface Answer {
  statusCode: number
  /** The `WWW-Authenticate` value; none for a server-side failure (see below). */
  challenge: string | undefined
  body: string
}

function answer (code: ResourceErrorCode, realm: string, resourceMetadata: string | undefined, scope?: string): Answer {
  const { statusCode, error, message } = RESOURCE_ERRORS[code]
  return {
    statusCode,
    // RFC 6750 §3 defines challenges for the client's errors only. A client that sees one may drop
    // its token and log the user out, which an outage of the server's user store must not cause.
    challenge: statusCode >= 500 ? undefined : buildChallenge({ realm, error, scope, resourceMetadata }),
    body: JSON.stringify({ statusCode, code, error: error ?? 'unauthorized', message })
  }
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
  if (a.challenge !== undefined) reply.header('www-authenticate', a.challenge)
  reply.code(a.statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .send(a.body)
}
