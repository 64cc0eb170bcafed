/**
 * How revocations reach the listeners of a Redis token store on every instance: the scripts that
 * record a revocation publish it on a channel; each store listens on a connection of its own
 * (`client.duplicate()`, as a subscribed connection can send nothing else) and, whenever that
 * connection is (re)established and every `resyncInterval`, reloads the whole list, so that a
 * message missed while disconnected, or on a connection that died silently, is made up for.
 *
 * Listeners hear each revocation once per change: a message or reload entry that says nothing new
 * (the store's own message coming back, an entry already loaded) is dropped, so a listener sees a
 * repeat only when a later end or not-before time arrives.
 */
import { notifyListeners } from './revocation-listeners.js'
import type { Revocation, RevocationListener } from './token-store.js'

/** The part of an ioredis connection the feed uses (`Redis` or `Cluster`, duplicated). */
export interface SubscriberConnection {
  subscribe (channel: string): Promise<unknown>
  on (event: 'message', listener: (channel: string, message: string) => void): unknown
  on (event: 'ready' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown
  disconnect (): void
}

/** Where the feed writes what happens to its connection (a pino or Fastify logger fits). */
export interface FeedLogger {
  info (fields: object, message: string): void
  warn (fields: object, message: string): void
}

export interface FeedOptions {
  channel: string
  /** This store's id, carried by its own messages. */
  origin: string
  /** A new subscriber connection. */
  connect: () => SubscriberConnection
  /** Every revocation in force (the store's loadRevocations). */
  load: () => Promise<Revocation[]>
  resyncInterval: number
  logger: FeedLogger | undefined
}

/** `(kind, id)` of a revocation: the key under which the latest times are kept. */
function keyOf (revocation: Revocation): string {
  return revocation.type === 'access-token' ? `a:${revocation.jti}` : `u:${revocation.subject}`
}

/** Reads a published message; undefined when it is not one of ours. */
export function parseMessage (message: string): { revocation: Revocation, origin: string } | undefined {
  let parts: unknown
  try {
    parts = JSON.parse(message)
  } catch {
    return undefined
  }
  if (!Array.isArray(parts) || !parts.every((part) => typeof part === 'string')) return undefined
  const [kind, id, first, second, origin] = parts as string[]
  if (kind === 'a' && parts.length === 4) {
    return { revocation: { type: 'access-token', jti: id as string, expiresAt: Number(first) }, origin: second as string }
  }
  if (kind === 'u' && parts.length === 5) {
    return { revocation: { type: 'user', subject: id as string, notBefore: Number(first), expiresAt: Number(second) }, origin: origin as string }
  }
  return undefined
}

export class RevocationFeed {
  readonly #options: FeedOptions
  readonly #listeners = new Set<RevocationListener>()
  /** Per revocation key, the latest times heard (dropped once ended). */
  readonly #seen = new Map<string, { expiresAt: number, notBefore: number }>()
  #connection: SubscriberConnection | undefined
  #timer: NodeJS.Timeout | undefined
  #retry: NodeJS.Timeout | undefined
  #connected = false
  #outage = false
  #nextSweep = 0

  constructor (options: FeedOptions) {
    this.#options = options
  }

  /** The channel revocations are published on. */
  get channel (): string { return this.#options.channel }

  /** This store's id in its messages. */
  get origin (): string { return this.#options.origin }

  /** Adds a listener; the first one opens the subscriber connection, the last one to stop closes it. */
  listen (listener: RevocationListener): () => void {
    const subscription: RevocationListener = (revocation) => { listener(revocation) }
    this.#listeners.add(subscription)
    if (this.#connection === undefined) this.#open()
    return () => {
      this.#listeners.delete(subscription)
      if (this.#listeners.size === 0) this.close()
    }
  }

  /**
   * A revocation this store has just recorded: every listener hears it now (before the revoking
   * call resolves); its message, when it comes back, is dropped.
   */
  recorded (revocation: Revocation): void {
    this.#remember(revocation)
    // A listener that throws stops neither the others nor the revocation (recorded already): its
    // error rejects the revoking call, as with the in-memory store.
    const errors = notifyListeners(this.#listeners, revocation)
    if (errors.length > 0) throw errors[0]
  }

  /** Revocations the caller has loaded itself: a reload does not repeat them. */
  loaded (revocations: readonly Revocation[]): void {
    for (const revocation of revocations) this.#remember(revocation)
  }

  /** Closes the subscriber connection and stops the resync timer. */
  close (): void {
    clearInterval(this.#timer)
    clearTimeout(this.#retry)
    this.#timer = undefined
    this.#retry = undefined
    this.#connection?.disconnect()
    this.#connection = undefined
    this.#connected = false
  }

  #open (): void {
    const connection = this.#options.connect()
    this.#connection = connection
    connection.on('message', (channel, message) => {
      if (channel !== this.#options.channel) return
      const parsed = parseMessage(message)
      if (parsed !== undefined && parsed.origin !== this.#options.origin) this.#deliver(parsed.revocation)
    })
    // Every (re)connection: subscribe (again; ioredis resubscribes too, this waits for Redis to
    // confirm), then reload, so nothing published while disconnected is missed.
    connection.on('ready', () => { this.#subscribed(connection) })
    connection.on('close', () => { this.#lost('the connection closed') })
    connection.on('error', () => { this.#lost('the connection failed') })
    this.#timer = setInterval(() => { this.#resync() }, this.#options.resyncInterval).unref()
  }

  #subscribed (connection: SubscriberConnection): void {
    connection.subscribe(this.#options.channel).then(() => {
      if (connection !== this.#connection) return
      this.#connected = true
      this.#resync()
    }, () => { this.#lost('subscribing failed') })
  }

  /** Reloads the whole list; after a failure, tries again every second while subscribed. */
  #resync (): void {
    const connection = this.#connection
    this.#options.load().then((revocations) => {
      if (connection !== this.#connection) return
      for (const revocation of revocations) this.#deliver(revocation)
      if (this.#outage && this.#connected) {
        this.#outage = false
        this.#options.logger?.info({ event: 'token_store', outcome: 'recovered', revocations: revocations.length },
          'Redis token store: revocations are received again; the list was reloaded')
      }
    }, () => {
      if (connection !== this.#connection) return
      this.#lost('reloading the revocation list failed')
      if (this.#connected && this.#retry === undefined) {
        this.#retry = setTimeout(() => {
          this.#retry = undefined
          if (this.#connected) this.#resync()
        }, 1000).unref()
      }
    })
  }

  #lost (reason: string): void {
    if (reason !== 'reloading the revocation list failed') this.#connected = false
    if (this.#outage || this.#connection === undefined) return
    this.#outage = true
    this.#options.logger?.warn({ event: 'token_store', outcome: 'disconnected', reason },
      'Redis token store: revocations from other instances are not received; tokens are checked against the last known list until Redis is back')
  }

  /** A revocation from Redis: heard by the listeners when it says something new. */
  #deliver (revocation: Revocation): void {
    if (!this.#remember(revocation)) return
    for (const err of notifyListeners(this.#listeners, revocation)) {
      this.#options.logger?.warn({ event: 'token_store', outcome: 'listener_failed', err }, 'Redis token store: a revocation listener threw')
    }
  }

  /** Keeps the latest times of a revocation; true when they changed. */
  #remember (revocation: Revocation): boolean {
    const now = Date.now()
    this.#sweep(now)
    if (revocation.expiresAt <= now) return false
    const key = keyOf(revocation)
    const notBefore = revocation.type === 'user' ? revocation.notBefore : 0
    const known = this.#seen.get(key)
    if (known !== undefined && known.expiresAt >= revocation.expiresAt && known.notBefore >= notBefore) return false
    this.#seen.set(key, {
      expiresAt: Math.max(revocation.expiresAt, known?.expiresAt ?? 0),
      notBefore: Math.max(notBefore, known?.notBefore ?? 0)
    })
    return true
  }

  #sweep (now: number): void {
    if (now < this.#nextSweep) return
    this.#nextSweep = now + 60_000
    for (const [key, times] of this.#seen) if (times.expiresAt <= now) this.#seen.delete(key)
  }
}
