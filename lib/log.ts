/**
 * Log serializers that keep secrets out of logs. Fastify's default request serializer logs the URL
 * with its query string, where a careless client may put a password or token.
 */
import type { FastifyRequest } from 'fastify'

/**
 * A logged request: method, path without query string, and the peer. No headers, no body.
 * A type alias, not an interface: Fastify's logger `serializers.req` type needs an indexable type.
 *
 * @example
 * <!-- context:
 * import type { FastifyRequest } from 'fastify'
 * declare const request: FastifyRequest
 * -->
 * ```ts
 * import { serializeRequest, type SafeRequestLog } from 'fastify-password-bearer'
 *
 * const logged: SafeRequestLog = serializeRequest(request) // { method, url (no query string), ... }
 * ```
 */
export type SafeRequestLog = {
  method: string
  url: string
  host: string | undefined
  remoteAddress: string | undefined
  remotePort: number | undefined
}

/**
 * Strips the query string and fragment from a URL.
 *
 * @example
 * ```ts
 * import { stripQuery } from 'fastify-password-bearer'
 *
 * stripQuery('/items?access_token=secret#top') // '/items'
 * ```
 */
export function stripQuery (url: string | undefined): string {
  if (url === undefined) return ''
  const q = url.search(/[?#]/)
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Request serializer for the Fastify logger: like Fastify's own, but the URL has no query string.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { serializeRequest } from 'fastify-password-bearer'
 *
 * const app = Fastify({ logger: { serializers: { req: serializeRequest } } })
 * ```
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
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { serializers } from 'fastify-password-bearer'
 *
 * const app = Fastify({ logger: { serializers } }) // request URLs logged without their query string
 * ```
 */
export const serializers = Object.freeze({ req: serializeRequest })

type Serializer = (value: any) => unknown
type SerializerMap = Record<string, Serializer>

/** Where pino keeps a logger's serializers (a registered symbol: the same in every copy of pino). */
const PINO_SERIALIZERS = Symbol.for('pino.serializers')

/** Serializers that already log URLs without their query string. */
const queryFree = new WeakSet<Serializer>([serializeRequest])

/** `text` with every occurrence of the request URL replaced by its path. */
function replaceUrl (text: string, url: string, path: string): string {
  return text.includes(url) ? text.split(url).join(path) : text
}

/**
 * A `req` serializer that logs what `serializer` logs, with the query string (and fragment) taken
 * out of the URL: the `url` field, and any other top-level text that holds the request URL.
 */
export function withoutQueryString (serializer: Serializer): Serializer {
  if (queryFree.has(serializer)) return serializer
  const stripped = function serializeRequestWithoutQuery (request: unknown): unknown {
    const logged = serializer(request)
    const url = (request as { url?: unknown } | null | undefined)?.url
    if (typeof url !== 'string') return logged
    const path = stripQuery(url)
    if (path === url) return logged
    if (typeof logged === 'string') return replaceUrl(logged, url, path)
    if (logged === null || typeof logged !== 'object' || Array.isArray(logged)) return logged
    const copy: Record<string, unknown> = { ...logged }
    for (const [key, value] of Object.entries(copy)) {
      if (typeof value === 'string') copy[key] = key === 'url' ? stripQuery(value) : replaceUrl(value, url, path)
    }
    return copy
  }
  queryFree.add(stripped)
  return stripped
}

/**
 * A protected route's `logSerializers`: the ones it has, with its `req` serializer (the route's, its
 * context's `logSerializers`, else the logger's, i.e. the app's own or Fastify's default) wrapped by
 * `withoutQueryString`.
 */
export function requestLogSerializers (routeSerializers: unknown, logger: object): SerializerMap {
  const chain = (routeSerializers ?? null) as SerializerMap | null
  const loggerSerializers = (logger as Record<symbol, SerializerMap | undefined>)[PINO_SERIALIZERS]
  const base = [chain?.req, loggerSerializers?.req].find((candidate) => typeof candidate === 'function') ?? serializeRequest
  return Object.assign(Object.create(chain) as SerializerMap, { req: withoutQueryString(base) })
}

/**
 * pino `redact` paths for apps that log request headers or bodies: Authorization and Cookie
 * headers, and password/token fields.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { redactPaths, serializers } from 'fastify-password-bearer'
 *
 * const app = Fastify({ logger: { serializers, redact: { paths: [...redactPaths], censor: '[redacted]' } } })
 * ```
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
