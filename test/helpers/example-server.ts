/**
 * The example server over real HTTP for end-to-end tests: `build()` from examples/app.ts with a
 * fresh SQLite database in a temporary directory, listening on 127.0.0.1 on a free port; or
 * examples/server.ts itself in a child process, configured by its environment.
 */
import type { FastifyInstance } from 'fastify'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from '../../examples/app.js'
import { cleanEnv } from './process.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A running example server. */
export interface ExampleServer {
  app: FastifyInstance
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  close: () => Promise<void>
}

/** The demo logins the example seeds (password "secret"). */
export const DEMO = {
  alice: { username: 'alice', password: 'secret', scopes: ['items:read', 'items:write'] },
  carol: { username: 'carol', password: 'secret', scopes: ['items:read'] },
  bob: { username: 'bob', password: 'secret', scopes: ['items:read'] }
} as const

/** Starts the example; `close()` stops it and deletes its database. */
export async function startExample (): Promise<ExampleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fpb-example-'))
  let app: FastifyInstance
  try {
    app = await build({ dbPath: join(dir, 'example.db'), secret: 'an-end-to-end-test-secret-of-32-bytes+', logger: false })
    await app.listen({ host: '127.0.0.1', port: 0 })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const address = app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('the example server has no TCP address')
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** examples/server.ts running in a child process. */
export interface ExampleProcess {
  /** The port it listens on, on 127.0.0.1. */
  port: number
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  /** Everything it wrote so far, stdout (banner and JSON log lines) then stderr. */
  output: () => string
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop: () => Promise<void>
}

/**
 * Starts `tsx examples/server.ts` as `npm run example` would, on 127.0.0.1, a free port and an
 * in-memory database, with `env` added to the environment; resolves once it prints its banner.
 */
export async function startExampleProcess (env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<ExampleProcess> {
  return await startScript('examples/server.ts', { HOST: '127.0.0.1', PORT: '0', EXAMPLE_DB: ':memory:', JWT_SECRET: 'an-end-to-end-test-secret-of-32-bytes+', ...env },
    /Swagger UI: +http:\/\/127\.0\.0\.1:([0-9]+)\/docs/, timeoutMs)
}

/**
 * Starts `tsx examples/resource-server.ts` as `npm run example:resource-server` would, on 127.0.0.1
 * and a free port, with `env` added (ISSUER_URL: the example server's URL).
 */
export async function startResourceServerProcess (env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<ExampleProcess> {
  return await startScript('examples/resource-server.ts', { HOST: '127.0.0.1', PORT: '0', ...env },
    /Resource server Swagger UI: http:\/\/127\.0\.0\.1:([0-9]+)\/docs/, timeoutMs)
}

/** Runs an example script in a child process; resolves with its port once its banner matches `banner`. */
async function startScript (script: string, env: NodeJS.ProcessEnv, banner: RegExp, timeoutMs: number): Promise<ExampleProcess> {
  // `env -u NODE_OPTIONS`: the test runner re-adds its loaders to every child's environment.
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '--import', 'tsx', script], {
    cwd: ROOT,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const output = (): string => stdout + stderr
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} did not start within ${timeoutMs} ms\n${output()}`))
    }, timeoutMs)
    const onData = (): void => {
      const match = banner.exec(stdout)
      if (match === null) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      resolve(Number(match[1]))
    }
    child.stdout.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code} before listening\n${output()}`))
    })
  })
  return { port, url: `http://127.0.0.1:${port}`, output, stop }
}
