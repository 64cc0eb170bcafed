/**
 * Absolute URLs of the plugin's routes, built from a configured base URL (the issuer, or the
 * resource) and the route's full path, never from a request's Host header, which any client sets.
 */

import type { FastifySchema } from 'fastify'

/** The schema of the discovery routes: left out of the app's OpenAPI document (@fastify/swagger's `hide`). */
export const HIDDEN = { hide: true } as FastifySchema

/** The well-known paths the plugin serves, under its route prefix. */
export const WELL_KNOWN = Object.freeze({
  jwks: '/.well-known/jwks.json',
  authorizationServer: '/.well-known/oauth-authorization-server',
  protectedResource: '/.well-known/oauth-protected-resource'
})

/**
 * `base` (an http(s) URL: the app's public origin, plus the path a proxy mounts the app under, if
 * any) followed by `path` (a route's full path, prefix included).
 *
 * @example absoluteUrl('https://api.example.com/', '/v1/token') // 'https://api.example.com/v1/token'
 */
export function absoluteUrl (base: string, path: string): string {
  return base.replace(/\/+$/, '') + path
}

/** A route prefix and a path as Fastify joins them: one slash between. */
export function joinPath (prefix: string, path: string): string {
  return prefix.replace(/\/+$/, '') + path
}
