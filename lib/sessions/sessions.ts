/**
 * The session state of one plugin instance: its token store (every call bounded in time and
 * failing with a coded error) and its local revocation list, kept current by the store's events.
 * The token endpoint starts families and revokes through it; `authenticate` reads the list.
 */
import type { FastifyBaseLogger } from 'fastify'
import { TokenStoreError, TokenStoreTimeoutError } from '../errors.js'
import { Deadlines } from '../stores/deadlines.js'
import type { RefreshFamily, Revocation, TokenStore } from '../stores/token-store.js'
import { callStore, type StoreErrors } from '../stores/user-store.js'
import { newFamilyId, newRefreshToken, shardKey } from './refresh-token.js'
import { RevocationView } from './revocation-view.js'
import type { SessionOptions } from './session-options.js'

const TOKEN_STORE_ERRORS: StoreErrors = {
  failed: (cause) => Object.assign(new TokenStoreError('it threw or rejected'), { cause }),
  timedOut: (ms) => new TokenStoreTimeoutError(ms)
}

// The longest wait for the next second before issuing (see RevocationView.issueDelay); longer
// only when clocks disagree, and then a token issued after the wait is refused all the same.
const MAX_ISSUE_DELAY = 2000

/** Who a session belongs to. */
export interface SessionUser {
  id: string
  username: string
}

export interface SessionDeps {
  options: SessionOptions
  /** Seconds: how long an access token lives, and the clock tolerance on its expiry. */
  accessTokenTtl: number
  clockTolerance: number
  log: FastifyBaseLogger
}

function isRevocation (value: unknown): value is Revocation {
  if (value === null || typeof value !== 'object') return false
  const r = value as Record<string, unknown>
  if (typeof r.expiresAt !== 'number') return false
  return r.type === 'access-token'
    ? typeof r.jti === 'string'
    : r.type === 'user' && typeof r.subject === 'string' && typeof r.notBefore === 'number'
}

export class Sessions {
  /** Refresh-token lifetimes in seconds; undefined when refresh tokens are off. */
  readonly refresh: SessionOptions['refresh']
  /** Path of the revocation route. */
  readonly revokeUrl: string
  readonly view = new RevocationView()
  readonly #store: TokenStore
  readonly #deadlines: Deadlines
  /** How long after a user's not-before time their last earlier token can still be valid, in ms. */
  readonly #userRevocationLife: number
  #stop: (() => void) | undefined

  private constructor (deps: SessionDeps) {
    this.refresh = deps.options.refresh
    this.revokeUrl = deps.options.revokeUrl
    this.#store = deps.options.store
    this.#deadlines = new Deadlines(deps.options.storeTimeout)
    // +1 s: a token's iat is rounded down to the second.
    this.#userRevocationLife = (deps.accessTokenTtl + deps.clockTolerance + 1) * 1000
  }

  /**
   * Subscribes to the store's revocations and loads those in force: registration fails
   * (`FST_PWB_TOKEN_STORE*`) rather than start without knowing which tokens are revoked.
   */
  static async open (deps: SessionDeps): Promise<Sessions> {
    const sessions = new Sessions(deps)
    sessions.#stop = sessions.#store.onRevocation((revocation) => {
      if (isRevocation(revocation)) sessions.view.apply(revocation)
      else deps.log.error({ event: 'revocation', outcome: 'error' }, 'the token store sent a malformed revocation; ignored')
    })
    try {
      const loaded = await sessions.call((store) => store.loadRevocations(Date.now()))
      if (!Array.isArray(loaded)) throw new TokenStoreError('loadRevocations() did not resolve to an array')
      for (const revocation of loaded) if (isRevocation(revocation)) sessions.view.apply(revocation)
    } catch (err) {
      sessions.close()
      throw err
    }
    return sessions
  }

  /** Calls the store within `tokenStoreTimeout`; failures become `FST_PWB_TOKEN_STORE*` errors. */
  call<T> (fn: (store: TokenStore) => Promise<T>): Promise<T> {
    return callStore(() => fn(this.#store), this.#deadlines, TOKEN_STORE_ERRORS)
  }

  /** Waits, when needed, until a token issued to `subject` is not refused by their not-before time. */
  async beforeIssuing (subject: string): Promise<void> {
    const delay = this.view.issueDelay(subject)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(delay, MAX_ISSUE_DELAY)))
  }

  /**
   * Starts a refresh-token family at a login; resolves to its first token, or to `undefined` when
   * the store refused it (the user's sessions were ended while they logged in).
   */
  async startFamily (user: SessionUser, scopes: readonly string[], clientId: string): Promise<string | undefined> {
    const { absoluteTtl, idleTtl } = this.refresh as NonNullable<SessionOptions['refresh']>
    const now = Date.now()
    const family: RefreshFamily = {
      id: newFamilyId(),
      shard: shardKey(user.id),
      subject: user.id,
      username: user.username,
      scopes: [...scopes],
      clientId,
      createdAt: now,
      expiresAt: now + absoluteTtl * 1000,
      idleExpiresAt: now + idleTtl * 1000
    }
    const { token, ref } = newRefreshToken(family.shard, family.id)
    return await this.call((store) => store.createFamily(family, ref.hash)) ? token : undefined
  }

  /**
   * Ends every session of a user: their families, and every access token issued to them until
   * now. Resolves to the number of families ended.
   */
  async revokeUser (subject: string): Promise<number> {
    const notBefore = Date.now()
    const expiresAt = notBefore + this.#userRevocationLife
    const ended = await this.call((store) => store.revokeUser({ subject, shard: shardKey(subject) }, notBefore, expiresAt))
    // Applied here too: a shared store's event may come later, and this instance must refuse at once.
    this.view.apply({ type: 'user', subject, notBefore, expiresAt })
    return ended
  }

  /** Refuses an access token until `expiresAt` (ms). */
  async revokeAccessToken (jti: string, expiresAt: number): Promise<void> {
    await this.call((store) => store.revokeAccessToken(jti, expiresAt, Date.now()))
    this.view.apply({ type: 'access-token', jti, expiresAt })
  }

  /** Stops listening to the store. */
  close (): void {
    this.#stop?.()
    this.#stop = undefined
  }
}
