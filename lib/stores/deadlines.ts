/**
 * Time limits for many concurrent waits of the same length, with one timer. The pending waits form
 * a linked list in start order, which is deadline order since every wait has the same length: a
 * wait is added at the end and removed from anywhere in constant time, and the one timer runs only
 * while waits are pending and fires at the oldest deadline.
 *
 * Why not a Node timer per wait: the bench row "valid token, loadUser returning a promise" served
 * less of the bare route with setTimeout/clearTimeout per request (docs/benchmarks.md, `Deadlines`).
 */

/** A pending wait, as {@link Deadlines.start} hands it out; give it back to `end()`. */
export interface Wait {
  /** On the `now()` clock. */
  readonly deadline: number
}

interface Link extends Wait {
  /** Cleared once the wait has ended (ended in time, or expired). */
  expire: (() => void) | undefined
  prev: Link | undefined
  next: Link | undefined
}

export class Deadlines {
  /** The length of every wait, in milliseconds. */
  readonly ms: number
  #first: Link | undefined
  #last: Link | undefined
  #pending = 0
  #timer: NodeJS.Timeout | undefined
  readonly #now: () => number

  constructor (ms: number, now: () => number = () => performance.now()) {
    this.ms = ms
    this.#now = now
  }

  /** Waits now pending. */
  get pending (): number { return this.#pending }

  /** Calls `expire` once `ms` have passed, unless `end(wait)` is called first. */
  start (expire: () => void): Wait {
    const link: Link = { deadline: this.#now() + this.ms, expire, prev: this.#last, next: undefined }
    if (this.#last === undefined) this.#first = link
    else this.#last.next = link
    this.#last = link
    this.#pending++
    if (this.#timer === undefined) this.#arm(this.ms)
    else if (this.#pending === 1) this.#timer.ref()
    return link
  }

  /**
   * Ends a wait before its deadline. True when it was still pending, so that its owner settles
   * now; false when it had expired or ended already (its owner has settled).
   */
  end (wait: Wait): boolean {
    const link = wait as Link
    if (link.expire === undefined) return false
    this.#remove(link)
    // With nothing left to wait for, the timer stays armed (re-arming it per wait is the cost this
    // class avoids) but no longer keeps the process alive; it stops when it next fires.
    if (this.#pending === 0) this.#timer?.unref()
    return true
  }

  #remove (link: Link): void {
    if (link.prev === undefined) this.#first = link.next
    else link.prev.next = link.next
    if (link.next === undefined) this.#last = link.prev
    else link.next.prev = link.prev
    link.expire = undefined
    link.prev = undefined
    link.next = undefined
    this.#pending--
  }

  #arm (delay: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(1, Math.ceil(delay)))
  }

  readonly #fire = (): void => {
    this.#timer = undefined
    const now = this.#now()
    const expired: Array<() => void> = []
    for (let link = this.#first; link !== undefined; link = this.#first) {
      if (link.deadline > now) {
        this.#arm(link.deadline - now)
        break
      }
      expired.push(link.expire as () => void)
      this.#remove(link)
    }
    for (const expire of expired) expire()
  }
}
