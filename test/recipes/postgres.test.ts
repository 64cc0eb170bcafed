/**
 * The PostgreSQL recipe (docs/recipes/postgres.md) on a real PostgreSQL server that the test starts
 * on a free loopback port: its table, logins through findByUsername, re-hashing through
 * updatePasswordHash, users disabled or deleted in the table refused at once through loadUser.
 */
import type { FastifyInstance } from 'fastify'
import { existsSync } from 'node:fs'
import pg from 'pg'
import t, { type Test } from 'tap'
import { buildApp } from '../../docs/recipes/postgres/app.js'
import { addUser, postgresUsers } from '../../docs/recipes/postgres/users.js'
import { hashPassword, needsRehash } from '../../lib/index.js'
import { alive, postgresSkip, startPostgres } from '../helpers/postgres.js'

const skip = postgresSkip()
const SECRET = 'postgres-recipe-secret-postgres-recipe!'
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

async function login (app: FastifyInstance, username: string, password: string) {
  const res = await app.inject({ method: 'POST', url: '/token', headers: FORM, payload: new URLSearchParams({ grant_type: 'password', username, password }).toString() })
  return { status: res.statusCode, body: res.json() as Record<string, string> }
}

function get (app: FastifyInstance, url: string, token: string) {
  return app.inject({ url, headers: { authorization: `Bearer ${token}` } })
}

/** The recipe's app on a fresh server, and a pool of the test's own to look into the table. */
async function setUp (t: Test) {
  const server = await startPostgres(t)
  const app = await buildApp({ connectionString: server.url, secret: SECRET })
  const pool = new pg.Pool({ connectionString: server.url, max: 2 })
  let closing = false
  // pg's pool.end() resolves before its sockets are closed: the server may still end them then.
  pool.on('error', (err) => { if (!closing) t.fail(`the test's PostgreSQL connection failed: ${err.message}`) })
  t.teardown(async () => {
    closing = true
    await app.close()
    await pool.end()
  })
  return { app, pool, server }
}

t.test('the PostgreSQL user store', { skip }, async (t) => {
  const { app, pool, server } = await setUp(t)
  t.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/, 'a private server on loopback')
  const { rows: [version] } = await pool.query<{ server_version: string }>('SHOW server_version')
  t.ok(version?.server_version, `PostgreSQL ${version?.server_version}`)

  const aliceId = await addUser(pool, 'alice', 'correct horse', ['items:read'])
  await addUser(pool, 'bob', 'battery staple')

  await t.test('a user of the table logs in and is re-loaded on each request', async (t) => {
    const { status, body } = await login(app, 'alice', 'correct horse')
    t.equal(status, 200)
    t.equal(body.scope, 'items:read')
    const me = await get(app, '/users/me', body.access_token!)
    t.equal(me.statusCode, 200)
    t.same(me.json(), { id: aliceId, username: 'alice', scopes: ['items:read'] })
    t.equal((await get(app, '/items', body.access_token!)).statusCode, 200)
  })

  await t.test('wrong passwords, unknown users and SQL in a username get invalid_grant', async (t) => {
    for (const [username, password] of [['alice', 'wrong'], ['nobody', 'correct horse'], ["alice' OR '1'='1", 'x']] as const) {
      const { status, body } = await login(app, username, password)
      t.equal(status, 400, username)
      t.equal(body.error, 'invalid_grant', username)
    }
    t.equal(Number((await pool.query('SELECT count(*) FROM users')).rows[0].count), 2, 'the table is intact')
  })

  await t.test('a user without a password hash cannot log in', async (t) => {
    await pool.query('INSERT INTO users (username, password_hash) VALUES ($1, NULL)', ['sso-only'])
    t.equal((await login(app, 'sso-only', '')).body.error, 'invalid_request', 'an empty password is refused before the store')
    t.equal((await login(app, 'sso-only', 'anything')).body.error, 'invalid_grant')
  })

  await t.test('a user disabled in the table is refused at once, token and login', async (t) => {
    const { body } = await login(app, 'bob', 'battery staple')
    t.equal((await get(app, '/users/me', body.access_token!)).statusCode, 200)
    await pool.query('UPDATE users SET disabled = true WHERE username = $1', ['bob'])
    const refused = await get(app, '/users/me', body.access_token!)
    t.equal(refused.statusCode, 401)
    t.match(refused.headers['www-authenticate'], /error="invalid_token"/)
    t.equal((await login(app, 'bob', 'battery staple')).body.error, 'invalid_grant')
  })

  await t.test('a user deleted from the table is refused at once', async (t) => {
    await addUser(pool, 'carol', 'open sesame')
    const { body } = await login(app, 'carol', 'open sesame')
    await pool.query('DELETE FROM users WHERE username = $1', ['carol'])
    t.equal((await get(app, '/users/me', body.access_token!)).statusCode, 401)
  })

  await t.test('a weaker hash is replaced by one with the current parameters at the next login', async (t) => {
    const weak = await hashPassword('old secret', { memoryCost: 4096, timeCost: 1, parallelism: 1 })
    await pool.query('INSERT INTO users (username, password_hash) VALUES ($1, $2)', ['dave', weak])
    t.equal((await login(app, 'dave', 'old secret')).status, 200)
    const { rows: [row] } = await pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = $1', ['dave'])
    t.not(row!.password_hash, weak, 'the hash was replaced')
    t.notOk(await needsRehash(row!.password_hash), 'by one with the current parameters')
    t.equal((await login(app, 'dave', 'old secret')).status, 200, 'which verifies')
  })

  await t.test('updatePasswordHash keeps a password changed since the login read the user', async (t) => {
    const { users } = postgresUsers(pool)
    const ericId = await addUser(pool, 'eric', 'first')
    const read = await users.findByUsername('eric')
    const changed = await hashPassword('second')
    await pool.query('UPDATE users SET password_hash = $1 WHERE id = $2', [changed, ericId])
    await users.updatePasswordHash!(read!, await hashPassword('first'))
    const { rows: [row] } = await pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [ericId])
    t.equal(row!.password_hash, changed, 'the newer password stays')
  })

  await t.test('loadUser answers null for a subject that is no id of the table', async (t) => {
    const { loadUser } = postgresUsers(pool)
    for (const sub of ['u-alice', '0', '-1', '99999999999999999999', '1 OR 1=1']) {
      t.equal(await loadUser({ sub } as never, {} as never), null, sub)
    }
  })
})

t.test('the server is stopped by its PID and its folder removed', { skip }, async (t) => {
  const server = await startPostgres(t)
  t.ok(alive(server.pid), 'the postmaster runs')
  t.ok(existsSync(server.dir))
  await server.stop()
  t.notOk(alive(server.pid), 'the postmaster is gone (or a zombie waiting for init)')
  t.notOk(existsSync(server.dir), 'its folder is removed')
})
