/**
 * Load generators: wrk when it is installed (C, light on a small machine), autocannon otherwise
 * (its programmatic API, in the runner's process; the servers run in their own processes).
 * Both are bounded in time and report the same numbers.
 */
import autocannon from 'autocannon'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface LoadOptions {
  url: string
  seconds: number
  connections: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  body?: string
  /**
   * A fresh value of this header on every request: `prefix` and then `length` random base64url
   * characters (a spray of distinct tokens, which no cache can answer).
   */
  randomHeader?: { name: string, prefix: string, length: number }
  /**
   * This header takes these values in turn, one per request, round-robin over all connections
   * (distinct tokens, more than a cache holds). The list is built once, before the load.
   */
  cycleHeader?: { name: string, values: string[] }
  /**
   * Bodies that follow a chain, each value sent once: a body is `before` + a value + `after`. The
   * first values are `first`; every answer's JSON string field `field` joins the queue as a later
   * one (a refresh answer's new refresh token). One queue for all connections, first in first
   * out, so `first` needs at least one value per connection; an empty queue sends an empty value.
   */
  chain?: Chain
  /** wrk only: run it on these CPUs (`taskset -c`), e.g. '1'. */
  cpus?: string | undefined
}

export interface Chain { field: string, first: string[], before: string, after: string }

export interface LoadResult {
  requests: number
  perSecond: number
  /** Latency percentiles in milliseconds. */
  p50: number
  p99: number
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function randomTail (length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += BASE64URL[Math.floor(Math.random() * 64)]
  return out
}

export type LoadGenerator = (options: LoadOptions) => Promise<LoadResult>

/** The wrk binary, or undefined when it is not installed. */
export function findWrk (): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

/** Whether processes can be pinned to CPUs here (taskset, and at least two CPUs). */
export function canPin (cpuCount: number): boolean {
  if (cpuCount < 2) return false
  try {
    execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' })
    return true
  } catch {
    return false
  }
}

/** Moves every thread of a running process onto these CPUs (`taskset -a -p -c`). */
export function pin (pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

export function wrkVersion (wrk: string): string {
  try {
    execFileSync(wrk, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (err) {
    // wrk --version prints its banner and exits 1.
    const out = String((err as { stdout?: string }).stdout ?? '')
    return out.split('\n')[0]?.replace(/\s+Copyright.*$/, '').trim() ?? 'wrk'
  }
  return 'wrk'
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function duration (text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '')
  if (m === null) return NaN
  return Number(m[1]) * (UNITS[m[2] as string] as number)
}

/** Parses wrk's `--latency` report. */
export function parseWrk (out: string): LoadResult {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN)
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const p50 = duration(/\s50%\s+(\S+)/.exec(out)?.[1])
  const p99 = duration(/\s99%\s+(\S+)/.exec(out)?.[1])
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = socket === null ? 0 : socket.slice(1).reduce((sum, n) => sum + Number(n), 0)
  if (!Number.isFinite(requests) || !Number.isFinite(perSecond) || !Number.isFinite(p99)) {
    throw new Error('could not read the wrk report:\n' + out)
  }
  return { requests, perSecond, p50, p99, non2xx, errors }
}

function luaString (value: string): string {
  return JSON.stringify(value) // a JSON string literal of printable ASCII is a valid Lua string
}

/** What finds the chain's next value in an answer: a Lua pattern that is also a JS regular expression. */
function chainPattern (chain: Chain): string {
  if (!/^\w+$/.test(chain.field)) throw new Error(`chain field "${chain.field}": letters, digits and _ only`)
  return `"${chain.field}":"([^"]+)"`
}

/**
 * The Lua of a chain (see `LoadOptions.chain`): the first values read from `file`, a queue that
 * request() takes from and response() adds each answer's `field` to. wrk calls response() for a
 * connection before that connection's next request().
 */
function chainLua (chain: Chain, file: string): string[] {
  writeFileSync(file, chain.first.join('\n') + '\n')
  return [
    'local queue, head, tail = {}, 1, 0',
    `for line in io.lines(${luaString(file)}) do tail = tail + 1; queue[tail] = line end`,
    'request = function()',
    '  local value = queue[head] or ""',
    '  queue[head] = nil',
    '  if head <= tail then head = head + 1 end',
    `  wrk.body = ${luaString(chain.before)} .. value .. ${luaString(chain.after)}`,
    '  return wrk.format()',
    'end',
    'response = function(status, headers, body)',
    `  local value = body:match(${luaString(chainPattern(chain))})`,
    '  if value ~= nil then tail = tail + 1; queue[tail] = value end',
    'end'
  ]
}

export function wrkGenerator (wrk: string): LoadGenerator {
  return async (options) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'))
    try {
      const lines = [`wrk.method = ${luaString(options.method ?? 'GET')}`]
      for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`)
      if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`)
      const random = options.randomHeader
      const cycle = options.cycleHeader
      if (options.chain !== undefined) {
        lines.push(...chainLua(options.chain, join(dir, 'values.txt')))
      } else if (cycle !== undefined) {
        // The values in a Lua table, read once when wrk loads the script; request() takes the next.
        const values = join(dir, 'values.txt')
        writeFileSync(values, cycle.values.join('\n') + '\n')
        lines.push(
          'local values = {}',
          `for line in io.lines(${luaString(values)}) do values[#values + 1] = line end`,
          'local count, i = #values, 0',
          'request = function()',
          '  i = i + 1',
          '  if i > count then i = 1 end',
          `  wrk.headers[${luaString(cycle.name)}] = values[i]`,
          '  return wrk.format()',
          'end'
        )
      } else if (random !== undefined) {
        lines.push(
          `local alphabet = ${luaString(BASE64URL)}`,
          'math.randomseed(os.time())',
          'request = function()',
          '  local t = {}',
          `  for i = 1, ${random.length} do local r = math.random(1, 64); t[i] = alphabet:sub(r, r) end`,
          `  wrk.headers[${luaString(random.name)}] = ${luaString(random.prefix)} .. table.concat(t)`,
          '  return wrk.format()',
          'end'
        )
      } else {
        // A Lua call per request, as in the spray above, so that every scenario drives wrk the
        // same way: against one server, the same forged token sent from wrk's static request
        // measured 5-15 % below the same token built per request, for the same server work.
        lines.push('request = function()', '  return wrk.format()', 'end')
      }
      const script = join(dir, 'request.lua')
      writeFileSync(script, lines.join('\n') + '\n')
      const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '--latency', '-s', script, options.url]
      const out = await new Promise<string>((resolve, reject) => {
        const child = options.cpus === undefined
          ? spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn('taskset', ['-c', options.cpus, wrk, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        let text = ''
        child.stdout.on('data', (chunk: Buffer) => { text += chunk.toString() })
        child.stderr.on('data', (chunk: Buffer) => { text += chunk.toString() })
        child.on('error', reject)
        child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))))
      })
      return parseWrk(out)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

export const autocannonGenerator: LoadGenerator = async (options) => {
  const request: autocannon.Options = {
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.method ?? 'GET',
    headers: options.headers ?? {},
    timeout: 10
  }
  if (options.body !== undefined) request.body = options.body
  const random = options.randomHeader
  if (random !== undefined) {
    request.requests = [{
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, [random.name]: random.prefix + randomTail(random.length) } })
    }]
  }
  const cycle = options.cycleHeader
  if (cycle !== undefined) {
    let i = 0 // shared by every connection's request iterator: one round-robin over all of them
    request.requests = [{
      setupRequest: (req) => {
        const value = cycle.values[i] as string
        i = (i + 1) % cycle.values.length
        return { ...req, headers: { ...req.headers, [cycle.name]: value } }
      }
    }]
  }
  const chain = options.chain
  if (chain !== undefined) {
    const queue = [...chain.first]
    const field = new RegExp(chainPattern(chain))
    request.requests = [{
      setupRequest: (req) => ({ ...req, body: chain.before + (queue.shift() ?? '') + chain.after }),
      onResponse: (_status, body) => {
        const value = field.exec(body)?.[1]
        if (value !== undefined) queue.push(value)
      }
    }]
  }
  const result = await autocannon(request)
  return {
    requests: result.requests.total,
    perSecond: result.requests.total / (result.duration || options.seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts
  }
}
