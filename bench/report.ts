/**
 * Presentation of a benchmark run, and every word of the generated section of docs/benchmarks.md:
 * the rows of the results table and the console's, the machine and settings lines, the login-flood
 * and micro-benchmark notes, a hand-written SVG bar chart of the ratios, and writing the section.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, type as osType } from 'node:os'
import { join } from 'node:path'
import { defaultHashConcurrency } from '../lib/options.js'
import type { FloodResult } from './flood.js'
import type { Measured, Timing } from './measure.js'
import type { MicroResult } from './micro.js'
import { svgChart } from './chart.js'
import { formatMs, formatRate, percent } from './format.js'
import { packageVersion, root, type Pinning } from './processes.js'
import type { Scenario } from './scenarios.js'

export interface Row {
  /** Stable id, e.g. `valid`. */
  id: string
  scenario: string
  perSecond: number
  p50: number
  p99: number
  /**
   * The reference's req/s: the bare route of the same server process, sent the same headers in the
   * same rounds (`reference` 'bare'), or sent one token where the scenario sends many ('one token'),
   * or, for a refresh row, the process's bare form route sent the same bodies ('bare form POST');
   * or the scenario named by `reference` (the idle route for the flood).
   */
  referencePerSecond: number
  /** req/s divided by `referencePerSecond`. */
  ratio: number
  /** What `ratio` compares with. */
  reference: string
  /** The target for this row, as a ratio, if it has one. */
  target?: number
  rssMiB: number
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  os: string
  loadGenerator: string
  date: string
  versions: Record<string, string>
  settings: string
}

function ratioCell (row: Row): string {
  const value = percent(row.ratio)
  const ref = row.reference === 'bare' ? '' : ` of ${row.reference}`
  if (row.target === undefined) return value + ref
  return `${value}${ref} (target ${Math.round(row.target * 100)} %${row.ratio >= row.target ? ', met' : ', missed'})`
}

/** A row's cells, in the order of both tables' headers. */
function cellsOf (r: Row): string[] {
  return [r.scenario, formatRate(r.perSecond), formatMs(r.p50), formatMs(r.p99), formatRate(r.referencePerSecond), ratioCell(r), r.rssMiB.toFixed(0) + ' MiB']
}

export function tableLines (rows: Row[]): string[] {
  const header = ['scenario', 'req/s', 'p50', 'p99', 'reference req/s', 'ratio to reference', 'RSS']
  const cells = rows.map(cellsOf)
  return [header, ...cells].map((c) => '| ' + c.join(' | ') + ' |')
    .flatMap((line, i) => (i === 0 ? [line, '|' + header.map((_, j) => (j === 0 ? ' --- ' : ' ---: ')).join('|') + '|'] : [line]))
}

/** Plain-text table for the console. */
export function consoleTable (rows: Row[]): string {
  const header = ['scenario', 'req/s', 'p50', 'p99', 'reference', 'ratio', 'RSS']
  const cells = rows.map(cellsOf)
  const all = [header, ...cells]
  const widths = header.map((_, j) => Math.max(...all.map((c) => (c[j] as string).length)))
  return all.map((c) => c.map((cell, j) => (j === 0 || j === 5 ? cell.padEnd(widths[j] as number) : cell.padStart(widths[j] as number))).join('  ')).join('\n')
}

/** The generated part of docs/benchmarks.md. */
export function markdownSection (rows: Row[], extra: string[], machine: Machine, svgPath: string): string {
  const versions = Object.entries(machine.versions).map(([name, v]) => `${name} ${v}`).join(', ')
  return [
    `Run on ${machine.date} with \`npm run bench\`.`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}`,
    `- Load generator: ${machine.loadGenerator}; ${machine.settings}`,
    `- Versions: ${versions}`,
    '',
    ...tableLines(rows),
    '',
    ...extra,
    '',
    `![Throughput as a share of the bare route of the same process; black ticks are the targets](${svgPath})`
  ].join('\n')
}

/** A row per scenario: its best round against its reference's best round. */
export function scenarioRows (scenarios: Scenario[], measured: Map<string, Measured>): Row[] {
  return scenarios.map((s) => {
    const { reference, ...m } = measured.get(s.id) as Measured
    const base = s.reference !== undefined
      ? measured.get(s.reference.id)?.perSecond ?? NaN
      : reference?.perSecond ?? m.perSecond // the bare route is its own reference
    const label = s.reference?.label ?? (s.referenceOneToken === true ? 'one token' : s.refresh === true ? 'bare form POST' : 'bare')
    const row: Row = { id: s.id, scenario: s.name, ...m, referencePerSecond: base, ratio: m.perSecond / base, reference: label }
    if (s.target !== undefined) row.target = s.target
    return row
  })
}

/**
 * The plugin's row of 10,000 distinct tokens against the hand-written limit measured in the same
 * process and run, when both ran: how close to the work's limit the plugin comes, whatever the
 * bare route read.
 */
export function limitNote (rows: Row[]): string[] {
  const plugin = rows.find((r) => r.id === 'valid-many-tokens')
  const limit = rows.find((r) => r.id === 'bare-hmac-many-tokens')
  if (plugin === undefined || limit === undefined) return []
  return [`- 10,000 distinct tokens: the plugin served ${formatRate(plugin.perSecond)} req/s, ` +
    `${percent(plugin.perSecond / limit.perSecond)} of the ${formatRate(limit.perSecond)} req/s of the hand-written HMAC check in the same process.`]
}

/** Two rows per login-flood cap: the route during the flood, and beside argon2 in another process. */
export function floodRows (f: FloodResult): Row[] {
  const name = f.cap === defaultHashConcurrency() ? `cap ${f.cap}, the default here` : `cap ${f.cap}`
  return [
    { id: `flood-${f.cap}`, scenario: `valid token during login flood (${name})`, perSecond: f.flood.perSecond, p50: f.flood.p50, p99: f.flood.p99, referencePerSecond: f.idle.perSecond, ratio: f.flood.perSecond / f.idle.perSecond, reference: 'idle', target: 0.7, rssMiB: f.rssMiB },
    { id: `ceiling-${f.cap}`, scenario: `valid token beside argon2 in another process (concurrency ${f.cap})`, perSecond: f.ceiling.perSecond, p50: f.ceiling.p50, p99: f.ceiling.p99, referencePerSecond: f.idle.perSecond, ratio: f.ceiling.perSecond / f.idle.perSecond, reference: 'idle', rssMiB: f.rssMiB }
  ]
}

function floodNote (f: FloodResult, cores: number): string {
  return `- Login flood, maxConcurrentHashes ${f.cap}, ${f.cap} concurrent logins: the protected route keeps ` +
    `${formatRate(f.flood.perSecond)} of ${formatRate(f.idle.perSecond)} req/s idle (${percent(f.flood.perSecond / f.idle.perSecond)}, target 70 %); ` +
    `p99 ${formatMs(f.flood.p99)} vs ${formatMs(f.idle.p99)} idle (${(f.flood.p99 / f.idle.p99).toFixed(1)}x, target <= 2x); ` +
    `${f.loginsPerSecond.toFixed(1)} logins/s during the flood and ${f.loginsAlonePerSecond.toFixed(1)} logins/s with no other load, ` +
    `vs ${f.argon2.perSecond.toFixed(1)} argon2 verifications/s alone at concurrency ${f.cap} ` +
    `(${percent(f.loginsPerSecond / f.argon2.perSecond)} and ${percent(f.loginsAlonePerSecond / f.argon2.perSecond)}; ` +
    `${f.argon2.msPerVerify.toFixed(1)} ms per verification). ` +
    `The same argon2 work in another process leaves the route ${formatRate(f.ceiling.perSecond)} req/s ` +
    `(${percent(f.ceiling.perSecond / f.idle.perSecond)} of idle, p99 ${formatMs(f.ceiling.p99)}): the flood reaches ` +
    `${percent(f.flood.perSecond / f.ceiling.perSecond)} of what this machine leaves the route. ` +
    `The machine's ${cores} CPUs were ${percent(f.busy.idle)} busy with the route idle (server and load generator) ` +
    `and ${percent(f.busy.flood)} busy during the flood.`
}

/**
 * The lines below the table: a paragraph per login-flood cap, then `more` (the plugin against the
 * hand-written limit, the revocation propagation), then the micro-benchmark's table.
 */
export function notes (floods: FloodResult[], micro: MicroResult[], machine: Machine, more: string[] = []): string[] {
  const lines = [...floods.map((f) => floodNote(f, machine.cores)), ...more]
  if (micro.length > 0) {
    lines.push('', 'The token check alone, in one process, no HTTP (`npx tsx bench/micro.ts`):', '',
      '| token check | µs per call |', '| --- | ---: |',
      ...micro.map((m) => `| ${m.name} | ${(m.nsPerCall / 1000).toFixed(2)} |`))
  }
  return lines
}

/** This machine, the load generator and how the run measured. */
export function describeMachine (loadGenerator: string, timing: Timing, connections: number, pinning: Pinning | undefined): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    node: process.version,
    os: `${osType()} ${release()}`,
    loadGenerator,
    date: new Date().toISOString().slice(0, 10),
    versions: Object.fromEntries(['fastify', '@fastify/jwt', 'fast-jwt', '@fastify/bearer-auth', 'argon2', 'autocannon', 'ioredis'].map((n) => [n, packageVersion(n)])),
    settings: `${connections} connections, best of ${timing.rounds} rounds of ${timing.seconds} s per scenario after ${timing.warmup} s of warm-up, scenarios round-robin, each server in its own process, ` +
      'each scenario against the bare route of its own process (same headers, right after it in every round)' +
      (pinning === undefined ? ', no CPU pinning' : `; servers pinned to CPU ${pinning.server} and wrk to CPU ${pinning.load} (taskset), except in the login flood`)
  }
}

/** The title of docs/benchmarks.svg. */
export const CHART_TITLE = 'Throughput as a share of the bare route of the same process (login flood: of the idle route)'

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'

/** Replaces the generated section of docs/benchmarks.md, keeping the hand-written rest, and writes the chart. */
export function writeDocs (rows: Row[], lines: string[], machine: Machine): void {
  const docs = join(root, 'docs')
  mkdirSync(docs, { recursive: true })
  writeFileSync(join(docs, 'benchmarks.svg'), svgChart(rows, CHART_TITLE))
  const file = join(docs, 'benchmarks.md')
  const generated = `${START}\n${markdownSection(rows, lines, machine, 'benchmarks.svg')}\n${END}`
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`
  const at = current.indexOf(START)
  const end = current.indexOf(END)
  const next = at === -1 || end === -1
    ? current.trimEnd() + '\n\n' + generated + '\n'
    : current.slice(0, at) + generated + current.slice(end + END.length)
  writeFileSync(file, next)
}
