/**
 * The example's SQLite store: first-run seeding (once, also across restarts and concurrent starts),
 * user management, and the re-hash of a weak password hash on login.
 */
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { build } from '../examples/app.js'
import { openStore } from '../examples/store.js'
import { hashPassword, verifyPassword } from '../lib/index.js'

const SECRET = 'example-test-secret-of-at-least-32-bytes'
const FAST = { memoryCost: 1024, timeCost: 1, parallelism: 1 }

function usernames (path: string): string[] {
  const db = new Database(path, { readonly: true })
  try {
    return (db.prepare('SELECT username FROM users ORDER BY username').all() as Array<{ username: string }>).map((r) => r.username)
  } finally {
    db.close()
  }
}

t.test('the first run creates the database file and seeds alice, carol and bob', async (t) => {
  const path = join(t.testdir(), 'sub.db')
  t.notOk(existsSync(path))
  const store = await openStore(path, { hash: FAST })
  t.teardown(() => store.close())
  t.ok(existsSync(path))
  const users = store.users.list()
  t.same(users.map((u) => [u.username, u.scopes, u.disabled]), [
    ['alice', ['items:read', 'items:write'], false],
    ['bob', ['items:read'], true],
    ['carol', ['items:read'], false]
  ])
  for (const user of users) {
    t.match(user.id, /^[0-9a-f-]{36}$/)
    t.ok(await verifyPassword(user.passwordHash as string, 'secret'), `${user.username}'s password is "secret"`)
  }
})

t.test('a restart on the same file keeps the users and seeds no duplicates', async (t) => {
  const path = join(t.testdir(), 'example.db')
  const first = await build({ dbPath: path, secret: SECRET })
  const ids = first.exampleStore.users.list().map((u) => u.id)
  const added = first.exampleStore.users.addUser({ username: 'dave', passwordHash: await hashPassword('pw', FAST) })
  await first.close()

  const second = await build({ dbPath: path, secret: SECRET })
  t.teardown(() => second.close())
  t.same(usernames(path), ['alice', 'bob', 'carol', 'dave'])
  t.same(second.exampleStore.users.list().map((u) => u.id).filter((id) => id !== added.id), ids, 'same ids')
  t.equal(second.exampleStore.users.count(), 4)
})

t.test('deleting the demo users does not bring them back while other users remain', async (t) => {
  const path = join(t.testdir(), 'example.db')
  const store = await openStore(path, { hash: FAST })
  const alice = store.users.findByUsername('alice')
  store.users.deleteUser(alice?.id as string)
  store.close()
  const again = await openStore(path, { hash: FAST })
  t.teardown(() => again.close())
  t.equal(again.users.findByUsername('alice'), null)
  t.equal(again.users.count(), 2)
})

t.test('two processes starting on a new file at once seed the demo users once', async (t) => {
  const path = join(t.testdir(), 'example.db')
  const stores = await Promise.all([openStore(path, { hash: FAST }), openStore(path, { hash: FAST }), openStore(path, { hash: FAST })])
  for (const s of stores) s.close()
  t.same(usernames(path), ['alice', 'bob', 'carol'])
})

t.test('addUser refuses a taken username with EXAMPLE_DUPLICATE_USERNAME', async (t) => {
  const store = await openStore(':memory:', { hash: FAST })
  t.teardown(() => store.close())
  t.throws(() => store.users.addUser({ username: 'alice', passwordHash: null }), { code: 'EXAMPLE_DUPLICATE_USERNAME' })
  t.throws(() => store.users.addUser({ username: '', passwordHash: null }), { code: 'EXAMPLE_INVALID_USER' })
  t.throws(() => store.users.addUser({ username: 'x', passwordHash: null, scopes: ['two words'] }), { code: 'EXAMPLE_INVALID_USER' })
  t.equal(store.users.count(), 3)
})

t.test('usernames are exact: another case is another (unknown) user', async (t) => {
  const store = await openStore(':memory:', { hash: FAST })
  t.teardown(() => store.close())
  t.equal(store.users.findByUsername('Alice'), null)
  t.equal(store.users.findByUsername('alice ')?.username, undefined)
  t.equal(store.users.findByUsername('alice')?.username, 'alice')
})

t.test('a user without a password cannot log in', async (t) => {
  const app = await build({ dbPath: ':memory:', secret: SECRET })
  t.teardown(() => app.close())
  app.exampleStore.users.addUser({ username: 'service', passwordHash: null, scopes: ['items:read'] })
  const res = await app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=password&username=service&password=anything'
  })
  t.equal(res.statusCode, 400)
  t.equal(res.json().error, 'invalid_grant')
  t.notOk('access_token' in res.json())
})

t.test('a login on a weak hash stores a hash with the current parameters, and the password still works', async (t) => {
  const app = await build({ dbPath: ':memory:', secret: SECRET })
  t.teardown(() => app.close())
  const weak = await hashPassword('correct horse', FAST)
  const dave = app.exampleStore.users.addUser({ username: 'dave', passwordHash: weak, scopes: ['items:read'] })
  t.match(weak, /m=1024,t=1,p=1\$/)

  const login = () => app.inject({
    method: 'POST',
    url: '/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=password&username=dave&password=correct+horse'
  })
  t.equal((await login()).statusCode, 200)
  const stored = app.exampleStore.users.findById(dave.id)?.passwordHash as string
  t.not(stored, weak)
  t.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  t.ok(await verifyPassword(stored, 'correct horse'))

  t.equal((await login()).statusCode, 200, 'the new hash logs in')
  t.equal(app.exampleStore.users.findById(dave.id)?.passwordHash, stored, 'no second re-hash')
})

t.test('updatePasswordHash keeps a password changed since the login verified the old hash', async (t) => {
  const store = await openStore(':memory:', { hash: FAST })
  t.teardown(() => store.close())
  const before = store.users.findByUsername('carol')
  if (before === null) throw new Error('carol is seeded')
  const first = await hashPassword('changed meanwhile', FAST)
  store.users.updatePasswordHash(before, first)
  t.equal(store.users.findById(before.id)?.passwordHash, first, 'the verified hash is replaced')
  // A second update based on the same (now stale) record must not undo the first.
  store.users.updatePasswordHash(before, await hashPassword('secret', FAST))
  t.equal(store.users.findById(before.id)?.passwordHash, first)
})

t.test('findById answers from memory and sees a change at once, its own or another connection\'s within a millisecond', async (t) => {
  const path = join(t.testdir(), 'example.db')
  const server = await openStore(path, { hash: FAST })
  const other = await openStore(path, { hash: FAST }) // the add-user command, or a second server
  t.teardown(() => { server.close(); other.close() })
  const alice = server.users.findByUsername('alice')
  const id = alice?.id as string

  const first = server.users.findById(id)
  t.equal(first?.disabled, false)
  t.equal(server.users.findById(id), first, 'the same frozen record while nothing changed')
  t.ok(Object.isFrozen(first) && Object.isFrozen(first?.scopes), 'callers cannot change what the next one reads')

  // Another connection's commits are looked for at most once a millisecond.
  const later = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 3))
  t.ok(other.users.setDisabled(id, true))
  await later()
  t.equal(server.users.findById(id)?.disabled, true, 'disabled by another connection: seen within a millisecond')
  t.ok(server.users.setDisabled(id, false))
  t.equal(server.users.findById(id)?.disabled, false, 're-enabled by this connection: seen on the next call')

  const raw = new Database(path)
  raw.prepare('UPDATE users SET scopes = ? WHERE id = ?').run('items:read', id)
  raw.close()
  await later()
  t.same(server.users.findById(id)?.scopes, ['items:read'], 'a scope taken away by plain SQL elsewhere: seen at once')

  t.ok(other.users.deleteUser(id))
  await later()
  t.equal(server.users.findById(id), null, 'deleted by another connection: gone at once')
  t.equal(server.users.findById('no-such-id'), null)
})
