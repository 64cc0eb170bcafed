/**
 * The add-user command as a user runs it, in a child process: the password comes from stdin (never
 * argv), the user can log in, and mistakes end with exit code 1 and a clear message.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { build } from '../examples/app.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'example-test-secret-of-at-least-32-bytes'

interface CliResult { code: number | null, stdout: string, stderr: string, argv: string[] }

/** Runs `tsx examples/add-user.ts <args>` with `stdin` piped in, as `npm run add-user` would. */
async function addUser (dbPath: string, args: string[], stdin: string): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (name !== 'NODE_OPTIONS' && !/^_?TAP/i.test(name)) env[name] = value
  }
  env.EXAMPLE_DB = dbPath
  // `env -u NODE_OPTIONS`: the test runner re-adds its loaders to every child's environment.
  const argv = ['-u', 'NODE_OPTIONS', process.execPath, '--import', 'tsx', 'examples/add-user.ts', ...args]
  const child = spawn('env', argv, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  child.stdin.end(stdin)
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code] = await once(child, 'exit') as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr, argv }
}

async function loginStatus (dbPath: string, username: string, password: string): Promise<{ status: number, scope?: string }> {
  const app = await build({ dbPath, secret: SECRET })
  try {
    const res = await app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username, password }).toString()
    })
    return { status: res.statusCode, scope: res.json().scope }
  } finally {
    await app.close()
  }
}

t.test('add-user reads the password from stdin; the new user logs in with it and the scopes given', async (t) => {
  const db = join(t.testdir(), 'example.db')
  const password = ' two words, kept exactly '
  const res = await addUser(db, ['dave', '--scopes', 'items:read items:write'], `${password}\nsecond line is ignored\n`)
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /Added user "dave" \(id [0-9a-f-]{36}\) with scopes \[items:read items:write\]/)
  t.notOk(res.argv.some((a) => a.includes(password.trim())), 'the password is not on the command line')
  t.notMatch(res.stdout + res.stderr, 'two words', 'the password is never printed')

  t.same(await loginStatus(db, 'dave', password), { status: 200, scope: 'items:read items:write' })
  t.equal((await loginStatus(db, 'dave', password.trim())).status, 400, 'no trimming: the exact line is the password')
  t.equal((await loginStatus(db, 'dave', 'second line is ignored')).status, 400)
  t.equal((await loginStatus(db, 'alice', 'secret')).status, 200, 'the demo users were seeded too')
})

t.test('add-user strips a CRLF line ending and accepts no scopes', async (t) => {
  const db = join(t.testdir(), 'example.db')
  const res = await addUser(db, ['erin'], 'from-windows\r\n')
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, /with scopes \[\]/)
  t.same(await loginStatus(db, 'erin', 'from-windows'), { status: 200, scope: '' })
})

t.test('add-user refuses a password on the command line, and adds nobody', async (t) => {
  const db = join(t.testdir(), 'example.db')
  for (const args of [['frank', '--password', 'hunter2'], ['frank', '--password=hunter2'], ['frank', '-p', 'hunter2']]) {
    const res = await addUser(db, args, 'hunter2\n')
    t.equal(res.code, 1, args.join(' '))
    t.match(res.stderr, /the password is never taken from the command line/)
    t.notMatch(res.stderr + res.stdout, 'hunter2')
  }
  t.equal((await loginStatus(db, 'frank', 'hunter2')).status, 400, 'frank does not exist')
})

t.test('add-user refuses a taken username with exit code 1', async (t) => {
  const db = join(t.testdir(), 'example.db')
  const res = await addUser(db, ['alice'], 'new-password\n')
  t.equal(res.code, 1)
  t.match(res.stderr, /add-user: error: the username "alice" is already taken/)
  t.equal((await loginStatus(db, 'alice', 'new-password')).status, 400, 'alice keeps her password')
  t.equal((await loginStatus(db, 'alice', 'secret')).status, 200)
})

t.test('add-user refuses an empty password and an unknown scope with exit code 1', async (t) => {
  const db = join(t.testdir(), 'example.db')
  const empty = await addUser(db, ['gina'], '\n')
  t.equal(empty.code, 1)
  t.match(empty.stderr, /the password is empty/)
  const nothing = await addUser(db, ['gina'], '')
  t.equal(nothing.code, 1)
  t.match(nothing.stderr, /the password is empty/)
  const scope = await addUser(db, ['gina', '--scopes', 'items:read items:delete'], 'pw\n')
  t.equal(scope.code, 1)
  t.match(scope.stderr, /unknown scope "items:delete"; known scopes: items:read, items:write/)
  const noName = await addUser(db, [], 'pw\n')
  t.equal(noName.code, 1)
  t.match(noName.stderr, /expected exactly one username/)
  t.equal((await loginStatus(db, 'gina', 'pw')).status, 400, 'gina was never added')
})
