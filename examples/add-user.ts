/**
 * Adds a user to the example database (EXAMPLE_DB, default <repo>/example.db):
 *
 *   npm run add-user -- <username> [--scopes "items:read items:write"] [--disabled]
 *
 * The password is never taken from the command line (shell history, `ps`): it is read from a hidden
 * prompt when stdin is a terminal, or from the first line of stdin when piped:
 *
 *   printf '%s\n' "$PASSWORD" | npm run add-user -- dave --scopes items:read
 */
import { parseArgs } from 'node:util'
import { hashPassword } from '../lib/index.js'
import { dbPathFromEnv, SCOPES } from './config.js'
import { openStore, StoreError } from './store.js'

const USAGE = 'usage: npm run add-user -- <username> [--scopes "items:read items:write"] [--disabled]'
// The plugin's default passwordMaxLength: a longer password could never log in.
const PASSWORD_MAX_LENGTH = 1024
const USERNAME_MAX_LENGTH = 256

class CliError extends Error {
  readonly exitCode: number
  constructor (message: string, exitCode = 1) {
    super(message)
    this.exitCode = exitCode
  }
}

interface Args {
  username: string
  scopes: string[]
  disabled: boolean
}

function parse (argv: string[]): Args | 'help' {
  if (argv.some((a) => a === '-p' || a.startsWith('--password') || a.startsWith('--pass='))) {
    throw new CliError('the password is never taken from the command line: type it at the prompt, or pipe it on stdin')
  }
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        scopes: { type: 'string' },
        disabled: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${USAGE}`)
  }
  if (parsed.values.help === true) return 'help'
  if (parsed.positionals.length !== 1) throw new CliError(`expected exactly one username\n${USAGE}`)
  const username = parsed.positionals[0] as string
  if (username.length === 0 || username.length > USERNAME_MAX_LENGTH || username.trim() !== username ||
    // eslint-disable-next-line no-control-regex
    /[\x00-\x1f\x7f]/.test(username)) {
    throw new CliError(`the username must be 1 to ${USERNAME_MAX_LENGTH} characters, without control characters or surrounding spaces`)
  }
  const scopes = (parsed.values.scopes ?? '').split(/[\s,]+/).filter((s) => s.length > 0)
  const known = Object.keys(SCOPES)
  for (const scope of scopes) {
    if (!known.includes(scope)) throw new CliError(`unknown scope "${scope}"; known scopes: ${known.join(', ')}`)
  }
  return { username, scopes: [...new Set(scopes)], disabled: parsed.values.disabled === true }
}

/** Reads a line from the terminal without echoing it. */
function promptHidden (prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = (): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
    }
    const onData = (chunk: string): void => {
      // Drop terminal escape sequences (arrow keys and the like).
      // eslint-disable-next-line no-control-regex
      for (const ch of chunk.replace(/\x1b(\[[0-9;]*[A-Za-z~]|O[A-Za-z])?/g, '')) {
        if (ch === '\r' || ch === '\n' || ch === '\x04') {
          finish()
          resolve(value)
          return
        }
        if (ch === '\x03') {
          finish()
          reject(new CliError('cancelled', 130))
          return
        }
        if (ch === '\x7f' || ch === '\b') {
          value = [...value].slice(0, -1).join('')
        } else if (ch >= ' ') {
          value += ch
        }
      }
    }
    stdin.on('data', onData)
  })
}

/** The first line of piped stdin, without its line ending. */
async function readFirstLine (): Promise<string> {
  let data = ''
  process.stdin.setEncoding('utf8')
  for await (const chunk of process.stdin) {
    data += chunk as string
    if (data.includes('\n') || data.length > PASSWORD_MAX_LENGTH * 4) break
  }
  const nl = data.indexOf('\n')
  return (nl === -1 ? data : data.slice(0, nl)).replace(/\r$/, '')
}

async function readPassword (): Promise<string> {
  if (process.stdin.isTTY !== true) return readFirstLine()
  const password = await promptHidden('Password: ')
  if (password.length > 0 && await promptHidden('Repeat password: ') !== password) {
    throw new CliError('the passwords do not match')
  }
  return password
}

async function main (argv: string[]): Promise<void> {
  const args = parse(argv)
  if (args === 'help') {
    process.stdout.write(`${USAGE}\nThe password is read from a hidden prompt, or from the first line of stdin when piped.\n` +
      `Database: EXAMPLE_DB (now ${dbPathFromEnv()}). Known scopes: ${Object.keys(SCOPES).join(', ')}\n`)
    return
  }
  const dbPath = dbPathFromEnv()
  const store = await openStore(dbPath)
  try {
    if (store.users.findByUsername(args.username) !== null) {
      throw new CliError(`the username "${args.username}" is already taken`)
    }
    const password = await readPassword()
    if (password.length === 0) throw new CliError('the password is empty')
    if (password.length > PASSWORD_MAX_LENGTH) throw new CliError(`the password is longer than ${PASSWORD_MAX_LENGTH} characters`)
    const user = store.users.addUser({
      username: args.username,
      passwordHash: await hashPassword(password),
      scopes: args.scopes,
      disabled: args.disabled
    })
    process.stdout.write(`Added user "${user.username}" (id ${user.id}) with scopes [${user.scopes.join(' ')}]` +
      `${user.disabled ? ', disabled' : ''} to ${dbPath}\n`)
  } catch (err) {
    if (err instanceof StoreError && err.code === 'EXAMPLE_DUPLICATE_USERNAME') throw new CliError(err.message)
    throw err
  } finally {
    store.close()
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`add-user: error: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = err instanceof CliError ? err.exitCode : 1
})
