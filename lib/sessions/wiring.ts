/**
 * How the plugin wires sessions into an app: opening them (with the store's revocations loaded),
 * closing them with the app, and the `revokeUserSessions` decorator.
 */
import type { FastifyInstance } from 'fastify'
import { InvalidOptionError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import { Sessions } from './sessions.js'

/** Opens the sessions of one registration; undefined when refresh tokens and revocation are off. */
export async function openSessions (fastify: FastifyInstance, options: ResolvedOptions): Promise<Sessions | undefined> {
  if (options.sessions === undefined) return undefined
  const sessions = await Sessions.open({
    options: options.sessions,
    accessTokenTtl: options.accessTokenTtl,
    clockTolerance: options.clockTolerance,
    log: fastify.log
  })
  fastify.addHook('onClose', async () => { sessions.close() })
  return sessions
}

/**
 * `revokeUserSessions(userId)`: ends every session of a user (password change, account disabled,
 * "log out everywhere"). Rejects with `FST_PWB_TOKEN_STORE*` when the store fails.
 */
export function revokeUserSessions (sessions: Sessions): (userId: string) => Promise<void> {
  return async function revokeUserSessions (userId) {
    if (typeof userId !== 'string' || userId === '') {
      throw new InvalidOptionError('revokeUserSessions', 'expected the user id (the tokens\' sub), a non-empty string')
    }
    await sessions.revokeUser(userId)
  }
}
