import Fastify from 'fastify'
import { generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import fastifyPasswordBearer, { createKeySet, type FastifyPasswordBearerOptions } from '../lib/index.js'
import { SECRET } from './support.js'

const users = { findByUsername: async () => null }

async function register (options: unknown): Promise<unknown> {
  const app = Fastify()
  try {
    await app.register(fastifyPasswordBearer, options as FastifyPasswordBearerOptions)
    await app.ready()
    return undefined
  } catch (err) {
    return err
  } finally {
    await app.close()
  }
}

t.test('the minimal registration is secret + users', async (t) => {
  t.equal(await register({ secret: SECRET, users }), undefined)
  t.equal(await register({ secret: Buffer.alloc(32, 7), users }), undefined, 'a 32-byte Buffer works')
})

t.test('bad options fail registration with FST_PWB_INVALID_OPTION naming the option', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['secret', { users }],
    ['secret', { secret: '', users }],
    ['secret', { secret: 'short-secret', users }],
    ['secret', { secret: Buffer.alloc(31), users }],
    ['secret', { secret: 42, users }],
    ['users', { secret: SECRET }],
    ['users', { secret: SECRET, users: {} }],
    ['users.updatePasswordHash', { secret: SECRET, users: { ...users, updatePasswordHash: 'yes' } }],
    ['loadUser', { secret: SECRET, users, loadUser: {} }],
    ['tokenUrl', { secret: SECRET, users, tokenUrl: 'token' }],
    ['tokenUrl', { secret: SECRET, users, tokenUrl: '/token?x=1' }],
    ['accessTokenTtl', { secret: SECRET, users, accessTokenTtl: 0 }],
    ['accessTokenTtl', { secret: SECRET, users, accessTokenTtl: '900' }],
    ['accessTokenTtl', { secret: SECRET, users, accessTokenTtl: 1.5 }],
    ['clockTolerance', { secret: SECRET, users, clockTolerance: 3600 }],
    ['issuer', { secret: SECRET, users, issuer: '' }],
    ['audience', { secret: SECRET, users, audience: 'a"b' }],
    ['realm', { secret: SECRET, users, realm: 'bad\nrealm' }],
    ['scopes', { secret: SECRET, users, scopes: ['items:read'] }],
    ['scopes', { secret: SECRET, users, scopes: { 'has space': 'x' } }],
    ['scopes', { secret: SECRET, users, scopes: { 'items:read': 1 } }],
    ['passwordMaxLength', { secret: SECRET, users, passwordMaxLength: 4 }],
    ['hash.memoryCost', { secret: SECRET, users, hash: { memoryCost: 8 } }],
    ['maxConcurrentHashes', { secret: SECRET, users, maxConcurrentHashes: 0 }],
    ['tokenBodyLimit', { secret: SECRET, users, tokenBodyLimit: 10 }]
  ]
  for (const [option, options] of cases) {
    const err = await register(options) as { code?: string, message?: string } | undefined
    t.equal(err?.code, 'FST_PWB_INVALID_OPTION', option)
    t.match(err?.message, `"${option}"`, `the message names ${option}`)
  }
})

t.test('the secret never appears in a registration error', async (t) => {
  const err = await register({ secret: 'hunter2-short', users }) as Error
  t.notMatch(err.message, 'hunter2')
})

t.test('requireScopes refuses scopes that are not declared', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, { secret: SECRET, users, scopes: { 'items:read': 'Read' } })
  t.throws(() => app.requireScopes('items:raed'), { code: 'FST_PWB_UNKNOWN_SCOPE' })
  t.throws(() => app.requireScopes(), { code: 'FST_PWB_INVALID_OPTION' })
  t.type(app.requireScopes('items:read'), 'function')
})

t.test('tokenUrl moves the token route', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyPasswordBearer, { secret: SECRET, users, tokenUrl: '/auth/token' })
  const res = await app.inject({ method: 'POST', url: '/auth/token', payload: 'grant_type=password&username=x&password=y', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(res.json().error, 'invalid_grant')
  t.equal((await app.inject({ method: 'POST', url: '/token' })).statusCode, 404)
})

t.test('the default argon2 concurrency leaves a core to the event loop and a thread to libuv', async (t) => {
  const { defaultHashConcurrency } = await import('../lib/options.js')
  t.equal(defaultHashConcurrency(1, 4), 1, 'at least 1')
  t.equal(defaultHashConcurrency(2, 4), 1, '2 cores')
  t.equal(defaultHashConcurrency(8, 4), 3, 'capped by the default pool of 4')
  t.equal(defaultHashConcurrency(8, 16), 7, 'a larger pool')
})

t.test('an unknown option name fails registration, naming the nearest known option', async (t) => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ accessTokenTTL: 60 }, 'accessTokenTTL', /did you mean "accessTokenTtl"\?/],
    [{ tokenURL: '/login' }, 'tokenURL', /did you mean "tokenUrl"\?/],
    [{ scope: {} }, 'scope', /did you mean "scopes"\?/],
    [{ hash: { memorycost: 1 << 16 } }, 'hash.memorycost', /did you mean "memoryCost"\?/],
    [{ rateLimit: { usernme: false } }, 'rateLimit.usernme', /did you mean "username"\?/],
    [{ somethingElseEntirely: true }, 'somethingElseEntirely', /known: secret, users, tokenUrl/]
  ]
  for (const [extra, name, hint] of cases) {
    const err = await register({ secret: SECRET, users, ...extra }) as { code?: string, message?: string }
    t.equal(err?.code, 'FST_PWB_INVALID_OPTION', name)
    t.match(err?.message, `"${name}"`, `${name} is named`)
    t.match(err?.message, hint, `${name}: the hint`)
  }
})

t.test('keys: a list or a key set; an issuer\'s first key must sign', async (t) => {
  const pair = generateKeyPairSync('ed25519')
  t.equal(await register({ keys: [{ privateKey: pair.privateKey }], users }), undefined)
  t.equal(await register({ keys: createKeySet([{ privateKey: pair.privateKey }]), secret: SECRET, users }), undefined)
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['keys', { keys: 'pem', users }, /createKeySet/],
    ['keys', { keys: [], users }, /non-empty array/],
    ['keys', { keys: [{ publicKey: pair.publicKey }], users }, /first key signs/],
    ['keys[0]', { keys: [{ privateKey: 'nope' }], users }, /privateKey could not be read/],
    ['keys[1]', { keys: [{ privateKey: pair.privateKey, kid: 'a' }, { publicKey: pair.publicKey, kid: 'a' }], users }, /already taken/],
    ['secret', { keys: [{ privateKey: pair.privateKey }], secret: 'short', users }, /at least 32 bytes/],
    ['resource', { secret: SECRET, users, resource: 'not a url' }, /RFC 9728/]
  ]
  for (const [option, options, message] of cases) {
    const err = await register(options) as { code?: string, message?: string }
    t.equal(err?.code, 'FST_PWB_INVALID_OPTION', option)
    t.match(err?.message, new RegExp(`"${option.replace(/[[\]]/g, '\\$&')}"`), `${option}: named`)
    t.match(err?.message, message, `${option}: says why`)
  }
})
