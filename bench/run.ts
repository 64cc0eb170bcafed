/**
 * The benchmark suite: `npm run bench` (full: a warm-up, then 5 rounds of 3 s per scenario, the
 * login flood, and docs/benchmarks.md + docs/benchmarks.svg written) or `npm run bench:smoke` (1 s
 * per scenario and a short flood, proves that every scenario works, writes nothing and asserts no
 * threshold).
 *
 * Every server runs in its own child process on 127.0.0.1 and a free port; the load generator is
 * wrk when installed, autocannon otherwise. Scenarios run round-robin so that a slow moment of the
 * machine hits all of them alike.
 *
 * Flags: --smoke, --flood (also run the login-flood study; `--only flood` too), --autocannon (even
 * when wrk is installed), --no-pin (no CPU pinning), --only id,id (a subset: scenario ids, a group
 * such as many-tokens, sessions, flood, micro, propagation; writes no docs),
 * --seconds n, --rounds n, --json file (raw numbers), --profile id (run one scenario under
 * `node --cpu-prof` and print where the server's time goes). The docs are written by a full run
 * only: no --smoke, no --only, and --flood (their section has the flood's rows).
 *
 * The Redis rows and the revocation-propagation note (with the sessions rows and in a run of the
 * whole suite) use a private redis-server that the runner starts and stops (private-redis.ts).
 *
 * The parts: scenarios.ts (what is measured), processes.ts (the child processes), measure.ts
 * (rounds and checks), refresh-load.ts (the refresh rows' requests), flood.ts (the login flood),
 * propagation.ts (revocations between two instances), report.ts (tables, chart and the docs'
 * words), profile.ts (--profile), load.ts (wrk and autocannon), server.ts (the servers).
 */
import { Redis } from 'ioredis'
import { cpus, loadavg } from 'node:os'
import { writeFileSync } from 'node:fs'
import { runFloods, type FloodResult } from './flood.js'
import { autocannonGenerator, canPin, findWrk, wrkGenerator, wrkVersion, type LoadGenerator } from './load.js'
import { CONNECTIONS, runScenarios, type Measured, type Timing } from './measure.js'
import type { MicroResult } from './micro.js'
import { currentPinning, microCosts, packageVersion, setPinning } from './processes.js'
import { runProfile } from './profile.js'
import { measurePropagation, propagationNote, type Propagation } from './propagation.js'
import { redisVersion, withPrivateRedis } from './private-redis.js'
import { consoleTable, describeMachine, floodRows, limitNote, notes, scenarioRows, writeDocs, type Machine } from './report.js'
import { findScenario, selectScenarios, type Scenario } from './scenarios.js'

interface Args extends Timing {
  smoke: boolean
  flood: boolean
  autocannon: boolean
  pin: boolean
  only: string[] | undefined
  json: string | undefined
  profile: string | undefined
}

function parseArgs (argv: string[]): Args {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }
  const smoke = argv.includes('--smoke')
  const only = value('--only')?.split(',')
  return {
    smoke,
    flood: argv.includes('--flood') || only?.includes('flood') === true,
    autocannon: argv.includes('--autocannon'),
    pin: !argv.includes('--no-pin'),
    only,
    seconds: Number(value('--seconds') ?? (smoke ? 1 : 3)),
    rounds: Number(value('--rounds') ?? (smoke ? 1 : 5)),
    warmup: smoke ? 1 : 2,
    json: value('--json'),
    profile: value('--profile')
  }
}

/** Revocations timed for the propagation note. */
const PROPAGATIONS = 100

/** The 1, 5 and 15 minute load averages: the machine is shared, and this says how busy it was. */
function loadAverage (): string {
  return loadavg().map((n) => n.toFixed(2)).join(', ')
}

/**
 * The selected scenarios, and the revocation propagation (with the sessions rows, and in every run
 * of the whole suite), on the run's private redis-server when they need one.
 */
async function measureScenarios (args: Args, load: LoadGenerator): Promise<{ scenarios: Scenario[], measured: Map<string, Measured>, propagation: Propagation | undefined, redis: boolean }> {
  const propagates = args.only === undefined || args.only.includes('sessions') || args.only.includes('propagation')
  const writesDocs = !args.smoke && args.only === undefined && args.flood
  return await withPrivateRedis(selectScenarios(args.only), { wanted: propagates, required: writesDocs }, async (scenarios, redis) => ({
    scenarios,
    measured: await runScenarios(args, load, scenarios),
    propagation: redis !== undefined && propagates ? await measurePropagation('single redis-server', () => new Redis(redis.url), PROPAGATIONS) : undefined,
    redis: redis !== undefined
  }))
}

/** The run's redis-server in the machine lines: its version and, when pinned, its CPU. */
function describeRedis (machine: Machine): void {
  machine.versions['redis-server'] = redisVersion()
  const pinning = currentPinning()
  if (pinning !== undefined) machine.settings += `; the Redis rows' private redis-server on CPU ${pinning.load} beside wrk`
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const wrk = args.autocannon ? undefined : findWrk()
  const load = wrk === undefined ? autocannonGenerator : wrkGenerator(wrk)
  const loadName = wrk === undefined ? `autocannon ${packageVersion('autocannon')}` : wrkVersion(wrk)
  if (wrk !== undefined && args.pin && canPin(cpus().length)) setPinning({ server: '0', load: `1-${cpus().length - 1}` })
  const started = Date.now()

  if (args.profile !== undefined) {
    const profiled = findScenario(args.profile)
    await withPrivateRedis([profiled], { wanted: false, required: true }, async ([scenario]) => { await runProfile(args.seconds, load, scenario as Scenario) })
    return
  }

  console.error(`${args.smoke ? 'smoke' : 'full'} run: ${loadName}, ${CONNECTIONS} connections, ${args.rounds} x ${args.seconds} s per scenario after ${args.warmup} s of warm-up` +
    (args.flood ? ', then the login flood' : '') + `; load average ${loadAverage()}`)

  const { scenarios, measured, propagation, redis } = await measureScenarios(args, load)
  const floods: FloodResult[] = args.flood ? await runFloods(args, args.smoke, load) : []
  const micro: MicroResult[] = args.only === undefined || args.only.includes('micro') ? await microCosts(args.smoke ? 2000 : 200_000) : []

  const machine = describeMachine(loadName, args, CONNECTIONS, currentPinning())
  if (redis) describeRedis(machine)
  const rows = [...scenarioRows(scenarios, measured), ...floods.flatMap(floodRows)]
  const lines = notes(floods, micro, machine, [...limitNote(rows), ...(propagation === undefined ? [] : [propagationNote(propagation)])])
  console.log('\n' + consoleTable(rows))
  if (lines.length > 0) console.log('\n' + lines.join('\n'))
  console.error(`\n${args.smoke ? 'smoke' : 'full'} run finished in ${((Date.now() - started) / 1000).toFixed(0)} s; load average ${loadAverage()}`)

  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ machine, rows, floods, propagation }, null, 2) + '\n')
  if (!args.smoke && args.only === undefined) {
    if (args.flood) {
      writeDocs(rows, lines, machine)
      console.error('wrote docs/benchmarks.md and docs/benchmarks.svg')
    } else {
      console.error('docs untouched: their section needs the login flood (--flood; `npm run bench` passes it)')
    }
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
