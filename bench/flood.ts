/**
 * The login-flood study (`--flood`): a protected route while clients log in at the argon2
 * concurrency cap, against the same route idle, against the same argon2 work in another process
 * (what the machine leaves the route), and the logins/s against argon2 alone.
 */
import { readFileSync } from 'node:fs'
import type { LoadGenerator, LoadResult } from './load.js'
import { best, CONNECTIONS, headersOf, measure, sanityCheck, summarise, type Summary, type Timing } from './measure.js'
import { argon2Rate, besideArgon2, rssMiB, startServer, stopServer } from './processes.js'
import { formatMs, formatRate } from './format.js'
import { findScenario, floodServer } from './scenarios.js'

export interface FloodResult {
  cap: number
  idle: Summary
  flood: Summary
  /** During the flood, while the protected route is under load. */
  loginsPerSecond: number
  /** The same logins with nothing else running. */
  loginsAlonePerSecond: number
  /**
   * The protected route while the same argon2 work runs in another process, not the server: what
   * this machine leaves the route when argon2 takes its cores, whoever runs it.
   */
  ceiling: Summary
  argon2: { perSecond: number, msPerVerify: number }
  /** How busy the machine's CPUs were (1 = all of them), in the idle round and the flood round shown. */
  busy: { idle: number, flood: number }
  rssMiB: number
}

/** Linux CPU time counters (/proc/stat), or undefined elsewhere. */
function cpuTimes (): { idle: number, total: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    const total = fields.reduce((a, b) => a + b, 0)
    return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total }
  } catch {
    return undefined
  }
}

/** `work()`, and the share of the machine's CPU time that was busy meanwhile (NaN off Linux). */
async function busyWhile<T> (work: () => Promise<T>): Promise<[T, number]> {
  const before = cpuTimes()
  const result = await work()
  const after = cpuTimes()
  if (before === undefined || after === undefined || after.total === before.total) return [result, NaN]
  return [result, 1 - (after.idle - before.idle) / (after.total - before.total)]
}

/** The study at each cap: 2 and 1 (the smoke run: 2 only). */
export async function runFloods (timing: Timing, smoke: boolean, load: LoadGenerator): Promise<FloodResult[]> {
  const floods: FloodResult[] = []
  for (const cap of smoke ? [2] : [2, 1]) floods.push(await runFlood(timing, smoke, load, cap))
  return floods
}

async function runFlood (timing: Timing, smoke: boolean, load: LoadGenerator, cap: number): Promise<FloodResult> {
  const server = await startServer(floodServer(cap), [], false)
  try {
    const scenario = findScenario('valid')
    await sanityCheck(server, scenario)
    const protectedRun = (): Promise<LoadResult> => measure(load, { url: server.url, seconds: timing.seconds, connections: CONNECTIONS, headers: headersOf(server, scenario) }, 200, 'protected route')
    const loginRun = (): Promise<LoadResult> => measure(load, {
      url: server.url.replace(/\/resource$/, '/token'),
      seconds: timing.seconds,
      connections: cap, // exactly the argon2 concurrency cap: every login hashes at once, none waits
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: server.ready.loginBody as string
    }, 200, 'logins')
    await measure(load, { url: server.url, seconds: timing.warmup, connections: CONNECTIONS, headers: headersOf(server, scenario) }, 200, 'flood warm-up')
    const idle: LoadResult[] = []
    const flood: LoadResult[] = []
    const logins: LoadResult[] = []
    const alone: LoadResult[] = []
    const ceiling: LoadResult[] = []
    const busyIdle: number[] = []
    const busyFlood: number[] = []
    for (let round = 1; round <= timing.rounds; round++) {
      const [quiet, quietBusy] = await busyWhile(protectedRun)
      idle.push(quiet)
      busyIdle.push(quietBusy)
      alone.push(await loginRun())
      ceiling.push(await besideArgon2(cap, timing.seconds, protectedRun))
      const [[during, login], floodBusy] = await busyWhile(() => Promise.all([protectedRun(), loginRun()]))
      flood.push(during)
      logins.push(login)
      busyFlood.push(floodBusy)
      console.error(`  round ${round}/${timing.rounds}  flood cap ${cap}: idle ${formatRate(idle.at(-1)?.perSecond ?? NaN)} req/s, beside argon2 elsewhere ${formatRate(ceiling.at(-1)?.perSecond ?? NaN)} req/s, during ${formatRate(during.perSecond)} req/s (p99 ${formatMs(during.p99)}), ${login.perSecond.toFixed(1)} logins/s`)
    }
    const rss = await rssMiB(server)
    await stopServer(server)
    const argon2 = await argon2Rate(cap, smoke ? 1 : timing.seconds)
    return {
      cap,
      idle: summarise(idle),
      flood: summarise(flood),
      loginsPerSecond: logins[flood.indexOf(best(flood))]?.perSecond ?? NaN,
      busy: { idle: busyIdle[idle.indexOf(best(idle))] ?? NaN, flood: busyFlood[flood.indexOf(best(flood))] ?? NaN },
      loginsAlonePerSecond: best(alone).perSecond,
      ceiling: summarise(ceiling),
      argon2,
      rssMiB: rss
    }
  } finally {
    await stopServer(server)
  }
}
