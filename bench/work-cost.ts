/**
 * What a microsecond of work in a route hook costs a request over HTTP on this machine: a
 * preHandler that busy-waits N µs, for a few N, measured the way bench/run.ts measures (wrk, the
 * server alone on its CPU, the best of the rounds). Set beside bench/micro.ts, it turns the cost of
 * a check in one process into what the check costs a request.
 *
 * `npx tsx bench/work-cost.ts [seconds] [rounds]`
 */
import { cpus } from 'node:os'
import { canPin, findWrk, wrkGenerator, type LoadResult } from './load.js'
import { best, CONNECTIONS, measure } from './measure.js'
import { currentPinning, setPinning, startServer, stopServer } from './processes.js'
import { formatRate } from './format.js'

const WORK_MICROS = [0, 2, 5, 10, 20]

async function main (): Promise<void> {
  const seconds = Number(process.argv[2] ?? '3')
  const rounds = Number(process.argv[3] ?? '3')
  const wrk = findWrk()
  if (wrk === undefined) throw new Error('wrk is not installed (apt-get install wrk)')
  const load = wrkGenerator(wrk)
  if (canPin(cpus().length)) setPinning({ server: '0', load: `1-${cpus().length - 1}` })
  const server = await startServer({ kind: 'busy' })
  const results = new Map<number, LoadResult[]>(WORK_MICROS.map((n) => [n, []]))
  try {
    const url = (micros: number): string => new URL(`/busy/${micros}`, server.url).href
    for (const micros of WORK_MICROS) await measure(load, { url: url(micros), seconds: 1, connections: CONNECTIONS, cpus: currentPinning()?.load }, 200, 'warm-up')
    for (let round = 0; round < rounds; round++) {
      for (const micros of WORK_MICROS) {
        results.get(micros)?.push(await measure(load, { url: url(micros), seconds, connections: CONNECTIONS, cpus: currentPinning()?.load }, 200, `${micros} µs`))
      }
    }
  } finally {
    await stopServer(server)
  }
  const perRequest = (micros: number): number => 1e6 / best(results.get(micros) as LoadResult[]).perSecond
  const base = perRequest(0)
  console.log(`best of ${rounds} rounds of ${seconds} s, ${CONNECTIONS} connections\n`)
  console.log('| work in the hook | req/s | µs per request | added per request | added ÷ work |')
  console.log('| ---: | ---: | ---: | ---: | ---: |')
  for (const micros of WORK_MICROS) {
    const added = perRequest(micros) - base
    console.log(`| ${micros} µs | ${formatRate(1e6 / perRequest(micros))} | ${perRequest(micros).toFixed(1)} | ${micros === 0 ? '' : added.toFixed(1) + ' µs'} | ${micros === 0 ? '' : (added / micros).toFixed(2)} |`)
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
