/**
 * A private PostgreSQL server for tests: Debian's `postgresql` binaries (`initdb`, then `postgres`
 * itself) run by the test on a free loopback port, in a temporary data directory, stopped by its
 * postmaster's PID and the directory removed when the test ends (or its process exits). Never the
 * system service, never a fixed port.
 *
 * PostgreSQL refuses to run as root: as root, the folder belongs to the `postgres` user (the Debian
 * package creates it), `initdb` runs through `runuser -u postgres --` and the server is spawned as
 * that user.
 *
 * Without PostgreSQL (a developer's machine), {@link postgresSkip} gives the reason tests skip
 * with; in CI (`CI=true`) a missing server is a failure instead: .ci/run installs it.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type Owner } from './redis.js'

const ROOT = '/usr/lib/postgresql'
const DIR_PREFIX = 'fpb-postgres-'
// Written in each server's folder: the test process's pid (a later run removes what a killed one left).
const OWNER_FILE = 'owner'

/** The bin folder of the newest PostgreSQL installed by Debian's packages, or undefined. */
function binDir (): string | undefined {
  if (!existsSync(ROOT)) return undefined
  const versions = readdirSync(ROOT)
    .filter((v) => existsSync(join(ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(ROOT, versions[0], 'bin')
}

/** Why PostgreSQL tests cannot run here, or `false` when its server binaries are installed. */
export function postgresSkip (): string | false {
  if (binDir() !== undefined) return false
  const reason = `PostgreSQL is not installed (no ${ROOT}/<version>/bin/initdb): install Debian's postgresql package (apt-get install postgresql) to run the PostgreSQL tests`
  if (process.env.CI === 'true') throw new Error(`${reason}; CI must have it (.ci/run installs it)`)
  return `skipped: ${reason}`
}

/** A running private PostgreSQL server. */
export interface PostgresServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication: loopback only). */
  readonly url: string
  /** The postmaster's process id. */
  readonly pid: number
  /** Its folder (the data directory is `data` in it), removed by `stop()`. */
  readonly dir: string
  /** Stops it (SIGINT: fast shutdown; SIGKILL after 10 s) and removes its folder. */
  stop: () => Promise<void>
}

const asRoot = process.getuid?.() === 0
const folders = new Map<string, number | undefined>() // folder -> postmaster pid

// A postmaster left by a killed test process is nobody's child here: after it ends it may stay a
// zombie until init reaps it, so a zombie counts as gone.
export function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true // no /proc: kill(pid, 0) is the best answer there is
  }
}

function cleanUp (): void {
  for (const [dir, pid] of folders) {
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}
process.once('exit', cleanUp)
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    cleanUp()
    process.kill(process.pid, signal)
  })
}

/** The postmaster's pid as its data directory records it (first line of postmaster.pid), for the sweep. */
function postmasterPid (data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** Removes the servers and folders of test processes that were killed outright (SIGKILL). */
function sweepLeftovers (): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    let owner: number
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8'))
    } catch {
      continue // being set up right now, or not ours
    }
    if (alive(owner)) continue
    const pid = postmasterPid(join(dir, 'data'))
    try {
      if (pid !== undefined && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(dir, 'data'))) process.kill(pid, 'SIGKILL')
    } catch {}
    rmSync(dir, { recursive: true, force: true })
  }
}
let swept = false

/** The `postgres` user's uid and gid, when this process is root (undefined otherwise). */
function postgresUser (): { uid: number, gid: number } | undefined {
  if (!asRoot) return undefined
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })))
  return { uid: uid!, gid: gid! }
}

/**
 * Starts the server as a child of this process (as the `postgres` user when root: spawn's uid and
 * gid, which also drop root's groups), so that its PID is the postmaster's and this process reaps
 * it; resolves once it accepts connections.
 */
async function launch (bin: string, data: string, dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dir,
    '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'
  ], { stdio: ['ignore', 'ignore', 'pipe'], ...postgresUser() })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`PostgreSQL on port ${port} was not ready within 30 s\n${output}`))
    }, 30_000)
    const onData = (chunk: string): void => {
      output += chunk
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer)
        child.stderr?.off('data', onData)
        child.stderr?.resume()
        resolve()
      }
    }
    child.stderr?.setEncoding('utf8').on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`PostgreSQL on port ${port} exited (${signal ?? code}) before it was ready\n${output}`))
    })
  })
  return child
}

/** Runs a PostgreSQL tool to its end, as the `postgres` user when this process is root. */
function run (bin: string, command: string, args: string[]): void {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args]
  const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 })
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? result.status})\n${result.stdout}${result.stderr}`)
  }
}

/** Starts a private PostgreSQL server on a free loopback port and stops it when `t` ends. */
export async function startPostgres (t: Owner): Promise<PostgresServer> {
  const bin = binDir()
  if (bin === undefined) throw new Error(String(postgresSkip()))
  if (!swept) {
    swept = true
    sweepLeftovers()
  }
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX))
  folders.set(dir, undefined)
  writeFileSync(join(dir, OWNER_FILE), String(process.pid))
  const user = postgresUser()
  if (user !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  run(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'])

  let port = 0
  let child: ChildProcess | undefined
  // Another process may take the free port before the server binds it: try another.
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort()
    try {
      child = await launch(bin, data, dir, port)
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true })
        folders.delete(dir)
        throw err
      }
    }
  }
  const pid = child.pid!
  folders.set(dir, pid)
  const exited = once(child, 'exit')

  const server: PostgresServer = {
    host: '127.0.0.1',
    port,
    pid,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (!folders.has(dir)) return
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(pid, 'SIGINT') // fast shutdown: ends the sessions, writes nothing more
        const timer = setTimeout(() => process.kill(pid, 'SIGKILL'), 10_000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
      folders.delete(dir)
    }
  }
  t.teardown(server.stop)
  return server
}
