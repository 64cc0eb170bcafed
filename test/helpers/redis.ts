/**
 * Private Redis servers for tests: Debian's `redis-server` started by the test itself on a free
 * loopback port, in a temporary directory, without persistence unless asked for (AOF), stopped by
 * its PID and its directory removed when the test ends (or fails); and a 3-master Redis Cluster
 * built from three such servers with `redis-cli --cluster create`. Never a system service, never a
 * fixed port.
 *
 * Without `redis-server` on the PATH (a developer's machine), {@link redisSkip} gives the reason
 * tests skip with; in CI (`CI=true`) a missing server is a failure instead: .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/** What owns a server and stops it when it ends: a tap `Test`, or a script's own list. */
export interface Owner {
  teardown (fn: () => unknown): void
}

/** Why Redis tests cannot run here, or `false` when `redis-server` and `redis-cli` are installed. */
export function redisSkip (): string | false {
  for (const command of ['redis-server', 'redis-cli']) {
    const probe = spawnSync(command, ['--version'], { encoding: 'utf8' })
    if (probe.error !== undefined || probe.status !== 0) {
      const reason = `${command} is not installed: install Debian's redis-server package (apt-get install redis-server redis-tools) to run the Redis tests`
      if (process.env.CI === 'true') throw new Error(`${reason}; CI must have it (.ci/run installs it)`)
      return `skipped: ${reason}`
    }
  }
  return false
}

/** A free TCP port on 127.0.0.1 (the kernel's pick; nothing else listens there at this moment). */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** Persist every write in an append-only file (`--appendonly yes --appendfsync always`). */
  aof?: boolean
  /** More `redis-server` arguments (`['--maxmemory', '2mb']`). */
  args?: string[]
}

/** A running private redis-server. */
export interface RedisServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** Its data directory (removed by `stop()`). */
  readonly dir: string
  /** The server process's id, or undefined while it is stopped. */
  readonly pid: number | undefined
  /** Stops the process (SIGTERM, then SIGKILL after 5 s), keeping its directory for `start()`. */
  halt: () => Promise<void>
  /** Starts it again on the same port and directory (an AOF server reloads its data). */
  start: () => Promise<void>
  /** Freezes the process (SIGSTOP): connections stay open, nothing answers. */
  pause: () => void
  /** Lets a paused process run again (SIGCONT). */
  resume: () => void
  /** Stops it for good and removes its directory. */
  stop: () => Promise<void>
}

const running = new Set<ChildProcess>()
const directories = new Set<string>()
const DIR_PREFIX = 'fpb-redis-'
// Written in each server's folder: the test process's pid, then the server's.
const OWNER_FILE = 'owner'

function cleanUp (): void {
  for (const child of running) child.kill('SIGKILL')
  for (const dir of directories) rmSync(dir, { recursive: true, force: true })
}

// A test process that ends without its teardowns (an uncaught error, SIGTERM or SIGINT from a
// test runner's time limit) still takes its servers and folders with it; the signal is then
// raised again, so the process ends as it would have.
process.once('exit', cleanUp)
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanUp()
    process.kill(process.pid, signal)
  })
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * Stops the servers of test processes that were killed outright (SIGKILL leaves no chance to
 * clean up) and removes their folders: each folder names its owner, and one whose owner is gone is
 * left over. Its server is stopped only when that pid still runs redis-server from that folder.
 */
function sweepLeftovers (): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    let owner: number
    let server: number
    try {
      [owner, server] = readFileSync(join(dir, OWNER_FILE), 'utf8').split('\n').map(Number) as [number, number]
    } catch {
      continue // being set up right now, or not ours
    }
    if (alive(owner)) continue
    try {
      const cmdline = readFileSync(`/proc/${server}/cmdline`, 'utf8')
      if (cmdline.startsWith('redis-server') && readFileSync(`/proc/${server}/cwd/${OWNER_FILE}`, 'utf8').startsWith(`${owner}\n`)) {
        process.kill(server, 'SIGKILL')
      }
    } catch {}
    rmSync(dir, { recursive: true, force: true })
  }
}
let swept = false

async function launch (port: number, dir: string, args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no',
    '--logfile', '', '--loglevel', 'notice', ...args
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  child.once('exit', () => running.delete(child))
  writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n${child.pid ?? 0}\n`)
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`redis-server on port ${port} was not ready within 20 s\n${output}`))
    }, 20_000)
    const onData = (chunk: string): void => {
      output += chunk
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.stdout?.resume()
        resolve()
      }
    }
    child.stdout?.setEncoding('utf8').on('data', onData)
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`redis-server on port ${port} exited (${signal ?? code}) before it was ready\n${output}`))
    })
  })
  return child
}

async function terminate (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGCONT') // a paused server cannot act on SIGTERM
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/**
 * Starts a private redis-server on a free loopback port and stops it when `t` ends. Without
 * `aof` nothing is persisted (`--save '' --appendonly no`).
 */
export async function startRedis (t: Owner, options: RedisOptions = {}): Promise<RedisServer> {
  if (!swept) {
    swept = true
    sweepLeftovers()
  }
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX))
  directories.add(dir)
  const args = [
    ...(options.aof === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(options.args ?? [])
  ]
  let port = 0
  let child: ChildProcess | undefined
  // Another process may take the free port before redis-server binds it: try another.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, dir, args)
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true })
        directories.delete(dir)
        throw err
      }
    }
  }
  let stopped = false
  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    get pid () { return child?.exitCode === null && child.signalCode === null ? child.pid : undefined },
    halt: async () => {
      if (child !== undefined) await terminate(child)
    },
    start: async () => {
      if (stopped) throw new Error('this Redis server was stopped for good')
      if (server.pid !== undefined) return
      child = await launch(port, dir, args)
    },
    pause: () => { child?.kill('SIGSTOP') },
    resume: () => { child?.kill('SIGCONT') },
    stop: async () => {
      stopped = true
      await server.halt()
      rmSync(dir, { recursive: true, force: true })
      directories.delete(dir)
    }
  }
  t.teardown(server.stop)
  return server
}

/** A running 3-master Redis Cluster on loopback. */
export interface RedisCluster {
  /** The three masters, each holding a third of the slots. */
  readonly nodes: RedisServer[]
  /** `{ host, port }` of every node: ioredis `new Cluster(cluster.startupNodes)`. */
  readonly startupNodes: Array<{ host: string, port: number }>
  stop: () => Promise<void>
}

/** Runs redis-cli and returns its stdout; throws with its output when it fails. */
export async function redisCli (args: string[], timeout = 30_000): Promise<string> {
  const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} exited with ${code}\n${output}`)
  return output
}

/**
 * Starts three cluster-enabled servers (each with its own free cluster-bus port), joins them into
 * a cluster of three masters without replicas, and waits until every node reports
 * `cluster_state:ok`. Stopped when `t` ends.
 */
export async function startRedisCluster (t: Owner): Promise<RedisCluster> {
  const nodes: RedisServer[] = []
  for (let i = 0; i < 3; i++) {
    const busPort = await freePort()
    nodes.push(await startRedis(t, {
      args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--cluster-port', String(busPort)]
    }))
  }
  await redisCli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], 60_000)
  const deadline = Date.now() + 30_000
  for (const node of nodes) {
    while (!(await redisCli(['-p', String(node.port), 'cluster', 'info'])).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok within 30 s (node ${node.port})`)
      await sleep(100)
    }
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    stop: async () => { await Promise.all(nodes.map((n) => n.stop())) }
  }
}
