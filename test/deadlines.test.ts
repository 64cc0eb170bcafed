/**
 * Deadlines: one timer for many waits of the same length. Each wait expires once, in order, at its
 * own deadline (not at the first one's), unless cancelled.
 */
import t from 'tap'
import { Deadlines } from '../lib/stores/deadlines.js'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

t.test('waits expire at their own deadlines, in order; cancelled ones never', async (t) => {
  // The clock is ours; the timer is real, and fires before any later sleep() of a longer delay.
  let now = 0
  const deadlines = new Deadlines(20, () => now)
  const expired: string[] = []
  const a = deadlines.start(() => { expired.push('a') })
  const b = deadlines.start(() => { expired.push('b') })
  now = 10
  deadlines.start(() => { expired.push('c') }) // due at 30
  t.equal(deadlines.pending, 3)
  t.equal(deadlines.end(b), true, 'a pending wait ends')
  t.equal(deadlines.end(b), false, 'a wait ends once')
  t.equal(deadlines.pending, 2)

  now = 20 // a is due, c is not
  await sleep(40)
  t.same(expired, ['a'])
  t.equal(deadlines.pending, 1)
  t.equal(deadlines.end(a), false, 'an expired wait has ended')

  now = 29
  await sleep(40)
  t.same(expired, ['a'], 'c is not due a millisecond early')
  now = 30
  await sleep(40)
  t.same(expired, ['a', 'c'], 'c expired at its own deadline')
  t.equal(deadlines.pending, 0)
})

t.test('waits end in any order, and the rest still expire in theirs', async (t) => {
  let now = 0
  const deadlines = new Deadlines(10, () => now)
  const expired: number[] = []
  const waits = Array.from({ length: 6 }, (_, i) => { now = i; return deadlines.start(() => { expired.push(i) }) })
  // First, last and middle ones end early; 1, 3 and 4 stay.
  for (const i of [0, 5, 2]) t.equal(deadlines.end(waits[i] as typeof waits[number]), true)
  t.equal(deadlines.pending, 3)
  now = 100
  await sleep(30)
  t.same(expired, [1, 3, 4])
  t.equal(deadlines.pending, 0)
  const later = deadlines.start(() => { expired.push(6) })
  t.equal(deadlines.pending, 1, 'the list is usable again once emptied')
  t.equal(deadlines.end(later), true)
  t.equal(deadlines.pending, 0)
})

t.test('a wait started after all others ended arms the timer again', async (t) => {
  const deadlines = new Deadlines(10)
  let count = 0
  deadlines.start(() => { count++ })
  await sleep(30)
  t.equal(count, 1)
  deadlines.start(() => { count++ })
  await sleep(30)
  t.equal(count, 2)
})

t.test('a pending wait keeps the process alive until it expires; with none pending, the timer does not', async (t) => {
  const { execFile } = await import('node:child_process')
  const { fileURLToPath } = await import('node:url')
  const fixture = fileURLToPath(new URL('./fixtures/deadlines-exit.ts', import.meta.url))
  const run = (mode: string): Promise<{ ms: number, out: string }> => new Promise((resolve, reject) => {
    const started = Date.now()
    execFile(process.execPath, ['--import', 'tsx', fixture, mode], { timeout: 30_000 }, (err, stdout) => {
      if (err !== null) reject(err)
      else resolve({ ms: Date.now() - started, out: stdout })
    })
  })
  const pending = await run('pending')
  t.match(pending.out, /^expired after (19\d|2\d\d) ms/, 'the wait expired before the process exited')
  const cancelled = await run('cancelled')
  t.equal(cancelled.out, '', 'nothing expired')
  t.ok(cancelled.ms < 20_000, `the process exited without waiting out the 60 s timer (${cancelled.ms} ms)`)
})
