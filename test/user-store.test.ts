/**
 * awaitStore: the per-request wait for an async loadUser. Exactly one callback, exactly once,
 * whatever the store's promise or thenable does.
 */
import t from 'tap'
import { Deadlines } from '../lib/stores/deadlines.js'
import { awaitStore } from '../lib/stores/user-store.js'

interface Outcome { value?: unknown, code?: string, cause?: unknown, calls: number }

function run (pending: PromiseLike<unknown>, ms = 50): Promise<Outcome> {
  const outcome: Outcome = { calls: 0 }
  return new Promise((resolve) => {
    awaitStore(pending, new Deadlines(ms), (value) => {
      outcome.calls++
      outcome.value = value
    }, (err) => {
      outcome.calls++
      outcome.code = err.code
      outcome.cause = (err as { cause?: unknown }).cause
    })
    // Long enough for a late settlement or the timer to show up as a second call.
    setTimeout(() => resolve(outcome), ms * 3)
  })
}

t.test('a value arrives once', async (t) => {
  t.same(await run(Promise.resolve({ id: 'u1' })), { calls: 1, value: { id: 'u1' } })
})

t.test('a rejection becomes FST_PWB_USER_STORE with the original as cause', async (t) => {
  const boom = new Error('db down')
  const outcome = await run(Promise.reject(boom))
  t.equal(outcome.calls, 1)
  t.equal(outcome.code, 'FST_PWB_USER_STORE')
  t.equal(outcome.cause, boom)
})

t.test('no answer within the time limit becomes FST_PWB_USER_STORE_TIMEOUT', async (t) => {
  const outcome = await run(new Promise(() => {}), 20)
  t.same(outcome, { calls: 1, code: 'FST_PWB_USER_STORE_TIMEOUT', cause: undefined })
})

t.test('an answer after the time limit is ignored', async (t) => {
  const late = new Promise((resolve) => setTimeout(() => resolve({ id: 'u1' }), 40))
  const outcome = await run(late, 10)
  t.equal(outcome.calls, 1)
  t.equal(outcome.code, 'FST_PWB_USER_STORE_TIMEOUT')
  t.notOk('value' in outcome)
})

t.test('a thenable whose then() throws becomes FST_PWB_USER_STORE', async (t) => {
  const boom = new Error('then exploded')
  const outcome = await run({ then () { throw boom } })
  t.equal(outcome.calls, 1)
  t.equal(outcome.code, 'FST_PWB_USER_STORE')
  t.equal(outcome.cause, boom)
})

t.test('a thenable that settles several times counts once', async (t) => {
  const outcome = await run({
    then (resolve: (v: unknown) => void, reject: (e: unknown) => void) {
      resolve({ id: 'first' })
      resolve({ id: 'second' })
      reject(new Error('late'))
    }
  } as PromiseLike<unknown>)
  t.same(outcome, { calls: 1, value: { id: 'first' } })
  const failedFirst = await run({
    then (resolve: (v: unknown) => void, reject: (e: unknown) => void) {
      reject(new Error('first'))
      resolve({ id: 'late' })
      throw new Error('and then threw')
    }
  } as PromiseLike<unknown>)
  t.equal(failedFirst.calls, 1)
  t.equal(failedFirst.code, 'FST_PWB_USER_STORE')
  t.equal((failedFirst.cause as Error).message, 'first')
})
