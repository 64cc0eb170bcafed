/**
 * What the example server and the add-user command share: the known scopes, the demo users and
 * where the SQLite database lives.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The scopes the example knows, with the descriptions Swagger UI shows in its Authorize dialog. */
export const SCOPES: Readonly<Record<string, string>> = Object.freeze({
  'items:read': 'Read items',
  'items:write': 'Create items'
})

/** The users seeded into an empty database. Their password is "secret"; bob is disabled. */
export const DEMO_USERS: ReadonlyArray<{ username: string, password: string, scopes: string[], disabled: boolean }> = Object.freeze([
  { username: 'alice', password: 'secret', scopes: ['items:read', 'items:write'], disabled: false },
  { username: 'carol', password: 'secret', scopes: ['items:read'], disabled: false },
  { username: 'bob', password: 'secret', scopes: ['items:read'], disabled: true }
])

/** `example.db` at the repository root, whatever the current directory is. */
export const DEFAULT_DB_PATH = fileURLToPath(new URL('../example.db', import.meta.url))

/**
 * The database path: `EXAMPLE_DB` when set (relative paths are taken from the current directory;
 * `:memory:` keeps everything in memory), the repository's `example.db` otherwise.
 */
export function dbPathFromEnv (env: NodeJS.ProcessEnv = process.env): string {
  const value = env.EXAMPLE_DB
  if (value === undefined || value === '') return DEFAULT_DB_PATH
  return value === ':memory:' ? value : resolve(value)
}
