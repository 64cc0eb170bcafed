/**
 * Answers of protected routes are per user: the plugin marks them `Cache-Control: no-store` and
 * `Vary: Authorization` (RFC 9111 §5.2.2.5, RFC 6750 §5.3), refusals included, unless the route set
 * its own `Cache-Control`. Every hook sets them when it runs, whatever its form (a scope's `addHook`,
 * awaited, @fastify/auth: places the plugin's route marker does not see). A route whose hooks the
 * marker sees sets them again in its `onSend`, after the handler: `Authorization` joins a `Vary`
 * that the handler wrote.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'

/** Marks the reply no-store and `Vary: Authorization`, unless it has its own `Cache-Control`. */
export function setNoStore (reply: FastifyReply): void {
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store')
  const vary = reply.getHeader('vary')
  if (vary === undefined) reply.header('vary', 'Authorization')
  else if (!/(^|,)\s*(authorization|\*)\s*(,|$)/i.test(String(vary))) reply.header('vary', `${String(vary)}, Authorization`)
}

function noStore (_request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void): void {
  setNoStore(reply)
  done(null, payload)
}

/** Appends the no-store hook to a route's own `onSend` hooks. */
export function markNoStore (routeOptions: RouteOptions): void {
  const existing = routeOptions.onSend
  routeOptions.onSend = existing === undefined ? [noStore] : [...(Array.isArray(existing) ? existing : [existing]), noStore] as RouteOptions['onSend']
}
