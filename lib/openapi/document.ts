/**
 * Which @fastify/swagger document the plugin publishes to: the document's presence when the plugin
 * is registered, one scheme name per registration in a document, and the startup check that
 * @fastify/swagger did not come too late.
 */
import type { FastifyInstance } from 'fastify'
import { DuplicateSecuritySchemeError, SwaggerOrderError } from '../errors.js'

/**
 * The scheme names published in each document, by the document's `swagger` decorator (one per
 * @fastify/swagger registration). Module-wide: two registrations of the plugin share it.
 */
const publishedSchemes = new WeakMap<object, Set<string>>()

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
 * At registration: takes the scheme name in the document of the @fastify/swagger around `instance`
 * (without one, there is nothing to take). A second registration of the plugin with the same name
 * throws `FST_PWB_DUPLICATE_SCHEME` (a document holds one scheme of a name, with one `tokenUrl`).
 */
export function claimSchemeName (instance: FastifyInstance, name: string): void {
  const swagger = swaggerOf(instance)
  if (swagger === undefined) return
  let names = publishedSchemes.get(swagger)
  if (names === undefined) {
    names = new Set()
    publishedSchemes.set(swagger, names)
  }
  if (names.has(name)) throw new DuplicateSecuritySchemeError(name)
  names.add(name)
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
