/**
 * What a grant type (RFC 6749 §4) plugs into the token route with: the parameters it reads, a pure
 * parser of them, and a handler that answers with {@link issueToken}. The route dispatches on
 * `grant_type`; adding a grant is adding a file here and an entry in the grant list of route.ts.
 */
import type { FastifyRequest } from 'fastify'
import type { TokenParams } from '../request.js'
import type { TokenResponse } from '../issue.js'

export interface Grant<Parsed> {
  /** The `grant_type` value. */
  readonly type: string
  /** Form parameters the grant reads besides grant_type, client_id, client_secret and scope. */
  readonly params: readonly string[]
  /** Checks the grant's parameters; throws `OAuthError`. Pure, so it is property-tested alone. */
  parse (params: TokenParams): Parsed
  /** Answers a parsed request; throws `OAuthError` to refuse it. */
  handle (request: FastifyRequest, parsed: Parsed): Promise<TokenResponse>
}
