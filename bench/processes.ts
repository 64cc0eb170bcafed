/**
 * The suite's child processes: benchmark servers (bench/server.ts), the argon2 loop
 * (bench/argon2-rate.ts) and the token-check micro-benchmark (bench/micro.ts), each forked through
 * tsx and spoken to over IPC; where each runs (CPU pinning, idle servers paused), and stopping them.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pin } from './load.js'
import type { MicroResult } from './micro.js'
import type { ReadyMessage, ServerConfig } from './servers/common.js'

const here = dirname(fileURLToPath(import.meta.url))
/** The package's root folder. */
export const root = resolve(here, '..')

export interface Server {
  child: ChildProcess
  ready: ReadyMessage
  url: string
  /** The process's bare route: the same JSON, no hook. */
  bareUrl: string
}

/** The version of an installed package, or 'n/a'. */
export function packageVersion (name: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return 'n/a'
  }
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

/** The CPUs of the measured server and of the load generator, as `taskset -c` lists. */
export interface Pinning { server: string, load: string }

/**
 * CPU placement with wrk on a machine of 2+ CPUs: the scenario servers on CPU 0 and wrk on CPU 1,
 * so neither is scheduled onto the other's core mid-run (this steadies the numbers a lot on a
 * 2-core machine). The login flood is not pinned: argon2's threads need the other cores.
 */
let pinning: Pinning | undefined

/** Turns CPU pinning on for the rest of the run (set once, before any server starts). */
export function setPinning (next: Pinning | undefined): void {
  pinning = next
}

export function currentPinning (): Pinning | undefined {
  return pinning
}

export async function startServer (config: ServerConfig, execArgv: string[] = [], pinned = true): Promise<Server> {
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
export function onMeasuredCpu (server: Server, measured: boolean): void {
  if (server.child.pid === undefined || server.child.exitCode !== null) return
  if (measured) resume(server)
  if (pinning !== undefined) pin(server.child.pid, measured ? pinning.server : pinning.load)
  if (!measured && process.platform !== 'win32') server.child.kill('SIGSTOP')
}

function resume (server: Server): void {
  if (server.child.exitCode === null && process.platform !== 'win32') server.child.kill('SIGCONT')
}

/** Sends a server a message and waits for its answer, of the type `answer`. */
export async function ask<T> (server: Server, message: { type: string } & Record<string, unknown>, answer: string): Promise<T> {
  const answered = once<T>(server.child, answer, `${message.type} from server ${server.ready.port}`)
  server.child.send(message)
  return await answered
}

export async function rssMiB (server: Server): Promise<number> {
  resume(server)
  server.child.send({ type: 'rss' })
  const { rss } = await once<{ rss: number }>(server.child, 'rss', 'rss')
  return rss / 1024 / 1024
}

export async function stopServer (server: Server): Promise<void> {
  if (server.child.exitCode !== null) return
  resume(server)
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.send({ type: 'close' })
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

export async function microCosts (iterations: number): Promise<MicroResult[]> {
  const child = spawnTs('micro.ts', [String(iterations)])
  const { results } = await once<{ results: MicroResult[] }>(child, 'micro', 'token check micro-benchmark', 120_000)
  return results
}

export async function argon2Rate (concurrency: number, seconds: number): Promise<{ perSecond: number, msPerVerify: number }> {
  const child = spawnTs('argon2-rate.ts', [String(concurrency), String(seconds)])
  return once(child, 'argon2', 'argon2 alone', 60_000 + seconds * 1000)
}

/** `work()` while argon2 verifies at `concurrency` in its own process, outside the server. */
export async function besideArgon2<T> (concurrency: number, seconds: number, work: () => Promise<T>): Promise<T> {
  // The child hashes a little longer than the work lasts, so the whole load run overlaps it.
  const child = spawnTs('argon2-rate.ts', [String(concurrency), String(seconds + 1)])
  const finished = once(child, 'argon2', 'argon2 beside the load', 60_000 + seconds * 1000)
  await once(child, 'started', 'argon2 beside the load')
  const result = await work()
  await finished
  return result
}
