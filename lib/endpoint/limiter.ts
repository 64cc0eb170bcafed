/**
 * A counting semaphore with a bounded wait queue. argon2 runs in libuv's small thread pool; this
 * caps how many hashes run at once so a login flood cannot starve file, DNS or crypto work, and
 * answers "busy" at once when the queue is full instead of letting requests wait for seconds.
 */
export class Limiter {
  #running = 0
  readonly #queue: Array<() => void> = []
  readonly #max: number
  readonly #maxQueue: number

  constructor (max: number, maxQueue: number) {
    this.#max = max
    this.#maxQueue = maxQueue
  }

  get running (): number { return this.#running }
  get queued (): number { return this.#queue.length }

  /**
   * Runs `task` when a slot is free. Returns `undefined` without running it when all slots are busy
   * and the queue is full.
   */
  run<T> (task: () => Promise<T>): Promise<T> | undefined {
    if (this.#running < this.#max) return this.#start(task)
    if (this.#queue.length >= this.#maxQueue) return undefined
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(() => { this.#start(task).then(resolve, reject) })
    })
  }

  async #start<T> (task: () => Promise<T>): Promise<T> {
    this.#running++
    try {
      return await task()
    } finally {
      this.#running--
      const next = this.#queue.shift()
      if (next !== undefined) next()
    }
  }
}
