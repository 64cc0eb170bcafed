/**
 * Where the throttle keeps lockouts when its counters live in process memory. The counters sit in
 * LRU caches that any flood of new usernames or addresses churns; a lock kept there could be
 * evicted by such a flood and lifted early. Here a live lock is never evicted: entries whose lock
 * has ended (only their count of consecutive lockouts remains) are dropped first, and when every
 * entry is a live lock the table is full and a new lock cannot be recorded (the throttle then
 * refuses the request all the same). Memory is bounded by `max` entries.
 */

interface Entry {
  /** Consecutive lockouts of the key, remembered until `strikesUntil`. */
  strikes: number
  strikesUntil: number
  lockedUntil: number
}

export class LockTable {
  readonly #entries = new Map<string, Entry>()
  readonly #max: number
  readonly #strikeMemory: number
  readonly #now: () => number

  constructor (max: number, strikeMemory: number, now: () => number = Date.now) {
    this.#max = max
    this.#strikeMemory = strikeMemory
    this.#now = now
  }

  get size (): number { return this.#entries.size }

  /** Consecutive lockouts of `key` still remembered, and the milliseconds its lock has left (0: none). */
  state (key: string): { strikes: number, lockedFor: number } {
    const entry = this.#entries.get(key)
    const now = this.#now()
    if (entry === undefined || entry.strikesUntil <= now) return { strikes: 0, lockedFor: 0 }
    return { strikes: entry.strikes, lockedFor: Math.max(0, entry.lockedUntil - now) }
  }

  /**
   * Locks `key` for the milliseconds `lockFor(strikes)` gives for its next strike count; returns
   * that count and length, or undefined when the table is full of live locks.
   */
  lock (key: string, lockFor: (strikes: number) => number): { strikes: number, ms: number } | undefined {
    const now = this.#now()
    const strikes = this.state(key).strikes + 1
    const ms = lockFor(strikes)
    if (!this.#entries.has(key) && this.#entries.size >= this.#max && !this.#sweep(now)) return undefined
    this.#entries.delete(key) // re-inserted at the end: the entries stay roughly in order of last lock
    this.#entries.set(key, { strikes, strikesUntil: now + this.#strikeMemory, lockedUntil: now + ms })
    return { strikes, ms }
  }

  /** Drops entries whose lock has ended, oldest first, down to 90 % of `max`; false when none could go. */
  #sweep (now: number): boolean {
    const target = Math.floor(this.#max * 0.9)
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= target) break
      if (entry.lockedUntil <= now) this.#entries.delete(key)
    }
    return this.#entries.size < this.#max
  }
}
