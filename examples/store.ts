/**
 * The example's storage: users and items in an embedded SQLite database (better-sqlite3).
 * The database file is created on first run, and an empty users table is seeded with the demo users.
 */
import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { hashPassword, type HashOptions, type StoredUser, type UserStore } from '../lib/index.js'
import { DEMO_USERS } from './config.js'

/** A user as the example stores it: always with `disabled` and `scopes`. */
export interface ExampleUser extends StoredUser {
  disabled: boolean
  scopes: string[]
}

/** An item of the example's `/items` routes. */
export interface Item {
  id: string
  name: string
  /** Username of the user who created it. */
  createdBy: string
}

/** A new user for {@link SqliteUserStore.addUser}: the password is hashed before it gets here. */
export interface NewUser {
  username: string
  /** From `hashPassword()`, or `null` for a user who cannot log in with a password. */
  passwordHash: string | null
  scopes?: string[]
  disabled?: boolean
}

/** A refused store operation, with a stable `code`. */
export class StoreError extends Error {
  readonly code: 'EXAMPLE_DUPLICATE_USERNAME' | 'EXAMPLE_INVALID_USER'
  constructor (code: StoreError['code'], message: string) {
    super(message)
    this.name = 'StoreError'
    this.code = code
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  scopes TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
`

interface UserRow {
  id: string
  username: string
  password_hash: string | null
  disabled: number
  scopes: string
}

interface ItemRow {
  id: string
  name: string
  created_by: string
}

/** Users findById keeps in memory at most (then it starts again from empty). */
const MEMORY_MAX = 10_000

function toUser (row: UserRow | undefined): ExampleUser | null {
  if (row === undefined) return null
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    disabled: row.disabled !== 0,
    scopes: row.scopes === '' ? [] : row.scopes.split(' ')
  }
}

function checkScopes (scopes: readonly string[]): string {
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !/^[\x21-\x7e]+$/.test(scope)) {
      throw new StoreError('EXAMPLE_INVALID_USER', `a scope must be printable ASCII without spaces, got ${JSON.stringify(scope)}`)
    }
  }
  return [...new Set(scopes)].join(' ')
}

/**
 * The plugin's `users` store (`findByUsername`, `updatePasswordHash`) plus what the example needs
 * around it: `findById` for `loadUser`, and user management for the add-user command and tests.
 */
export class SqliteUserStore implements UserStore {
  readonly #byUsername: Database.Statement<[string], UserRow>
  readonly #byId: Database.Statement<[string], UserRow>
  readonly #insert: Database.Statement<[string, string, string | null, number, string]>
  readonly #updateHash: Database.Statement<[string, string, string | null]>
  readonly #setDisabled: Database.Statement<[number, string]>
  readonly #delete: Database.Statement<[string]>
  readonly #count: Database.Statement<[], { n: number }>
  readonly #list: Database.Statement<[], UserRow>
  readonly #dataVersion: Database.Statement<[], number>
  readonly #db: Database.Database
  // findById answers from memory while the database is unchanged (loadUser calls it on every
  // authenticated request): this connection's writes clear the memory at once, and SQLite's
  // data_version, read at most once a millisecond, says when another connection (the add-user
  // command, a second server) has committed anything.
  readonly #byIdMemory = new Map<string, ExampleUser>()
  #seenVersion = -1
  #checkedAt = -Infinity

  constructor (db: Database.Database) {
    this.#db = db
    this.#byUsername = db.prepare('SELECT id, username, password_hash, disabled, scopes FROM users WHERE username = ?')
    this.#byId = db.prepare('SELECT id, username, password_hash, disabled, scopes FROM users WHERE id = ?')
    this.#insert = db.prepare('INSERT INTO users (id, username, password_hash, disabled, scopes) VALUES (?, ?, ?, ?, ?)')
    // Only replaces the hash the login verified: a password changed meanwhile is kept.
    this.#updateHash = db.prepare('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash IS ?')
    this.#setDisabled = db.prepare('UPDATE users SET disabled = ? WHERE id = ?')
    this.#delete = db.prepare('DELETE FROM users WHERE id = ?')
    this.#count = db.prepare('SELECT count(*) AS n FROM users')
    this.#list = db.prepare('SELECT id, username, password_hash, disabled, scopes FROM users ORDER BY username')
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck()
  }

  /** The user with exactly this username (case-sensitive), or `null`. */
  findByUsername (username: string): ExampleUser | null {
    return toUser(this.#byUsername.get(username))
  }

  /**
   * The user with this id (a token's `sub`), or `null`; frozen. Answered from memory until the
   * database changes: a user disabled or deleted through this store is seen by the next call, and
   * one changed by another process within a millisecond.
   */
  findById (id: string): ExampleUser | null {
    const now = performance.now()
    if (now - this.#checkedAt >= 1) {
      this.#checkedAt = now
      const version = this.#dataVersion.get() as number
      if (version !== this.#seenVersion) {
        this.#byIdMemory.clear()
        this.#seenVersion = version
      }
    }
    const known = this.#byIdMemory.get(id)
    if (known !== undefined) return known
    const user = toUser(this.#byId.get(id))
    if (user === null) return null
    if (this.#byIdMemory.size >= MEMORY_MAX) this.#byIdMemory.clear()
    Object.freeze(user.scopes)
    this.#byIdMemory.set(id, Object.freeze(user))
    return user
  }

  /** Called by the plugin after a login on a hash made with weaker argon2 parameters. */
  updatePasswordHash (user: StoredUser, passwordHash: string): void {
    this.#updateHash.run(passwordHash, user.id, user.passwordHash)
    this.#byIdMemory.clear()
  }

  /**
   * Adds a user with a fresh random id. Throws `EXAMPLE_DUPLICATE_USERNAME` when the username is taken.
   *
   * @example
   * store.addUser({ username: 'dave', passwordHash: await hashPassword(password), scopes: ['items:read'] })
   */
  addUser (user: NewUser): ExampleUser {
    if (typeof user.username !== 'string' || user.username.length === 0) {
      throw new StoreError('EXAMPLE_INVALID_USER', 'the username must be a non-empty string')
    }
    const scopes = checkScopes(user.scopes ?? [])
    const id = randomUUID()
    try {
      this.#insert.run(id, user.username, user.passwordHash, user.disabled === true ? 1 : 0, scopes)
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreError('EXAMPLE_DUPLICATE_USERNAME', `the username "${user.username}" is already taken`)
      }
      throw err
    }
    return this.findById(id) as ExampleUser
  }

  /** Disables or re-enables a user; `false` when there is no such user. */
  setDisabled (id: string, disabled: boolean): boolean {
    const changed = this.#setDisabled.run(disabled ? 1 : 0, id).changes === 1
    this.#byIdMemory.clear()
    return changed
  }

  /** Deletes a user; `false` when there is no such user. */
  deleteUser (id: string): boolean {
    const changed = this.#delete.run(id).changes === 1
    this.#byIdMemory.clear()
    return changed
  }

  /** How many users there are. */
  count (): number {
    return (this.#count.get() as { n: number }).n
  }

  /** Every user, by username. */
  list (): ExampleUser[] {
    return this.#list.all().map((row) => toUser(row) as ExampleUser)
  }

  /**
   * Adds the demo users when the users table is empty; returns how many were added. Safe when two
   * processes start on a new file at once: the check and the inserts run in one write transaction.
   */
  async seed (hash?: HashOptions): Promise<number> {
    if (this.count() > 0) return 0
    const hashes = await Promise.all(DEMO_USERS.map((u) => hashPassword(u.password, hash)))
    const insertAll = this.#db.transaction((): number => {
      if (this.count() > 0) return 0
      DEMO_USERS.forEach((u, i) => {
        this.#insert.run(randomUUID(), u.username, hashes[i] as string, u.disabled ? 1 : 0, u.scopes.join(' '))
      })
      return DEMO_USERS.length
    })
    const added = insertAll.immediate()
    this.#byIdMemory.clear()
    return added
  }
}

/** The items of the `/items` routes. */
export class SqliteItemStore {
  readonly #insert: Database.Statement<[string, string, string]>
  readonly #list: Database.Statement<[number], ItemRow>

  constructor (db: Database.Database) {
    this.#insert = db.prepare('INSERT INTO items (id, name, created_by) VALUES (?, ?, ?)')
    this.#list = db.prepare('SELECT id, name, created_by FROM items ORDER BY created_at, rowid LIMIT ?')
  }

  /** Items, oldest first, at most `limit` of them. */
  list (limit = 1000): Item[] {
    return this.#list.all(limit).map((row) => ({ id: row.id, name: row.name, createdBy: row.created_by }))
  }

  /** Stores a new item with a fresh random id. */
  add (name: string, createdBy: string): Item {
    const id = randomUUID()
    this.#insert.run(id, name, createdBy)
    return { id, name, createdBy }
  }
}

/** An open example database: its users, its items, and `close()`. */
export interface ExampleStore {
  /** The database path (`:memory:` for an in-memory database). */
  readonly path: string
  readonly users: SqliteUserStore
  readonly items: SqliteItemStore
  close (): void
}

export interface OpenStoreOptions {
  /** argon2 parameters for the demo users' hashes. @default the plugin's defaults */
  hash?: HashOptions
  /** Seed the demo users into an empty users table. @default true */
  seed?: boolean
}

/**
 * Opens (and creates, on first run) the SQLite database at `path`, creates the tables, and seeds the
 * demo users into an empty users table. `:memory:` gives a private in-memory database.
 *
 * @example
 * const store = await openStore(':memory:')
 * store.users.findByUsername('alice')
 */
export async function openStore (path: string, options: OpenStoreOptions = {}): Promise<ExampleStore> {
  const db = new Database(path, { timeout: 5000 })
  try {
    if (path !== ':memory:') db.pragma('journal_mode = WAL')
    db.exec(SCHEMA)
    const users = new SqliteUserStore(db)
    const items = new SqliteItemStore(db)
    if (options.seed !== false) await users.seed(options.hash)
    return {
      path,
      users,
      items,
      close: () => { if (db.open) db.close() }
    }
  } catch (err) {
    db.close()
    throw err
  }
}
