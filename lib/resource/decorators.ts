/**
 * The names the plugin decorates (`app.authenticate`, `request.currentUser`, ...), which the app may
 * change with the `decorators` option: their validation, the checks at registration (a name taken
 * by the app or another plugin, the plugin registered twice in one scope), and the decorating.
 */
import type { FastifyInstance } from 'fastify'
import { AlreadyRegisteredError, DecoratorPresentError, InvalidOptionError } from '../errors.js'
import { describe, unknownKeys } from '../option-values.js'
import type { DecoratorKey, DecoratorNames, PasswordBearerInstanceDecorators } from '../types.js'

export type ResolvedNames = Readonly<Record<DecoratorKey, string>>

const INSTANCE_KEYS = ['authenticate', 'authenticateOptional', 'requireScopes', 'revokeUserSessions'] as const
const REQUEST_KEYS = ['currentUser', 'accessToken'] as const
const KEYS: readonly DecoratorKey[] = [...INSTANCE_KEYS, ...REQUEST_KEYS]

export const DEFAULT_NAMES: ResolvedNames = Object.freeze({
  authenticate: 'authenticate',
  authenticateOptional: 'authenticateOptional',
  requireScopes: 'requireScopes',
  revokeUserSessions: 'revokeUserSessions',
  currentUser: 'currentUser',
  accessToken: 'accessToken'
})

// A name usable as `app.<name>` and `request.<name>`.
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/

/** The `decorators` option with defaults applied; throws `FST_PWB_INVALID_OPTION`. */
export function resolveNames (value: DecoratorNames | undefined): ResolvedNames {
  if (value === undefined) return DEFAULT_NAMES
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('decorators', `expected an object such as { authenticate: 'bearerAuth' }, got ${describe(value)}`)
  }
  unknownKeys('decorators', value, KEYS)
  const names: Record<string, string> = { ...DEFAULT_NAMES }
  for (const key of KEYS) {
    const name: unknown = value[key]
    if (name === undefined) continue
    if (typeof name !== 'string' || !IDENTIFIER.test(name) || name in Object.prototype) {
      throw new InvalidOptionError(`decorators.${key}`, `expected an identifier of at most 64 characters (letters, digits, _ or $, not starting with a digit) that is not a property of every object, got ${describe(name)}`)
    }
    names[key] = name
  }
  for (const group of [INSTANCE_KEYS, REQUEST_KEYS]) {
    for (const [i, key] of group.entries()) {
      const twin = group.slice(0, i).find((other) => names[other] === names[key])
      if (twin !== undefined) throw new InvalidOptionError(`decorators.${key}`, `"${names[key]}" is also the name of ${twin}; give each its own name`)
    }
  }
  return Object.freeze(names) as ResolvedNames
}

/** The scopes the plugin is registered in (fastify-plugin hands it the scope itself). */
const registeredScopes = new WeakSet<FastifyInstance>()
/** Every instance decorator of every registration, to tell the plugin's own from the app's. */
const ownDecorators = new WeakSet<object>()

/**
 * At registration, before anything is added: refuses a second registration in one scope
 * (`FST_PWB_ALREADY_REGISTERED`) and a name already decorated (`FST_PWB_DECORATOR_PRESENT`, naming the
 * option that renames it), instead of Fastify's FST_ERR_DEC_ALREADY_PRESENT halfway through.
 */
export function claimNames (instance: FastifyInstance, names: ResolvedNames, withSessions: boolean): void {
  if (registeredScopes.has(instance)) {
    throw new AlreadyRegisteredError('in this scope; register it once per scope, or give each registration a scope of its own (e.g. app.register(async (api) => { ... }, { prefix }))')
  }
  for (const key of INSTANCE_KEYS) {
    if (key === 'revokeUserSessions' && !withSessions) continue // decorated with sessions on only
    const name = names[key]
    if (!instance.hasDecorator(name)) continue
    if (ownDecorators.has((instance as unknown as Record<string, object>)[name] as object)) {
      throw new AlreadyRegisteredError(`in an enclosing scope, whose "${name}" this scope sees; register it once, or give this registration other names with the "decorators" option`)
    }
    throw new DecoratorPresentError(name, 'instance', `decorators.${key}`)
  }
  for (const key of REQUEST_KEYS) {
    if (instance.hasRequestDecorator(names[key])) throw new DecoratorPresentError(names[key], 'request', `decorators.${key}`)
  }
  registeredScopes.add(instance)
}

/**
 * Decorates the instance with the hooks (and `revokeUserSessions`, with sessions on) and the
 * request with its two properties, under `names`.
 */
export function decorateAll (
  instance: FastifyInstance,
  names: ResolvedNames,
  hooks: Omit<PasswordBearerInstanceDecorators, 'revokeUserSessions'> & Partial<PasswordBearerInstanceDecorators>
): void {
  for (const key of INSTANCE_KEYS) {
    if (hooks[key] === undefined) continue
    ownDecorators.add(hooks[key])
    instance.decorate(names[key], hooks[key] as unknown)
  }
  for (const key of REQUEST_KEYS) instance.decorateRequest(names[key], null)
}
