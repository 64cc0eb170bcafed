/**
 * Child processes for end-to-end tests: commands with a time limit and servers that print their
 * address as a JSON line once listening.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { Readable } from 'node:stream'

/**
 * The test's environment without what the test runner injects (its NODE_OPTIONS loaders and TAP_*
 * variables): child processes are meant to run as they would on a user's machine.
 */
export function cleanEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'NODE_OPTIONS' || /^_?TAP/i.test(name)) continue
    env[name] = value
  }
  return { ...env, ...extra }
}

/**
 * Spawns through `env -u NODE_OPTIONS`: the test runner re-injects its loaders into every spawn's
 * environment, and `env` is the first program that can drop them before the real command starts.
 */
function spawnClean (command: string, args: string[], options: RunOptions): ChildProcess & { stdout: Readable, stderr: Readable } {
  return spawn('env', ['-u', 'NODE_OPTIONS', command, ...args], {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe']
  }) as ChildProcess & { stdout: Readable, stderr: Readable }
}

/** What a finished command printed and how it ended. */
export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Options of {@link run}. */
export interface RunOptions {
  cwd?: string
  /** @default cleanEnv() */
  env?: NodeJS.ProcessEnv
  /** Milliseconds before the command is killed. @default 120000 */
  timeout?: number
}

/** Runs a command to the end (or its time limit) and collects its output; never throws for an exit code. */
export async function run (command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const child = spawnClean(command, args, options)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 120_000)
  try {
    const [code, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null]
    return { code, signal, stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}

/** Like {@link run}, but throws with the command's output when it does not exit with 0. */
export async function runOk (command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, args, options)
  if (result.code !== 0) {
    const how = result.signal !== null ? `was killed by ${result.signal} (time limit?)` : `exited with ${result.code}`
    throw new Error(`${command} ${args.join(' ')} ${how}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`)
  }
  return result
}

/** A server started by {@link startServer}. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` as the server printed it. */
  address: string
  child: ChildProcess
  /** Everything the server wrote to stderr so far. */
  stderr: () => string
  stop: () => Promise<void>
}

/** Options of {@link startServer}. */
export interface StartOptions extends RunOptions {
  /**
   * Reads the address from one stdout line, or answers `null` to wait for the next (e.g. an app that
   * only logs "Server listening at ..."). By default the first line must be `{"address":"http://..."}`.
   */
  address?: (line: string) => string | null
}

/**
 * Starts `node <args>` and waits for its first stdout line, `{"address":"http://..."}` (or the line
 * `options.address` finds it in).
 */
export async function startServer (args: string[], options: StartOptions = {}): Promise<RunningServer> {
  const child = spawnClean(process.execPath, args, options)
  let stdout = ''
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    await once(child, 'exit')
  }
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start in time\n--- stderr\n${stderr}`))
    }, options.timeout ?? 30_000)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      for (let newline = stdout.indexOf('\n'); newline !== -1; newline = stdout.indexOf('\n')) {
        const line = stdout.slice(0, newline)
        stdout = stdout.slice(newline + 1)
        let address: string | null
        try {
          address = options.address !== undefined ? options.address(line) : (JSON.parse(line) as { address: string }).address
        } catch {
          address = null
        }
        if (address === null && options.address !== undefined) continue
        clearTimeout(timer)
        if (typeof address === 'string') resolve(address)
        else reject(new Error(`server printed no address line: ${line}`))
        return
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening\n--- stderr\n${stderr}`))
    })
  })
  return { address, child, stderr: () => stderr, stop }
}
