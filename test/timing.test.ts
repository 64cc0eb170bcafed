// The one timing assertion of the suite: the four credential failures (wrong password, unknown
// user, disabled user, user without a hash) each run one argon2 verification with the real
// parameters, so their median times stay within a factor of 2 of each other. The kinds are
// interleaved (load on the machine hits them all alike) and warm-up rounds are discarded.
import t from 'tap'
import { buildApp, FORM } from './support.js'

const ROUNDS = 15
const WARM_UP = 3

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

t.test('the four failure kinds take about the same time: medians within a factor of 2', async (t) => {
  const { app } = await buildApp({ rateLimit: false })
  t.teardown(() => app.close())
  const kinds: Record<string, string> = {
    'wrong password': 'username=alice&password=not-the-secret',
    'unknown user': 'username=nobody-here&password=not-the-secret',
    'disabled user': 'username=bob&password=secret',
    'user without hash': 'username=nohash&password=secret'
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]))
  for (let round = 0; round < WARM_UP + ROUNDS; round++) {
    // Rotate the order each round so no kind always runs first or last.
    const names = Object.keys(kinds)
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)]
    for (const name of order) {
      const start = process.hrtime.bigint()
      const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `grant_type=password&${kinds[name] as string}` })
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      t.equal(res.statusCode, 400, `${name}: refused`)
      t.equal(res.json().error, 'invalid_grant', `${name}: invalid_grant`)
      if (round >= WARM_UP) (samples[name] as number[]).push(ms)
    }
  }
  const medians = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, median(values)]))
  const values = Object.values(medians)
  const ratio = Math.max(...values) / Math.min(...values)
  t.comment(`medians (ms): ${Object.entries(medians).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ')}; max/min ${ratio.toFixed(2)}`)
  t.ok(ratio < 2, `max/min of the medians is ${ratio.toFixed(2)}, under 2`)
})
