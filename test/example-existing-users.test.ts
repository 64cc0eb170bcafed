// examples/existing-users.ts, the walkthrough of docs/existing-users.md: a FastAPI app's `user`
// table filled by Python's libraries (passlib's bcrypt at its default cost 12, pwdlib's argon2,
// passlib's PBKDF2) serves logins as it is and converges to argon2id, one login at a time.
import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { build } from '../examples/existing-users.js'
import { findPython, pythonHashes, pythonVerifies } from './helpers/python-hashes.js'
import { FORM, SECRET } from './support.js'

const PASSWORD = 'changethis-Ünïcode'

const python = findPython()
if ('missing' in python && process.env.CI === 'true') t.fail(`python3 with bcrypt and argon2 is required in CI (.ci/run installs it): ${python.missing}`)
const skip = 'missing' in python ? `skipped: ${python.missing}` : false

t.test('a FastAPI users table logs in as it is and converges to argon2id', { skip }, async (t) => {
  if (!('python' in python)) return
  const made = pythonHashes(python.python, PASSWORD, 12)
  t.match(made.bcrypt2b, /^\$2b\$12\$/, 'passlib\'s default cost')
  const db = new Database(':memory:')
  const app = await build({ db, secret: SECRET })
  t.teardown(async () => {
    await app.close()
    db.close()
  })
  const insert = db.prepare('INSERT INTO "user" (id, email, hashed_password, is_active, is_superuser, full_name) VALUES (?, ?, ?, ?, ?, ?)')
  insert.run(randomUUID(), 'admin@example.com', made.bcrypt2b, 1, 1, 'Admin')
  insert.run(randomUUID(), 'pwdlib@example.com', made.argon2id, 1, 0, null)
  insert.run(randomUUID(), 'pbkdf2@example.com', made.pbkdf2, 1, 0, null)
  insert.run(randomUUID(), 'gone@example.com', made.bcrypt2a, 0, 0, null)
  const stored = (email: string): string => (db.prepare('SELECT hashed_password FROM "user" WHERE email = ?').pluck().get(email) as string)
  const login = (email: string, password = PASSWORD) => app.inject({
    method: 'POST', url: '/token', headers: FORM, payload: new URLSearchParams({ grant_type: 'password', username: email, password }).toString()
  })

  t.equal((await login('admin@example.com', 'wrong')).statusCode, 400, 'a wrong password on a bcrypt hash: 400')
  t.equal(stored('admin@example.com'), made.bcrypt2b, 'and the hash stays')

  for (const email of ['admin@example.com', 'pwdlib@example.com', 'pbkdf2@example.com']) {
    const res = await login(email)
    t.equal(res.statusCode, 200, `${email} logs in`)
    t.match(stored(email), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, `${email} now has the plugin's argon2id hash`)
    t.ok(pythonVerifies(python.python, stored(email), PASSWORD), `${email}: which the FastAPI app, with pwdlib's argon2, still verifies`)
    const me = await app.inject({ url: '/users/me', headers: { authorization: `Bearer ${res.json().access_token as string}` } })
    t.match(me.json(), { username: email }, `${email}: the token works`)
  }
  t.match((await login('admin@example.com')).json(), { scope: 'admin' }, 'the superuser logs in again, on argon2, with the admin scope')
  t.equal((await login('gone@example.com')).statusCode, 400, 'an inactive user is refused')
  t.equal(stored('gone@example.com'), made.bcrypt2a, 'and keeps the hash')
  t.same(db.prepare('SELECT count(*) FROM "user" WHERE hashed_password NOT LIKE \'$argon2id$%\'').pluck().get(), 1,
    'the docs\' query finds the one user who has not logged in since')
})
