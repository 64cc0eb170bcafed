/**
 * OpenAPI `security` requirements on every route protected by the plugin's hooks, derived from the
 * hooks the route really uses.
 */
import type { RouteOptions } from 'fastify'

/** How a hook protects a route, recorded for the OpenAPI document. */
export interface HookSecurity {
  scopes: readonly string[]
  optional: boolean
}

type HookList = RouteOptions['onRequest'] | RouteOptions['preHandler']

function hooksOf (value: HookList): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

/**
 * How the plugin's hooks in a route's `onRequest` and `preHandler` protect it (scopes of every
 * hook together; optional only when every hook is), or `undefined` when none of them is there.
 */
export function routeProtection (
  routeOptions: RouteOptions,
  registry: WeakMap<object, HookSecurity>
): HookSecurity | undefined {
  let found = false
  let optional = true
  const scopes = new Set<string>()
  for (const hook of [...hooksOf(routeOptions.onRequest), ...hooksOf(routeOptions.preHandler)]) {
    if (typeof hook !== 'function') continue
    const security = registry.get(hook)
    if (security === undefined) continue
    found = true
    if (!security.optional) optional = false
    for (const scope of security.scopes) scopes.add(scope)
  }
  return found ? { scopes: [...scopes], optional } : undefined
}

/**
 * Adds `security: [{ <scheme>: [scopes] }]` to a protected route (an optional-auth route also gets
 * `{}`, "anonymous allowed"). A `security` the app wrote is kept. The schema object is copied,
 * never mutated: apps share schema objects between routes.
 */
export function markProtectedRoute (
  routeOptions: RouteOptions,
  protection: HookSecurity,
  schemeName: string
): void {
  const schema = (routeOptions.schema ?? {}) as Record<string, unknown>
  if (schema.security !== undefined) return
  const requirement = [{ [schemeName]: [...protection.scopes] }]
  routeOptions.schema = { ...schema, security: protection.optional ? [...requirement, {}] : requirement } as RouteOptions['schema']
}
