/**
 * Which @fastify/swagger document the plugin publishes to: the document's presence when the plugin
 * is registered, and the startup check that @fastify/swagger did not come too late.
 */
import type { FastifyInstance } from 'fastify'
import { SwaggerOrderError } from '../errors.js'

/** The `swagger` decorator of @fastify/swagger visible from `instance`, or `undefined`. */
function swaggerOf (instance: FastifyInstance): object | undefined {
  if (!instance.hasDecorator('swagger')) return undefined
  const swagger: unknown = (instance as unknown as Record<string, unknown>).swagger
  return typeof swagger === 'function' ? swagger : undefined
}

/** Whether @fastify/swagger is registered in `instance` or a context around it. */
export function hasSwagger (instance: FastifyInstance): boolean {
  return swaggerOf(instance) !== undefined
}

/**
 * For a plugin registered before @fastify/swagger: notes whether @fastify/swagger shows up later
 * (seen from a protected route's context, or from the plugin's own at startup) and then fails
 * startup with `FST_PWB_SWAGGER_ORDER`. @fastify/swagger only sees the routes registered after
 * it, so the token route, and with it the scheme, cannot get into its document any more.
 */
export function swaggerOrderCheck (instance: FastifyInstance, schemeName: string): {
  /** Call from the plugin's onRoute hook, for a protected route, with the route's context. */
  routeAdded: (context: FastifyInstance) => void
} {
  let late = false
  instance.addHook('onReady', async function checkSwaggerOrder () {
    if (late || swaggerOf(instance) !== undefined) throw new SwaggerOrderError(schemeName)
  })
  return {
    routeAdded: (context) => {
      if (!late && swaggerOf(context) !== undefined) late = true
    }
  }
}
