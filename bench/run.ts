/**
 * The benchmark suite: `npm run bench` (full: a warm-up, then 5 rounds of 3 s per scenario, and
 * docs/benchmarks.md + docs/benchmarks.svg written) or `npm run bench:smoke` (1 s per scenario,
 * proves that every scenario works, writes nothing and asserts no threshold).
 *
 * Every server runs in its own child process on 127.0.0.1 and a free port; the load generator is
 * wrk when installed, autocannon otherwise. Scenarios run round-robin so that a slow moment of the
 * machine hits all of them alike.
 *
 * Flags: --smoke, --autocannon (even when wrk is installed), --no-pin (no CPU pinning),
 * --only id,id (a subset; writes no docs),
 * --seconds n, --rounds n, --json file (raw numbers), --profile id (run one scenario under
 * `node --cpu-prof` and print where the server's time goes).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, release, type as osType } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { autocannonGenerator, canPin, findWrk, pin, wrkGenerator, wrkVersion, type LoadGenerator, type LoadOptions, type LoadResult } from './load.js'
import { consoleTable, formatMs, formatRate, markdownSection, percent, svgChart, type Machine, type Row } from './report.js'
import type { MicroResult } from './micro.js'
import type { ReadyMessage, ServerConfig } from './server.js'
import { defaultHashConcurrency } from '../lib/options.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '..')

interface Scenario {
  id: string
  name: string
  server: ServerConfig
  /** Which Authorization header the server handed out (none: no header). */
  auth?: string
  /** Replace the token's signature with random characters on every request. */
  spray?: boolean
  /**
   * Send, instead of an Authorization header, an `x-padding` header of the same length as this one
   * of the server's: a request of the same size that no hook reads.
   */
  padding?: string
  /** The status every response must have. */
  status: number
  /** The body a 200 must have. @default '{"hello":"world"}' */
  body?: string
  /**
   * Measure against the server process of this earlier scenario instead of a new one: a pair that
   * differs only in the request (a route with and without a token) then shares its process too.
   */
  sameServerAs?: string
  /**
   * The scenario whose req/s this one is a share of, and what to call it. By default, the bare route
   * of the scenario's own server process, sent the same request headers.
   */
  reference?: { id: string, label: string }
  target?: number
}

const PLUGIN: ServerConfig = { kind: 'plugin', hook: 'preHandler', verifyCacheSize: 1000 }

const SCENARIOS: Scenario[] = [
  { id: 'bare', name: 'bare route (same JSON)', server: { kind: 'bare' }, status: 200 },
  { id: 'noop-hook', name: 'no-op preHandler (the floor of any hook)', server: { kind: 'noop-hook' }, status: 200 },
  { id: 'valid', name: 'valid token (preHandler)', server: PLUGIN, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-onrequest', name: 'valid token (onRequest)', server: { ...PLUGIN, hook: 'onRequest' }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-loaduser', name: 'valid token, loadUser returning the user', server: { ...PLUGIN, loadUser: 'sync' }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-loaduser-async', name: 'valid token, loadUser returning a promise', server: { ...PLUGIN, loadUser: 'async' }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'valid-nocache', name: 'valid token, verifyCacheSize: 0', server: { ...PLUGIN, verifyCacheSize: 0 }, auth: 'valid', status: 200, target: 0.85 },
  { id: 'no-token', name: 'rejected: no token', server: PLUGIN, status: 401, target: 0.6 },
  { id: 'malformed', name: 'rejected: malformed header', server: PLUGIN, auth: 'malformed', status: 400, target: 0.6 },
  { id: 'bad-signature', name: 'rejected: bad signature', server: PLUGIN, auth: 'bad-signature', status: 401, target: 0.6 },
  { id: 'bad-signature-spray', name: 'rejected: bad signature, a new one each request', server: PLUGIN, auth: 'valid', spray: true, status: 401, target: 0.6 },
  { id: 'expired', name: 'rejected: expired token', server: PLUGIN, auth: 'expired', status: 401, target: 0.6 },
  { id: 'peer-jwt', name: 'peer: @fastify/jwt jwtVerify()', server: { kind: 'fastify-jwt' }, auth: 'valid', status: 200 },
  { id: 'peer-jwt-bad-signature', name: 'peer: @fastify/jwt, bad signature', server: { kind: 'fastify-jwt' }, auth: 'bad-signature', status: 401 },
  { id: 'peer-bearer-auth', name: 'peer: @fastify/bearer-auth static key', server: { kind: 'bearer-auth' }, auth: 'valid', status: 200 },
  { id: 'example-guest', name: 'example app: GET /hello, no token (a header of the same size)', server: { kind: 'example' }, padding: 'valid', status: 200, body: '{"message":"Hello guest"}' },
  { id: 'example-token', name: 'example app: GET /hello, token, user re-loaded from SQLite', server: { kind: 'example' }, auth: 'valid', status: 200, body: '{"message":"Hello alice"}', sameServerAs: 'example-guest', reference: { id: 'example-guest', label: 'no token' }, target: 0.85 }
]

interface Args {
  smoke: boolean
  autocannon: boolean
  only: string[] | undefined
  seconds: number
  rounds: number
  warmup: number
  json: string | undefined
  profile: string | undefined
  argv: string[]
}

function parseArgs (argv: string[]): Args {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag)
    return i === -1 ? undefined : argv[i + 1]
  }
  const smoke = argv.includes('--smoke')
  const only = value('--only')
  return {
    smoke,
    autocannon: argv.includes('--autocannon'),
    only: only === undefined ? undefined : only.split(','),
    seconds: Number(value('--seconds') ?? (smoke ? 1 : 3)),
    rounds: Number(value('--rounds') ?? (smoke ? 1 : 5)),
    warmup: smoke ? 1 : 2,
    json: value('--json'),
    profile: value('--profile'),
    argv
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Server {
  child: ChildProcess
  ready: ReadyMessage
  url: string
  /** The process's bare route: the same JSON, no hook. */
  bareUrl: string
}

function once<T> (child: ChildProcess, type: string, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${what}: no answer within ${timeoutMs} ms`)) }, timeoutMs)
    const onMessage = (message: { type?: string }): void => {
      if (message.type === type) { cleanup(); resolve(message as T) }
    }
    const onExit = (code: number | null): void => { cleanup(); reject(new Error(`${what}: the process exited with ${code}`)) }
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

function spawnTs (script: string, args: string[], execArgv: string[] = []): ChildProcess {
  return fork(join(here, script), args, {
    cwd: root,
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' }
  })
}

/**
 * CPU placement with wrk on a machine of 2+ CPUs: the scenario servers on CPU 0 and wrk on CPU 1,
 * so neither is scheduled onto the other's core mid-run (this steadies the numbers a lot on a
 * 2-core machine). The login flood is not pinned: argon2's threads need the other cores.
 */
let pinning: { server: string, load: string } | undefined

async function startServer (config: ServerConfig, execArgv: string[] = [], pinned = true): Promise<Server> {
  const child = spawnTs('server.ts', [JSON.stringify(config)], execArgv)
  const ready = await once<ReadyMessage>(child, 'ready', `server ${config.kind}`)
  if (pinning !== undefined && pinned && child.pid !== undefined) pin(child.pid, pinning.server)
  return { child, ready, url: `http://127.0.0.1:${ready.port}${ready.path}`, bareUrl: `http://127.0.0.1:${ready.port}${ready.barePath}` }
}

/**
 * Only the server under load runs, alone on the measured CPU. The others are paused (SIGSTOP) on
 * wrk's CPU: left running, their after-load garbage collections (V8's memory reducer runs for
 * seconds after a burst) and timers took CPU from wrk and from the kernel's loopback work, and a
 * scenario measured ~25 % lower in the full suite (13 idle servers) than in a subset of four.
 */
function onMeasuredCpu (server: Server, measured: boolean): void {
  if (server.child.pid === undefined || server.child.exitCode !== null) return
  if (measured) resume(server)
  if (pinning !== undefined) pin(server.child.pid, measured ? pinning.server : pinning.load)
  if (!measured && process.platform !== 'win32') server.child.kill('SIGSTOP')
}

function resume (server: Server): void {
  if (server.child.exitCode === null && process.platform !== 'win32') server.child.kill('SIGCONT')
}

async function rssMiB (server: Server): Promise<number> {
  resume(server)
  server.child.send({ type: 'rss' })
  const { rss } = await once<{ rss: number }>(server.child, 'rss', 'rss')
  return rss / 1024 / 1024
}

async function stopServer (server: Server): Promise<void> {
  if (server.child.exitCode !== null) return
  resume(server)
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.send({ type: 'close' })
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

async function microCosts (iterations: number): Promise<MicroResult[]> {
  const child = spawnTs('micro.ts', [String(iterations)])
  const { results } = await once<{ results: MicroResult[] }>(child, 'micro', 'token check micro-benchmark', 120_000)
  return results
}

async function argon2Rate (concurrency: number, seconds: number): Promise<{ perSecond: number, msPerVerify: number }> {
  const child = spawnTs('argon2-rate.ts', [String(concurrency), String(seconds)])
  return once(child, 'argon2', 'argon2 alone', 60_000 + seconds * 1000)
}

/** `work()` while argon2 verifies at `concurrency` in its own process, outside the server. */
async function besideArgon2<T> (concurrency: number, seconds: number, work: () => Promise<T>): Promise<T> {
  // The child hashes a little longer than the work lasts, so the whole load run overlaps it.
  const child = spawnTs('argon2-rate.ts', [String(concurrency), String(seconds + 1)])
  const finished = once(child, 'argon2', 'argon2 beside the load', 60_000 + seconds * 1000)
  await once(child, 'started', 'argon2 beside the load')
  const result = await work()
  await finished
  return result
}

// ---------------------------------------------------------------------------------------------
// Measuring

function headersOf (server: Server, scenario: Scenario): Record<string, string> {
  if (scenario.padding !== undefined) {
    const like = server.ready.headers[scenario.padding]
    if (like === undefined) throw new Error(`${scenario.id}: the server has no "${scenario.padding}" credentials`)
    return { 'x-padding': 'x'.repeat(like.length) }
  }
  if (scenario.auth === undefined) return {}
  const value = server.ready.headers[scenario.auth]
  if (value === undefined) throw new Error(`${scenario.id}: the server has no "${scenario.auth}" credentials`)
  return { authorization: scenario.spray === true ? sprayed(value) : value }
}

/** The header with the signature of its token replaced by random characters of the same length. */
function sprayed (header: string): string {
  const dot = header.lastIndexOf('.') + 1
  return header.slice(0, dot) + 'x'.repeat(header.length - dot)
}

function loadOf (server: Server, scenario: Scenario, seconds: number): LoadOptions {
  const headers = headersOf(server, scenario)
  const options: LoadOptions = { url: server.url, seconds, connections: CONNECTIONS, headers, cpus: pinning?.load }
  if (scenario.spray === true) {
    const value = headers.authorization as string
    const dot = value.lastIndexOf('.') + 1
    options.randomHeader = { name: 'authorization', prefix: value.slice(0, dot), length: value.length - dot }
  }
  return options
}

/** Whether a scenario is compared with the bare route of its own process (the default). */
function inProcessReference (scenario: Scenario): boolean {
  return scenario.reference === undefined && scenario.id !== 'bare'
}

/** The scenario's load, sent to the bare route of the same process instead: the same headers. */
function referenceLoadOf (server: Server, scenario: Scenario, seconds: number): LoadOptions {
  return { ...loadOf(server, scenario, seconds), url: server.bareUrl }
}

/** One request before the load: the scenario must answer what it claims to measure. */
async function sanityCheck (server: Server, scenario: Scenario): Promise<void> {
  if (inProcessReference(scenario)) {
    const reference = await fetch(server.bareUrl, { headers: headersOf(server, scenario) })
    const body = await reference.text()
    if (reference.status !== 200 || body !== '{"hello":"world"}') throw new Error(`${scenario.id}: the bare route answered ${reference.status} ${body}`)
  }
  const response = await fetch(server.url, { headers: headersOf(server, scenario) })
  const body = await response.text()
  const problems: string[] = []
  if (response.status !== scenario.status) problems.push(`status ${response.status}, expected ${scenario.status}`)
  if (scenario.status === 200 && body !== (scenario.body ?? '{"hello":"world"}')) problems.push(`body ${body}`)
  if (scenario.server.kind === 'plugin' && scenario.status !== 200) {
    const challenge = response.headers.get('www-authenticate') ?? ''
    if (!challenge.startsWith('Bearer realm="api"')) problems.push(`WWW-Authenticate ${challenge}`)
    if (!(JSON.parse(body) as { code?: string }).code?.startsWith('FST_PWB_')) problems.push(`body ${body}`)
  }
  if (problems.length > 0) throw new Error(`${scenario.id}: ${problems.join('; ')}`)
}

/** A load run whose every response must have the expected status. */
async function measure (load: LoadGenerator, options: LoadOptions, status: number, what: string): Promise<LoadResult> {
  const result = await load(options)
  const unexpected = status < 400 ? result.non2xx : result.requests - result.non2xx
  if (result.requests === 0 || unexpected > 0 || result.errors > 0) {
    throw new Error(`${what}: ${result.requests} requests, ${unexpected} with an unexpected status, ${result.errors} errors`)
  }
  return result
}

/**
 * The least disturbed of the rounds: the one with the most requests per second, with its own
 * latencies. On a shared machine a round can only be slowed by others, never sped up, so the best
 * round is the steadiest estimate (medians moved by +-30 % between runs here).
 */
function best (results: LoadResult[]): LoadResult {
  return results.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))
}

function summarise (results: LoadResult[]): { perSecond: number, p50: number, p99: number } {
  const { perSecond, p50, p99 } = best(results)
  return { perSecond, p50, p99 }
}

const CONNECTIONS = 32

// ---------------------------------------------------------------------------------------------
// The suite

interface FloodResult {
  cap: number
  idle: { perSecond: number, p50: number, p99: number }
  flood: { perSecond: number, p50: number, p99: number }
  /** During the flood, while the protected route is under load. */
  loginsPerSecond: number
  /** The same logins with nothing else running. */
  loginsAlonePerSecond: number
  /**
   * The protected route while the same argon2 work runs in another process, not the server: what
   * this machine leaves the route when argon2 takes its cores, whoever runs it.
   */
  ceiling: { perSecond: number, p50: number, p99: number }
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

interface Measured {
  perSecond: number
  p50: number
  p99: number
  rssMiB: number
  /** The bare route of the same process, sent the same headers in the same rounds. */
  reference?: { perSecond: number, p50: number, p99: number }
}

async function runScenarios (args: Args, load: LoadGenerator, scenarios: Scenario[]): Promise<Map<string, Measured>> {
  const servers = new Map<string, Server>()
  const results = new Map<string, LoadResult[]>()
  const references = new Map<string, LoadResult[]>()
  const out = new Map<string, Measured>()
  try {
    for (const scenario of scenarios) {
      const shared = scenario.sameServerAs === undefined ? undefined : servers.get(scenario.sameServerAs)
      const server = shared ?? await startServer(scenario.server)
      servers.set(scenario.id, server)
      await sanityCheck(server, scenario)
      results.set(scenario.id, [])
      references.set(scenario.id, [])
    }
    for (const scenario of scenarios) {
      const server = servers.get(scenario.id) as Server
      onMeasuredCpu(server, true)
      await measure(load, loadOf(server, scenario, args.warmup), scenario.status, `${scenario.id} warm-up`)
      if (inProcessReference(scenario)) await measure(load, referenceLoadOf(server, scenario, args.warmup), 200, `${scenario.id} bare route warm-up`)
      onMeasuredCpu(server, false)
    }
    // A server is stopped after the last round of the last scenario that uses it.
    const uses = new Map<Server, number>()
    for (const server of servers.values()) uses.set(server, (uses.get(server) ?? 0) + 1)
    for (let round = 1; round <= args.rounds; round++) {
      // Each round starts one scenario further on, so none is always first or last.
      const shift = (round - 1) % scenarios.length
      for (const scenario of [...scenarios.slice(shift), ...scenarios.slice(0, shift)]) {
        const server = servers.get(scenario.id) as Server
        onMeasuredCpu(server, true)
        const result = await measure(load, loadOf(server, scenario, args.seconds), scenario.status, scenario.id)
        // The process's bare route right after, with the same headers: the reference of this round.
        const reference = inProcessReference(scenario) ? await measure(load, referenceLoadOf(server, scenario, args.seconds), 200, `${scenario.id} bare route`) : undefined
        onMeasuredCpu(server, false)
        results.get(scenario.id)?.push(result)
        if (reference !== undefined) references.get(scenario.id)?.push(reference)
        console.error(`  round ${round}/${args.rounds}  ${scenario.id.padEnd(24)} ${formatRate(result.perSecond).padStart(8)} req/s  p99 ${formatMs(result.p99)}` +
          (reference === undefined ? '' : `  (its bare route ${formatRate(reference.perSecond)} req/s)`))
        if (round === args.rounds) {
          const measured: Measured = { ...summarise(results.get(scenario.id) as LoadResult[]), rssMiB: await rssMiB(server) }
          if (reference !== undefined) measured.reference = summarise(references.get(scenario.id) as LoadResult[])
          out.set(scenario.id, measured)
          const left = (uses.get(server) ?? 1) - 1
          uses.set(server, left)
          if (left === 0) await stopServer(server)
        }
      }
    }
  } finally {
    await Promise.all([...new Set(servers.values())].map(stopServer))
  }
  return out
}

async function runFlood (args: Args, load: LoadGenerator, cap: number): Promise<FloodResult> {
  const server = await startServer({ ...PLUGIN, maxConcurrentHashes: cap }, [], false)
  try {
    const scenario = SCENARIOS.find((s) => s.id === 'valid') as Scenario
    await sanityCheck(server, scenario)
    const protectedRun = (): Promise<LoadResult> => measure(load, { url: server.url, seconds: args.seconds, connections: CONNECTIONS, headers: headersOf(server, scenario) }, 200, 'protected route')
    const loginRun = (): Promise<LoadResult> => measure(load, {
      url: server.url.replace(/\/resource$/, '/token'),
      seconds: args.seconds,
      connections: cap, // exactly the argon2 concurrency cap: every login hashes at once, none waits
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: server.ready.loginBody as string
    }, 200, 'logins')
    await measure(load, { url: server.url, seconds: args.warmup, connections: CONNECTIONS, headers: headersOf(server, scenario) }, 200, 'flood warm-up')
    const idle: LoadResult[] = []
    const flood: LoadResult[] = []
    const logins: LoadResult[] = []
    const alone: LoadResult[] = []
    const ceiling: LoadResult[] = []
    const busyIdle: number[] = []
    const busyFlood: number[] = []
    for (let round = 1; round <= args.rounds; round++) {
      const [quiet, quietBusy] = await busyWhile(protectedRun)
      idle.push(quiet)
      busyIdle.push(quietBusy)
      alone.push(await loginRun())
      ceiling.push(await besideArgon2(cap, args.seconds, protectedRun))
      const [[during, login], floodBusy] = await busyWhile(() => Promise.all([protectedRun(), loginRun()]))
      flood.push(during)
      logins.push(login)
      busyFlood.push(floodBusy)
      console.error(`  round ${round}/${args.rounds}  flood cap ${cap}: idle ${formatRate(idle.at(-1)?.perSecond ?? NaN)} req/s, beside argon2 elsewhere ${formatRate(ceiling.at(-1)?.perSecond ?? NaN)} req/s, during ${formatRate(during.perSecond)} req/s (p99 ${formatMs(during.p99)}), ${login.perSecond.toFixed(1)} logins/s`)
    }
    const rss = await rssMiB(server)
    await stopServer(server)
    const argon2 = await argon2Rate(cap, args.smoke ? 1 : args.seconds)
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

// ---------------------------------------------------------------------------------------------
// Profiling

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

function summariseProfile (file: string, top = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id) as ProfileNode
    const dt = profile.timeDeltas[i] ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    const where = url === '' ? '' : ` ${url.replace(/^file:\/\//, '').replace(root + '/', '')}:${lineNumber + 1}`
    const key = `${functionName || '(anonymous)'}${where}`
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  })
  const lines = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([key, t]) => `${(t / total * 100).toFixed(1).padStart(5)} %  ${key}`)
  return [`self time, ${(total / 1e6).toFixed(1)} s sampled:`, ...lines].join('\n')
}

async function runProfile (args: Args, load: LoadGenerator, id: string): Promise<void> {
  const scenario = SCENARIOS.find((s) => s.id === id)
  if (scenario === undefined) throw new Error(`no scenario "${id}"; one of ${SCENARIOS.map((s) => s.id).join(', ')}`)
  const dir = join(root, 'bench', 'profiles')
  mkdirSync(dir, { recursive: true })
  const before = new Set(readdirSync(dir))
  const server = await startServer(scenario.server, ['--cpu-prof', '--cpu-prof-dir', dir])
  await sanityCheck(server, scenario)
  const result = await measure(load, loadOf(server, scenario, args.seconds), scenario.status, id)
  await stopServer(server)
  console.log(`${id}: ${formatRate(result.perSecond)} req/s, p99 ${formatMs(result.p99)} (under the profiler)`)
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's module
  // loader runs in a worker and writes its own profile).
  const written = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f) && f.split('.')[4] === '0')
    .map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  if (written[0] === undefined) throw new Error('the server wrote no main-thread profile')
  console.log(`${written[0]}\n${summariseProfile(written[0])}`)
}

// ---------------------------------------------------------------------------------------------

function version (name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'n/a'
  }
}

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'

/** Replaces the generated section of docs/benchmarks.md and keeps the hand-written rest. */
function writeDocs (section: string, svg: string): void {
  const docs = join(root, 'docs')
  mkdirSync(docs, { recursive: true })
  writeFileSync(join(docs, 'benchmarks.svg'), svg)
  const file = join(docs, 'benchmarks.md')
  const generated = `${START}\n${section}\n${END}`
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`
  const at = current.indexOf(START)
  const end = current.indexOf(END)
  const next = at === -1 || end === -1
    ? current.trimEnd() + '\n\n' + generated + '\n'
    : current.slice(0, at) + generated + current.slice(end + END.length)
  writeFileSync(file, next)
}

async function main (): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const wrk = args.autocannon ? undefined : findWrk()
  const load = wrk === undefined ? autocannonGenerator : wrkGenerator(wrk)
  const loadName = wrk === undefined ? `autocannon ${version('autocannon')}` : wrkVersion(wrk)
  if (wrk !== undefined && !args.argv.includes('--no-pin') && canPin(cpus().length)) {
    pinning = { server: '0', load: `1-${cpus().length - 1}` }
  }
  const started = Date.now()

  if (args.profile !== undefined) {
    await runProfile(args, load, args.profile)
    return
  }

  const scenarios = SCENARIOS.filter((s) => args.only === undefined || args.only.includes(s.id))
  const withFlood = args.only === undefined || args.only.includes('flood')
  console.error(`${args.smoke ? 'smoke' : 'full'} run: ${loadName}, ${CONNECTIONS} connections, ${args.rounds} x ${args.seconds} s per scenario after ${args.warmup} s of warm-up`)

  const measured = await runScenarios(args, load, scenarios)
  const floods: FloodResult[] = []
  if (withFlood) {
    for (const cap of args.smoke ? [2] : [2, 1]) floods.push(await runFlood(args, load, cap))
  }

  const micro = args.only === undefined || args.only.includes('micro') ? await microCosts(args.smoke ? 2000 : 200_000) : []

  const rows: Row[] = scenarios.map((s) => {
    const { reference, ...m } = measured.get(s.id) as Measured
    const base = s.reference !== undefined
      ? measured.get(s.reference.id)?.perSecond ?? NaN
      : reference?.perSecond ?? m.perSecond // the bare route is its own reference
    const row: Row = { id: s.id, scenario: s.name, ...m, referencePerSecond: base, ratio: m.perSecond / base, reference: s.reference?.label ?? 'bare' }
    if (s.target !== undefined) row.target = s.target
    return row
  })
  const extra: string[] = []
  for (const f of floods) {
    const name = f.cap === defaultHashConcurrency() ? `cap ${f.cap}, the default here` : `cap ${f.cap}`
    rows.push({ id: `flood-${f.cap}`, scenario: `valid token during login flood (${name})`, perSecond: f.flood.perSecond, p50: f.flood.p50, p99: f.flood.p99, referencePerSecond: f.idle.perSecond, ratio: f.flood.perSecond / f.idle.perSecond, reference: 'idle', target: 0.7, rssMiB: f.rssMiB })
    rows.push({ id: `ceiling-${f.cap}`, scenario: `valid token beside argon2 in another process (concurrency ${f.cap})`, perSecond: f.ceiling.perSecond, p50: f.ceiling.p50, p99: f.ceiling.p99, referencePerSecond: f.idle.perSecond, ratio: f.ceiling.perSecond / f.idle.perSecond, reference: 'idle', rssMiB: f.rssMiB })
    extra.push(`- Login flood, maxConcurrentHashes ${f.cap}, ${f.cap} concurrent logins: the protected route keeps ` +
      `${formatRate(f.flood.perSecond)} of ${formatRate(f.idle.perSecond)} req/s idle (${percent(f.flood.perSecond / f.idle.perSecond)}, target 70 %); ` +
      `p99 ${formatMs(f.flood.p99)} vs ${formatMs(f.idle.p99)} idle (${(f.flood.p99 / f.idle.p99).toFixed(1)}x, target <= 2x); ` +
      `${f.loginsPerSecond.toFixed(1)} logins/s during the flood and ${f.loginsAlonePerSecond.toFixed(1)} logins/s with no other load, ` +
      `vs ${f.argon2.perSecond.toFixed(1)} argon2 verifications/s alone at concurrency ${f.cap} ` +
      `(${percent(f.loginsPerSecond / f.argon2.perSecond)} and ${percent(f.loginsAlonePerSecond / f.argon2.perSecond)}; ` +
      `${f.argon2.msPerVerify.toFixed(1)} ms per verification). ` +
      `The same argon2 work in another process leaves the route ${formatRate(f.ceiling.perSecond)} req/s ` +
      `(${percent(f.ceiling.perSecond / f.idle.perSecond)} of idle, p99 ${formatMs(f.ceiling.p99)}): the flood reaches ` +
      `${percent(f.flood.perSecond / f.ceiling.perSecond)} of what this machine leaves the route. ` +
      `The machine's ${cpus().length} CPUs were ${percent(f.busy.idle)} busy with the route idle (server and load generator) ` +
      `and ${percent(f.busy.flood)} busy during the flood.`)
  }

  if (micro.length > 0) {
    extra.push('', 'The token check alone, in one process, no HTTP (`npx tsx bench/micro.ts`):', '',
      '| token check | µs per call |', '| --- | ---: |',
      ...micro.map((m) => `| ${m.name} | ${(m.nsPerCall / 1000).toFixed(2)} |`))
  }

  console.log('\n' + consoleTable(rows))
  if (extra.length > 0) console.log('\n' + extra.join('\n'))
  console.error(`\n${args.smoke ? 'smoke' : 'full'} run finished in ${((Date.now() - started) / 1000).toFixed(0)} s`)

  const machine: Machine = {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    node: process.version,
    os: `${osType()} ${release()}`,
    loadGenerator: loadName,
    date: new Date().toISOString().slice(0, 10),
    versions: Object.fromEntries(['fastify', '@fastify/jwt', 'fast-jwt', '@fastify/bearer-auth', 'argon2', 'autocannon'].map((n) => [n, version(n)])),
    settings: `${CONNECTIONS} connections, best of ${args.rounds} rounds of ${args.seconds} s per scenario after ${args.warmup} s of warm-up, scenarios round-robin, each server in its own process, ` +
      'each scenario against the bare route of its own process (same headers, right after it in every round)' +
      (pinning === undefined ? ', no CPU pinning' : `; servers pinned to CPU ${pinning.server} and wrk to CPU ${pinning.load} (taskset), except in the login flood`)
  }
  if (args.json !== undefined) writeFileSync(args.json, JSON.stringify({ machine, rows, floods }, null, 2) + '\n')
  if (!args.smoke && args.only === undefined) {
    writeDocs(markdownSection(rows, extra, machine, 'benchmarks.svg'), svgChart(rows, 'Throughput as a share of the bare route of the same process (login flood: of the idle route)'))
    console.error('wrote docs/benchmarks.md and docs/benchmarks.svg')
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
