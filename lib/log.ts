/**
 * Log serializers that keep secrets out of logs. Fastify's default request serializer logs the URL
 * with its query string, where a careless client may put a password or token.
 */
import type { FastifyRequest } from 'fastify'

/**
 * A logged request: method, path without query string, and the peer. No headers, no body.
 * A type alias, not an interface: Fastify's logger `serializers.req` type needs an indexable type.
 */
export type SafeRequestLog = {
  method: string
  url: string
  host: string | undefined
  remoteAddress: string | undefined
  remotePort: number | undefined
}

/** Strips the query string and fragment from a URL. */
export function stripQuery (url: string | undefined): string {
  if (url === undefined) return ''
  const q = url.search(/[?#]/)
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Request serializer for the Fastify logger: like Fastify's own, but the URL has no query string.
 *
 * @example
 * Fastify({ logger: { serializers: { req: serializeRequest } } })
 */
export function serializeRequest (request: FastifyRequest): SafeRequestLog {
  return {
    method: request.method,
    url: stripQuery(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/**
 * Serializers for `Fastify({ logger: { serializers } })`: requests are logged without their query
 * string. The plugin applies them to its own token route in any case.
 */
export const serializers = Object.freeze({ req: serializeRequest })

/**
 * pino `redact` paths for apps that log request headers or bodies: Authorization and Cookie
 * headers, and password/token fields.
 */
export const redactPaths: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'body.password',
  'body.client_secret',
  'body.access_token',
  'password',
  'access_token'
])
