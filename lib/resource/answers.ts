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
  challenge: string
  body: string
}

function answer (code: ResourceErrorCode, realm: string, scope?: string): Answer {
  const { statusCode, error, message } = RESOURCE_ERRORS[code]
  return {
    statusCode,
    challenge: buildChallenge({ realm, error, scope }),
    body: JSON.stringify({ statusCode, code, error: error ?? 'unauthorized', message })
  }
}

/** Every answer of one realm; `insufficientScope` names the scopes a route requires. */
export function answers (realm: string) {
  return {
    noToken: answer('FST_PWB_NO_TOKEN', realm),
    invalidRequest: answer('FST_PWB_INVALID_REQUEST', realm),
    invalidToken: answer('FST_PWB_INVALID_TOKEN', realm),
    serverError: answer('FST_PWB_SERVER_ERROR', realm),
    unavailable: answer('FST_PWB_UNAVAILABLE', realm),
    insufficientScope: (scopes: string) => answer('FST_PWB_INSUFFICIENT_SCOPE', realm, scopes)
  }
}

export function send (reply: FastifyReply, a: Answer): void {
  reply.code(a.statusCode)
    .header('www-authenticate', a.challenge)
    .header('content-type', 'application/json; charset=utf-8')
    .send(a.body)
}
