// Faults in the app's user store: findByUsername / loadUser that throw, reject, return malformed
// records or hashes, or never answer. Each gets 500 server_error or 503 temporarily_unavailable
// without internals; the process lives on, other requests are unaffected, nothing is unhandled.
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { LoadUser, StoredUser } from '../lib/index.js'
import { buildApp, FORM, login, secretHash } from './support.js'

const INTERNALS = /SELECT|db\.internal|5432|ECONNREFUSED|stack|at \w+ \(|FST_PWB_USER|argon2|TypeError|undefined/

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
process.on('unhandledRejection', onUnhandled)
t.teardown(() => { process.off('unhandledRejection', onUnhandled) })

function tokenRequest (app: FastifyInstance, username: string, password = 'secret') {
  return app.inject({ method: 'POST', url: '/token', headers: FORM, payload: `grant_type=password&username=${username}&password=${password}` })
}

type Res = Awaited<ReturnType<typeof tokenRequest>>

function assertTokenFault (t: Test, res: Res, status: 500 | 503, name: string): void {
  t.equal(res.statusCode, status, `${name}: status`)
  const body = res.json() as Record<string, unknown>
  t.same(Object.keys(body).sort(), ['error', 'error_description'], `${name}: RFC 6749 body`)
  t.equal(body.error, status === 500 ? 'server_error' : 'temporarily_unavailable', `${name}: error`)
  t.notMatch(res.body, INTERNALS, `${name}: no internals`)
  t.notOk('access_token' in body, `${name}: no token issued`)
  if (status === 503) t.match(res.headers['retry-after'], /^[1-9]\d*$/, `${name}: Retry-After`)
}

const error = (): Error => new Error('SELECT * FROM users: connect ECONNREFUSED db.internal:5432')

t.test('findByUsername faults on the token route', async (t) => {
  const passwordHash = await secretHash()
  const good: StoredUser = { id: 'u-alice', username: 'alice', passwordHash }
  const behaviours: Record<string, () => unknown> = {
    throws: () => { throw error() },
    rejects: async () => { throw error() },
    'rejects with a non-error': () => Promise.reject(Object.assign(Object.create(null), { sql: 'SELECT' })),
    'throws a string': () => { throw 'db.internal down' }, // eslint-disable-line no-throw-literal
    'returns a string': () => 'alice',
    'returns a number': () => 42,
    'returns an array': () => [good],
    'returns a record without id': () => ({ username: 'alice', passwordHash }),
    'returns an id that is a number': () => ({ ...good, id: 7 }),
    'returns scopes that are not strings': () => ({ ...good, scopes: [1, 2] }),
    'returns disabled as a string': () => ({ ...good, disabled: 'no' }),
    'returns a hash that is not argon2': () => ({ ...good, passwordHash: '$2b$10$abcdefghijklmnopqrstuuvwxyz0123456789ABCDEFGHIJKLMNOPQ' }),
    'returns a hash that is a number': () => ({ ...good, passwordHash: 12345 }),
    'returns a truncated argon2 hash': () => ({ ...good, passwordHash: passwordHash.slice(0, 40) }),
    'returns an argon2 hash with absurd parameters': () => ({ ...good, passwordHash: passwordHash.replace(/m=\d+/, 'm=999999999') }),
    'returns a getter that throws': () => ({ ...good, get passwordHash () { throw error() } }),
    'returns a proxy that throws': () => new Proxy({}, { get () { throw error() } })
  }
  for (const [name, behaviour] of Object.entries(behaviours)) {
    const { app } = await buildApp({ rateLimit: false, users: { findByUsername: behaviour as never } })
    const res = await tokenRequest(app, 'alice')
    assertTokenFault(t, res, 500, name)
    const again = await tokenRequest(app, 'alice')
    t.equal(again.statusCode, 500, `${name}: the app still answers`)
    await app.close()
  }
})

t.test('a findByUsername that never answers gets 503 after userLookupTimeout, and others are unaffected', async (t) => {
  const passwordHash = await secretHash()
  const { app } = await buildApp({
    rateLimit: false,
    userLookupTimeout: 200,
    users: { findByUsername: (u) => u === 'alice' ? { id: 'u-alice', username: 'alice', passwordHash } : new Promise<never>(() => {}) }
  })
  t.teardown(() => app.close())
  const token = await login(app)
  const [hung, me, ok] = await Promise.all([
    tokenRequest(app, 'stuck'),
    app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } }),
    tokenRequest(app, 'alice')
  ])
  assertTokenFault(t, hung, 503, 'never answers')
  t.equal(me.statusCode, 200, 'a protected route answers meanwhile')
  t.equal(ok.statusCode, 200, 'another login succeeds meanwhile')
})

t.test('loadUser faults on a protected route', async (t) => {
  const behaviours: Record<string, LoadUser> = {
    throws: () => { throw error() },
    rejects: async () => { throw error() },
    'returns a string': () => 'alice' as never,
    'returns a record without username': () => ({ id: 'u-alice' }) as never,
    // Regression: a getter that threw while the record was checked hung the request and raised an unhandled rejection.
    'returns a getter that throws': () => ({ id: 'u-alice', get username (): string { throw error() } }) as never,
    'returns a proxy that throws': () => new Proxy({}, { ownKeys () { throw error() } }) as never,
    // The same records from an async store: the promise path checks them too.
    'resolves a getter that throws': async () => ({ id: 'u-alice', get username (): string { throw error() } }) as never,
    'resolves a record without username': async () => ({ id: 'u-alice' }) as never,
    'returns a record whose then getter throws': () => ({ id: 'u-alice', username: 'alice', get then (): never { throw error() } }) as never,
    'returns a thenable that rejects': () => ({ then (_resolve: unknown, reject: (e: unknown) => void) { reject(error()) } }) as never
  }
  for (const [name, loadUser] of Object.entries(behaviours)) {
    const { app } = await buildApp({ rateLimit: false, loadUser })
    const token = await login(app)
    const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 500, `${name}: 500`)
    t.match(res.json(), { code: 'FST_PWB_SERVER_ERROR', error: 'server_error' }, `${name}: coded body`)
    t.notMatch(res.body, /SELECT|db\.internal|5432|ECONNREFUSED/, `${name}: no internals`)
    const open = await app.inject({ url: '/hello' })
    t.equal(open.statusCode, 200, `${name}: an open route is unaffected`)
    await app.close()
  }

  const { app } = await buildApp({ rateLimit: false, userLookupTimeout: 100, loadUser: () => new Promise<never>(() => {}) })
  t.teardown(() => app.close())
  const token = await login(app)
  const res = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 503, 'never answers: 503')
  t.match(res.json(), { code: 'FST_PWB_UNAVAILABLE', error: 'temporarily_unavailable' })
  t.match(res.headers['retry-after'], /^[1-9]\d*$/)
})

t.test('no unhandled rejection was raised, and the process is alive', async (t) => {
  // Let late timers and rejections of hung calls settle.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(unhandled, [], 'no unhandled rejection')
})
