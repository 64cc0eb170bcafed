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
 * such as many-tokens, flood, micro; writes no docs),
 * --seconds n, --rounds n, --json file (raw numbers), --profile id (run one scenario under
 * `node --cpu-prof` and print where the server's time goes). The docs are written by a full run
 * only: no --smoke, no --only, and --flood (their section has the flood's rows).
 *
 * The parts: scenarios.ts (what is measured), processes.ts (the child processes), measure.ts
 * (rounds and checks), flood.ts (the login flood), report.ts (tables, chart and the docs' words),
 * profile.ts (--profile), load.ts (wrk and autocannon), server.ts (the servers).
 */
import { cpus } from 'node:os'
import { writeFileSync } from 'node:fs'
import { runFloods, type FloodResult } from './flood.js'
import { autocannonGenerator, canPin, findWrk, wrkGenerator, wrkVersion } from './load.js'
import { CONNECTIONS, runScenarios, type Timing } from './measure.js'
import type { MicroResult } from './micro.js'
import { currentPinning, microCosts, packageVersion, setPinning } from './processes.js'
import { runProfile } from './profile.js'
import { consoleTable, describeMachine, floodRows, notes, scenarioRows, writeDocs } from './report.js'
import { selectScenarios } from './scenarios.js'

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

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const wrk = args.autocannon ? undefined : findWrk()
  const load = wrk === undefined ? autocannonGenerator : wrkGenerator(wrk)
  const loadName = wrk === undefined ? `autocannon ${packageVersion('autocannon')}` : wrkVersion(wrk)
  if (wrk !== undefined && args.pin && canPin(cpus().length)) setPinning({ server: '0', load: `1-${cpus().length - 1}` })
  const started = Date.now()

  if (args.profile !== undefined) {
    await runProfile(args.seconds, load, args.profile)
    return
  }

  const scenarios = selectScenarios(args.only)
  console.error(`${args.smoke ? 'smoke' : 'full'} run: ${loadName}, ${CONNECTIONS} connections, ${args.rounds} x ${args.seconds} s per scenario after ${args.warmup} s of warm-up` +
    (args.flood ? ', then the login flood' : ''))

  const measured = await runScenarios(args, load, scenarios)
  const floods: FloodResult[] = args.flood ? await runFloods(args, args.smoke, load) : []
  const micro: MicroResult[] = args.only === undefined || args.only.includes('micro') ? await microCosts(args.smoke ? 2000 : 200_000) : []

  const machine = describeMachine(loadName, args, CONNECTIONS, currentPinning())
  const rows = [...scenarioRows(scenarios, measured), ...floods.flatMap(floodRows)]
  const lines = notes(floods, micro, machine)
  console.log('\n' + consoleTable(rows))
  if (lines.length > 0) console.log('\n' + lines.join('\n'))
  console.error(`\n${args.smoke ? 'smoke' : 'full'} run finished in ${((Date.now() - started) / 1000).toFixed(0)} s`)

  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ machine, rows, floods }, null, 2) + '\n')
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
