// The user store on PostgreSQL, with pg: the table, findByUsername, updatePasswordHash, loadUser.
import pg from 'pg'
import { hashPassword, type LoadUser, type StoredUser, type UserStore } from '../../../lib/index.js'

/** The users table. `password_hash` NULL: a user who cannot log in with a password. */
export const createUsersTable = `
  CREATE TABLE IF NOT EXISTS users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text    NOT NULL UNIQUE,
    password_hash text,
    disabled      boolean NOT NULL DEFAULT false,
    scopes        text[]  NOT NULL DEFAULT '{}'
  )`

interface UserRow {
  id: string
  username: string
  password_hash: string | null
  disabled: boolean
  scopes: string[]
}

// Named statements: PostgreSQL plans each once per connection.
const byUsername = 'SELECT id::text, username, password_hash, disabled, scopes FROM users WHERE username = $1'
const byId = 'SELECT id::text, username, disabled, scopes FROM users WHERE id = $1'
const replaceHash = 'UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3'

/** `users` and `loadUser` for the plugin's options, over a pool of connections. */
export function postgresUsers (pool: pg.Pool): { users: UserStore, loadUser: LoadUser } {
  return {
    users: {
      async findByUsername (username): Promise<StoredUser | null> {
        const { rows } = await pool.query<UserRow>({ name: 'users-by-username', text: byUsername, values: [username] })
        const row = rows[0]
        if (row === undefined) return null
        return { id: row.id, username: row.username, passwordHash: row.password_hash, disabled: row.disabled, scopes: row.scopes }
      },
      async updatePasswordHash (user, passwordHash) {
        // Replaces only the hash the login verified: a password changed in the meantime is kept.
        await pool.query({ name: 'users-replace-hash', text: replaceHash, values: [passwordHash, user.id, user.passwordHash] })
      }
    },
    async loadUser (claims) {
      if (!/^[1-9]\d{0,18}$/.test(claims.sub)) return null // not an id of this table
      const { rows } = await pool.query<Omit<UserRow, 'password_hash'>>({ name: 'users-by-id', text: byId, values: [claims.sub] })
      const row = rows[0]
      if (row === undefined || row.disabled) return null // 401 invalid_token, from this request on
      return { id: row.id, username: row.username, scopes: row.scopes } // request.currentUser
    }
  }
}

/** Adds a user with an argon2id hash of `password`; resolves to the new id. */
export async function addUser (pool: pg.Pool, username: string, password: string, scopes: string[] = []): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO users (username, password_hash, scopes) VALUES ($1, $2, $3) RETURNING id::text',
    [username, await hashPassword(password), scopes]
  )
  return rows[0]!.id
}
