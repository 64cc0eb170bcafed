/**
 * How a scenario is measured: the request it sends, the one-request check before the load, load
 * runs whose every response must have the expected status, the rounds (round-robin, each
 * scenario followed by the bare route of its own process with the same headers), and the best of
 * the rounds.
 */
import { TOKEN_TTL } from './servers/common.js'
import { formatMs, formatRate } from './format.js'
import { currentPinning, onMeasuredCpu, rssMiB, startServer, stopServer, type Server } from './processes.js'
import type { Scenario } from './scenarios.js'
import type { LoadGenerator, LoadOptions, LoadResult } from './load.js'
import { checkRefresh, refreshLoadOf, refreshReferenceLoadOf } from './refresh-load.js'

export const CONNECTIONS = 32

/** How long each load run lasts and how many rounds there are. */
export interface Timing {
  seconds: number
  rounds: number
  /** Seconds of load before the first round. */
  warmup: number
}

export interface Summary { perSecond: number, p50: number, p99: number }

export interface Measured extends Summary {
  rssMiB: number
  /** The bare route of the same process, sent the same headers in the same rounds. */
  reference?: Summary
}

/** Whether a scenario is compared with the bare route of its own process (the default). */
export function inProcessReference (scenario: Scenario): boolean {
  return scenario.reference === undefined && scenario.id !== 'bare'
}

/** The server's distinct tokens, for a scenario that sends them. */
function tokensOf (server: Server, scenario: Scenario): string[] {
  const tokens = server.ready.tokens ?? []
  if (tokens.length === 0 || new Set(tokens).size !== tokens.length) throw new Error(`${scenario.id}: the server handed out ${tokens.length} tokens, not all distinct`)
  return tokens
}

/** The scenario's request headers (with `tokens`, those of the first request). */
export function headersOf (server: Server, scenario: Scenario): Record<string, string> {
  if (scenario.tokens === true) return { authorization: tokensOf(server, scenario)[0] as string }
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

/** The scenario's load; a refresh row first asks its server for fresh refresh tokens. */
export async function loadOf (server: Server, scenario: Scenario, seconds: number): Promise<LoadOptions> {
  if (scenario.refresh === true) return await refreshLoadOf(server, { seconds, connections: CONNECTIONS, cpus: currentPinning()?.load })
  return requestLoadOf(server, scenario, seconds)
}

/** The URL the scenario loads: its server's, or another path of the same process. */
function urlOf (server: Server, scenario: Scenario): string {
  return scenario.path === undefined ? server.url : new URL(scenario.path, server.url).href
}

function requestLoadOf (server: Server, scenario: Scenario, seconds: number): LoadOptions {
  const headers = headersOf(server, scenario)
  const options: LoadOptions = { url: urlOf(server, scenario), seconds, connections: CONNECTIONS, headers, cpus: currentPinning()?.load }
  if (scenario.spray === true) {
    const value = headers.authorization as string
    const dot = value.lastIndexOf('.') + 1
    options.randomHeader = { name: 'authorization', prefix: value.slice(0, dot), length: value.length - dot }
  }
  if (scenario.tokens === true) options.cycleHeader = { name: 'authorization', values: tokensOf(server, scenario) }
  return options
}

/**
 * The scenario's load, sent to the bare route of the same process instead: the same headers (or,
 * with `referenceOneToken`, the first token on every request).
 */
function referenceLoadOf (server: Server, scenario: Scenario, seconds: number): LoadOptions {
  if (scenario.refresh === true) return refreshReferenceLoadOf(server, { seconds, connections: CONNECTIONS, cpus: currentPinning()?.load })
  const { cycleHeader, ...options } = requestLoadOf(server, scenario, seconds)
  return { ...options, ...(scenario.referenceOneToken === true ? {} : { cycleHeader }), url: server.bareUrl }
}

/**
 * One request before the load (with `tokens`: the first, a middle and the last token): the scenario
 * must answer what it claims to measure.
 */
export async function sanityCheck (server: Server, scenario: Scenario): Promise<void> {
  if (scenario.refresh === true) return await checkRefresh(server, scenario)
  const tokens = scenario.tokens === true ? tokensOf(server, scenario) : undefined
  const requests = tokens === undefined
    ? [headersOf(server, scenario)]
    : [0, tokens.length >> 1, tokens.length - 1].map((i) => ({ authorization: tokens[i] as string }))
  for (const headers of requests) await checkOne(server, scenario, headers)
}

async function checkOne (server: Server, scenario: Scenario, headers: Record<string, string>): Promise<void> {
  if (inProcessReference(scenario)) {
    const reference = await fetch(server.bareUrl, { headers })
    const body = await reference.text()
    if (reference.status !== 200 || body !== '{"hello":"world"}') throw new Error(`${scenario.id}: the bare route answered ${reference.status} ${body}`)
  }
  const response = await fetch(urlOf(server, scenario), { headers })
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
export async function measure (load: LoadGenerator, options: LoadOptions, status: number, what: string): Promise<LoadResult> {
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
export function best (results: LoadResult[]): LoadResult {
  return results.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))
}

export function summarise (results: LoadResult[]): Summary {
  const { perSecond, p50, p99 } = best(results)
  return { perSecond, p50, p99 }
}

/** Every scenario, warmed up and then measured round-robin; each server stopped after its last use. */
export async function runScenarios (timing: Timing, load: LoadGenerator, scenarios: Scenario[]): Promise<Map<string, Measured>> {
  const servers = new Map<string, Server>()
  const results = new Map<string, LoadResult[]>()
  const references = new Map<string, LoadResult[]>()
  const out = new Map<string, Measured>()
  // Every token is signed when its server starts, for TOKEN_TTL seconds.
  const planned = scenarios.reduce((sum, s) => sum + (inProcessReference(s) ? 2 : 1) * (timing.warmup + timing.rounds * timing.seconds), 0)
  if (planned > TOKEN_TTL - 60) console.error(`warning: ${planned} s of load, and the tokens expire ${TOKEN_TTL} s after their server starts`)
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
      await measure(load, await loadOf(server, scenario, timing.warmup), scenario.status, `${scenario.id} warm-up`)
      if (inProcessReference(scenario)) await measure(load, referenceLoadOf(server, scenario, timing.warmup), 200, `${scenario.id} bare route warm-up`)
      onMeasuredCpu(server, false)
    }
    // A server is stopped after the last round of the last scenario that uses it.
    const uses = new Map<Server, number>()
    for (const server of servers.values()) uses.set(server, (uses.get(server) ?? 0) + 1)
    for (let round = 1; round <= timing.rounds; round++) {
      // Each round starts one scenario further on, so none is always first or last.
      const shift = (round - 1) % scenarios.length
      for (const scenario of [...scenarios.slice(shift), ...scenarios.slice(0, shift)]) {
        const server = servers.get(scenario.id) as Server
        onMeasuredCpu(server, true)
        const result = await measure(load, await loadOf(server, scenario, timing.seconds), scenario.status, scenario.id)
        // The process's bare route right after, with the same headers: the reference of this round.
        const reference = inProcessReference(scenario) ? await measure(load, referenceLoadOf(server, scenario, timing.seconds), 200, `${scenario.id} bare route`) : undefined
        onMeasuredCpu(server, false)
        results.get(scenario.id)?.push(result)
        if (reference !== undefined) references.get(scenario.id)?.push(reference)
        console.error(`  round ${round}/${timing.rounds}  ${scenario.id.padEnd(24)} ${formatRate(result.perSecond).padStart(8)} req/s  p99 ${formatMs(result.p99)}` +
          (reference === undefined ? '' : `  (its bare route ${formatRate(reference.perSecond)} req/s)`))
        if (round === timing.rounds) {
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
