/**
 * Bringing an existing users table: the `user` table of a FastAPI app (the shape of
 * full-stack-fastapi-template's — the email is the login name, `hashed_password` holds what passlib
 * or pwdlib stored, `is_active`, `is_superuser`) served by the plugin as it is. Its bcrypt and
 * passlib PBKDF2 users log in, and get an argon2id hash at that login; argon2 hashes (pwdlib,
 * argon2-cffi) verify directly. `build()` returns the app without listening;
 * test/example-existing-users.test.ts fills the table with hashes made by Python's libraries.
 */
import Database from 'better-sqlite3'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fastifyPasswordBearer, { bcryptVerifier, type StoredUser, type UserStore } from '../lib/index.js'
import { passlibPbkdf2Verifier } from './passlib-pbkdf2.js'

/** The columns of the FastAPI app's table that a login needs. */
interface UserRow {
  id: string
  email: string
  hashed_password: string
  is_active: number
  is_superuser: number
}

/** The table as the FastAPI app's migrations made it (created here only for a fresh database). */
export const USER_TABLE = `CREATE TABLE IF NOT EXISTS "user" (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  is_active INTEGER NOT NULL DEFAULT 1,
  is_superuser INTEGER NOT NULL DEFAULT 0,
  full_name TEXT,
  hashed_password TEXT NOT NULL
)`

// #region store
/**
 * The plugin's user store over the FastAPI table: the email is the username, superusers get the
 * `admin` scope, and `updatePasswordHash` writes the argon2id hash in place of the one the login
 * verified (a password changed meanwhile, by either app, is kept).
 */
export function fastApiUserStore (db: Database.Database): UserStore {
  const byEmail = db.prepare<[string], UserRow>('SELECT id, email, hashed_password, is_active, is_superuser FROM "user" WHERE email = ?')
  const replaceHash = db.prepare<[string, string, string | null]>('UPDATE "user" SET hashed_password = ? WHERE id = ? AND hashed_password = ?')
  return {
    findByUsername (email: string): StoredUser | null {
      const row = byEmail.get(email)
      if (row === undefined) return null
      return {
        id: row.id,
        username: row.email,
        passwordHash: row.hashed_password,
        disabled: row.is_active === 0,
        scopes: row.is_superuser === 1 ? ['admin'] : []
      }
    },
    updatePasswordHash (user: StoredUser, passwordHash: string): void {
      replaceHash.run(passwordHash, user.id, user.passwordHash)
    }
  }
}
// #endregion store

export interface BuildOptions {
  /** The FastAPI app's database (better-sqlite3). */
  db: Database.Database
  /** JWT signing secret, at least 32 bytes. */
  secret: string | Buffer
  /** The cost of the table's bcrypt hashes (the two digits after `$2b$`). @default 12, passlib's */
  bcryptRounds?: number
  logger?: FastifyServerOptions['logger']
}

/** The app: POST /token over the FastAPI table, and GET /users/me. */
export async function build ({ db, secret, bcryptRounds = 12, logger = false }: BuildOptions): Promise<FastifyInstance> {
  db.exec(USER_TABLE)
  const app = Fastify({ logger })
  await app.register(fastifyPasswordBearer, {
    secret,
    users: fastApiUserStore(db),
    scopes: { admin: 'Manage users' },
    // bcrypt from passlib or pwdlib, and passlib's PBKDF2 with a verifier of our own.
    legacyVerifiers: [bcryptVerifier({ rounds: bcryptRounds }), passlibPbkdf2Verifier()]
  })
  app.get('/users/me', { onRequest: app.authenticate }, async (request) => request.currentUser)
  return app
}
