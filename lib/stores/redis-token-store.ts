/**
 * The Redis {@link TokenStore}: the plugin's session state shared by every instance that uses the
 * same Redis (a single server or a Redis Cluster), through an ioredis client the app passes.
 *
 * - Every operation is one Lua script (redis-scripts.ts): atomic and one round trip, so two
 *   concurrent refreshes of one token can never both succeed. "Log out everywhere" is two: the
 *   user's families and not-before time in the user's slot first, then the revocation list.
 * - Every key expires with its data: a family at its idle end, a user's index with their last
 *   family or not-before time, the revocation list with its last entry.
 * - Revocations reach every instance by pub/sub on a connection of its own (redis-revocation-feed.ts).
 * - Every call is bounded by `timeout`: a Redis that is down or slow gets a rejection
 *   (`FST_PWB_REDIS_TIMEOUT`, or ioredis's error), which the plugin answers with 503. A rotation
 *   whose answer comes after its caller was told it failed is taken back, so the client's token
 *   still works when it retries: nothing stays half-rotated.
 *
 * ioredis is not a dependency of this package: the app installs it and passes its client; the
 * store relies on the few methods of {@link RedisClient}.
 */
import { randomBytes } from 'node:crypto'
import { InvalidOptionError, RedisTimeoutError } from '../errors.js'
import { describe, integerOption } from '../option-values.js'
import { RevocationFeed, type FeedLogger, type SubscriberConnection } from './redis-revocation-feed.js'
import { SCRIPTS, type ScriptName } from './redis-scripts.js'
import type { RefreshFamily, RefreshTokenRef, Revocation, RevocationListener, RotateResult, TokenStore, UserRef } from './token-store.js'

/**
 * The part of an ioredis client the store uses: `new Redis(...)` and `new Cluster(...)` both fit.
 * The store defines its scripts on it (`defineCommand`) and opens its subscriber with `duplicate()`.
 *
 * @example
 * ```ts
 * import { Cluster, Redis } from 'ioredis'
 * import type { RedisClient } from 'fastify-password-bearer'
 *
 * const single: RedisClient = new Redis(process.env.REDIS_URL!)
 * const cluster: RedisClient = new Cluster([{ host: '10.0.0.1', port: 6379 }])
 * ```
 */
export interface RedisClient {
  defineCommand (name: string, definition: { numberOfKeys: number, lua: string }): void
  duplicate (): SubscriberConnection
  readonly options?: { readonly keyPrefix?: string | undefined }
}

/**
 * Options of {@link RedisTokenStore}.
 *
 * @example
 * <!-- context:
 * import type { FastifyInstance } from 'fastify'
 * import 'fastify-password-bearer'
 * declare const app: FastifyInstance
 * -->
 * ```ts
 * import { Redis } from 'ioredis'
 * import { RedisTokenStore, type RedisTokenStoreOptions } from 'fastify-password-bearer'
 *
 * const options: RedisTokenStoreOptions = { client: new Redis(process.env.REDIS_URL!), prefix: 'shop:sessions:', logger: app.log }
 * const tokenStore = new RedisTokenStore(options)
 * ```
 */
export interface RedisTokenStoreOptions {
  /** An ioredis client: `new Redis(url)` or `new Cluster(nodes)`. The store does not close it. */
  client: RedisClient
  /**
   * Prefix of every key and of the pub/sub channel. Stores that share a prefix share their state.
   * No braces: the store adds its own hash tags.
   * @default 'fastify-password-bearer:'
   */
  prefix?: string
  /**
   * Milliseconds a call may take before it is rejected with `FST_PWB_REDIS_TIMEOUT`. Keep it below
   * the plugin's `tokenStoreTimeout`, so that the store, which takes back a rotation answered too
   * late, is the one that gives up.
   * @default 1000
   */
  timeout?: number
  /**
   * Rotated hashes kept per family for reuse detection (the most recent ones).
   * @default 8
   */
  rotatedPerFamily?: number
  /**
   * How often, in milliseconds, each instance reloads the whole revocation list, in case a pub/sub
   * message was lost on a connection that died silently.
   * @default 30000
   */
  resyncInterval?: number
  /** Where to log the subscriber's outages and recoveries (the app's logger: `app.log`). */
  logger?: FeedLogger
}

export const REDIS_TOKEN_STORE_DEFAULTS = Object.freeze({
  prefix: 'fastify-password-bearer:',
  timeout: 1000,
  rotatedPerFamily: 8,
  resyncInterval: 30_000
})

/** What a script resolves to, before it is read. */
type Reply = string | number | null | Reply[]
type Script = (...args: Array<string | number>) => Promise<Reply>

/** The family's fields that never change, as the store keeps them (JSON). */
type FixedFields = Omit<RefreshFamily, 'idleExpiresAt'>

/**
 * @example
 * <!-- context:
 * import type { UserStore } from 'fastify-password-bearer'
 * declare const users: UserStore
 * -->
 * ```ts
 * import Fastify from 'fastify'
 * import { Redis } from 'ioredis'
 * import fastifyPasswordBearer, { RedisTokenStore } from 'fastify-password-bearer'
 *
 * const app = Fastify({ logger: true })
 * const redis = new Redis(process.env.REDIS_URL!)
 * const tokenStore = new RedisTokenStore({ client: redis, logger: app.log })
 * app.addHook('onClose', async () => { tokenStore.close(); await redis.quit() })
 * await app.register(fastifyPasswordBearer, { secret: process.env.JWT_SECRET!, users, refreshTokens: true, tokenStore })
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly #scripts: Record<ScriptName, Script>
  readonly #prefix: string
  /** The client's own key prefix plus ours: keys named inside scripts are not prefixed by ioredis. */
  readonly #fullPrefix: string
  readonly #timeout: number
  readonly #rotatedPerFamily: number
  readonly #feed: RevocationFeed

  constructor (options: RedisTokenStoreOptions) {
    const client = options?.client as unknown
    if (client === null || typeof client !== 'object' || typeof (client as RedisClient).defineCommand !== 'function' ||
      typeof (client as RedisClient).duplicate !== 'function') {
      throw new InvalidOptionError('RedisTokenStore client', `expected an ioredis client (new Redis() or new Cluster()), got ${describe(client)}`)
    }
    const prefix = options.prefix ?? REDIS_TOKEN_STORE_DEFAULTS.prefix
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new InvalidOptionError('RedisTokenStore prefix', `expected a string without braces (the store adds its own hash tags), got ${describe(prefix)}`)
    }
    this.#prefix = prefix
    this.#fullPrefix = (options.client.options?.keyPrefix ?? '') + prefix
    this.#timeout = integerOption('RedisTokenStore timeout', options.timeout, REDIS_TOKEN_STORE_DEFAULTS.timeout, 1, 600_000)
    this.#rotatedPerFamily = integerOption('RedisTokenStore rotatedPerFamily', options.rotatedPerFamily, REDIS_TOKEN_STORE_DEFAULTS.rotatedPerFamily, 1, 1000)
    const resyncInterval = integerOption('RedisTokenStore resyncInterval', options.resyncInterval, REDIS_TOKEN_STORE_DEFAULTS.resyncInterval, 100, 86_400_000)

    const scripts = options.client as unknown as Record<string, Script | undefined> & RedisClient
    for (const [name, definition] of Object.entries(SCRIPTS)) {
      if (typeof scripts[name] !== 'function') scripts.defineCommand(name, definition)
    }
    this.#scripts = scripts as unknown as Record<ScriptName, Script>
    this.#feed = new RevocationFeed({
      channel: `${this.#fullPrefix}revocations`,
      origin: randomBytes(9).toString('base64url'),
      connect: () => options.client.duplicate(),
      load: () => this.#loadList(Date.now()),
      resyncInterval,
      logger: options.logger
    })
  }

  async createFamily (family: RefreshFamily, hash: string): Promise<boolean> {
    const { idleExpiresAt, ...fixed } = family
    const created = await this.#call('fastifyPasswordBearerCreateFamily', [this.#familyKey(family.shard, family.id), this.#userKey(family.shard, family.subject),
      JSON.stringify({ ...fixed, scopes: [...fixed.scopes] }), hash, family.id, family.createdAt, family.expiresAt, idleExpiresAt, this.#familyKeysInScript(family.shard)])
    // A family created after its caller gave up is never handed out; it expires at its idle end.
    return created === 1
  }

  async findFamily (token: RefreshTokenRef, now: number): Promise<RefreshFamily | undefined> {
    const reply = await this.#call('fastifyPasswordBearerFindFamily', [this.#familyKey(token.shard, token.family), token.hash, now])
    return reply === null ? undefined : readFamily(reply)
  }

  async rotate (used: RefreshTokenRef, nextHash: string, now: number, idleTtl: number): Promise<RotateResult> {
    const key = this.#familyKey(used.shard, used.family)
    const reply = await this.#call('fastifyPasswordBearerRotate', [key, used.hash, nextHash, now, idleTtl, this.#rotatedPerFamily], (late) => {
      // Its caller was told the store failed, so nobody holds `nextHash`: make `used` current again.
      const answer = late as string[]
      if (answer[0] === 'rotated') {
        this.#scripts.fastifyPasswordBearerUndoRotate(key, used.hash, nextHash, answer[3] as string, Date.now()).catch(() => {})
      }
    }) as string[]
    if (reply[0] === 'rotated') return { status: 'rotated', family: readFamily(reply.slice(1, 3)) }
    if (reply[0] === 'reused') return { status: 'reused', family: readFamily(reply.slice(1, 3)) }
    return { status: 'unknown' }
  }

  async revokeFamily (token: RefreshTokenRef, now: number): Promise<RefreshFamily | undefined> {
    const reply = await this.#call('fastifyPasswordBearerRevokeFamily', [this.#familyKey(token.shard, token.family), token.hash, now])
    return reply === null ? undefined : readFamily(reply)
  }

  async revokeAccessToken (jti: string, expiresAt: number, now: number): Promise<void> {
    const ends = await this.#call('fastifyPasswordBearerListToken', [...this.#listKeys(), jti, expiresAt, now, this.#feed.channel, this.#feed.origin])
    if (ends !== null) this.#feed.recorded({ type: 'access-token', jti, expiresAt: Number(ends) })
  }

  async revokeUser (user: UserRef, notBefore: number, expiresAt: number): Promise<number> {
    // The user's slot first: once their families are gone and the not-before time is set there, no
    // refresh and no new login of theirs can outlive this call, even if the list update fails.
    const [ended, nbf, nbfx] = await this.#call('fastifyPasswordBearerRevokeUser',
      [this.#userKey(user.shard, user.subject), this.#familyKeysInScript(user.shard), notBefore, expiresAt]) as [number, string, string]
    const [listed, listedEnd] = await this.#call('fastifyPasswordBearerListUser',
      [...this.#listKeys(), user.subject, nbf, nbfx, notBefore, this.#feed.channel, this.#feed.origin]) as [string, string]
    if (Number(listedEnd) > notBefore) {
      this.#feed.recorded({ type: 'user', subject: user.subject, notBefore: Number(listed), expiresAt: Number(listedEnd) })
    }
    return ended
  }

  async loadRevocations (now: number): Promise<Revocation[]> {
    const list = await this.#loadList(now)
    this.#feed.loaded(list)
    return list
  }

  onRevocation (listener: RevocationListener): () => void {
    return this.#feed.listen(listener)
  }

  /** Closes the subscriber connection (the client passed in stays open: it is the app's). */
  close (): void {
    this.#feed.close()
  }

  async #loadList (now: number): Promise<Revocation[]> {
    const flat = await this.#call('fastifyPasswordBearerLoadRevocations', [...this.#listKeys(), now]) as string[]
    const list: Revocation[] = []
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const [kind, id, ends, notBefore] = flat.slice(i, i + 4) as [string, string, string, string]
      list.push(kind === 'a'
        ? { type: 'access-token', jti: id, expiresAt: Number(ends) }
        : { type: 'user', subject: id, notBefore: Number(notBefore), expiresAt: Number(ends) })
    }
    return list
  }

  #familyKey (shard: string, family: string): string {
    return `${this.#prefix}{${shard}}:f:${family}`
  }

  #userKey (shard: string, subject: string): string {
    return `${this.#prefix}{${shard}}:u:${subject}`
  }

  #listKeys (): [string, string] {
    return [`${this.#prefix}{revocations}:list`, `${this.#prefix}{revocations}:nbf`]
  }

  /**
   * The start of the user's family keys as a script names them itself: ioredis prefixes the keys
   * it is given with the client's `keyPrefix`, not the names a script builds.
   */
  #familyKeysInScript (shard: string): string {
    return `${this.#fullPrefix}{${shard}}:f:`
  }

  /** Runs a script within `timeout`; `late` receives an answer that came after the call was rejected. */
  #call (name: ScriptName, args: Array<string | number>, late?: (reply: Reply) => void): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        reject(new RedisTimeoutError(this.#timeout))
      }, this.#timeout)
      this.#scripts[name](...args).then((reply) => {
        clearTimeout(timer)
        if (!settled) resolve(reply)
        else late?.(reply)
      }, (err: unknown) => {
        clearTimeout(timer)
        if (!settled) reject(err)
      })
    })
  }
}

/** A family from a script's `{ fixed fields (JSON), idle end }`. */
function readFamily (reply: Reply): RefreshFamily {
  const [fixed, idle] = reply as [string, string]
  return { ...(JSON.parse(fixed) as FixedFields), idleExpiresAt: Number(idle) }
}
