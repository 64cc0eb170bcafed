/**
 * Time limits for many concurrent waits of the same length, with one timer. A wait is an entry in
 * a `Map`, whose insertion order is deadline order since every wait has the same length; the one
 * timer runs only while waits are pending and fires at the oldest deadline.
 *
 * A Node timer per request (setTimeout, then clearTimeout a microtask later) cost more than the
 * request's own work: with each wait ending in the same tick, Node created and tore down its timer
 * list, and re-armed libuv's timer, for every request.
 */
export class Deadlines {
  /** The length of every wait, in milliseconds. */
  readonly ms: number
  readonly #waits = new Map<number, Wait>()
  #nextId = 0
  #timer: NodeJS.Timeout | undefined
  readonly #now: () => number

  constructor (ms: number, now: () => number = () => performance.now()) {
    this.ms = ms
    this.#now = now
  }

  /** Waits now pending. */
  get pending (): number { return this.#waits.size }

  /** Calls `expire` once `ms` have passed, unless `cancel(id)` is called first. Returns the id. */
  start (expire: () => void): number {
    const id = this.#nextId++
    this.#waits.set(id, { deadline: this.#now() + this.ms, expire })
    if (this.#timer === undefined) this.#arm(this.ms)
    else if (this.#waits.size === 1) this.#timer.ref()
    return id
  }

  /** Forgets a wait (it ended in time). Unknown ids are ignored. */
  cancel (id: number): void {
    // With nothing left to wait for, the timer stays armed (re-arming it per wait is the cost this
    // class avoids) but no longer keeps the process alive; it stops when it next fires.
    if (this.#waits.delete(id) && this.#waits.size === 0) this.#timer?.unref()
  }

  #arm (delay: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(delay)))
  }

  readonly #fire = (): void => {
    this.#timer = undefined
    const now = this.#now()
    const expired: Array<() => void> = []
    for (const [id, wait] of this.#waits) {
      if (wait.deadline > now) {
        this.#arm(wait.deadline - now)
        break
      }
      this.#waits.delete(id)
      expired.push(wait.expire)
    }
    for (const expire of expired) expire()
  }
}

interface Wait {
  /** On the `now()` clock. */
  deadline: number
  expire: () => void
}
