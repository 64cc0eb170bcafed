// A users table brought from another library: argon2 hashes of argon2-cffi (pwdlib) verify as they
// are; bcrypt hashes (passlib, pwdlib, Python's and Node's bcrypt) and formats of the app's own
// verifiers log in through `legacyVerifiers` and are replaced by argon2id at that login; a hash no
// verifier reads is a coded fault; every login verifies once per format, under the hashing cap.
// The Python-made hashes come from Debian's python3-bcrypt and python3-argon2 (.ci/run installs them).
import bcrypt from 'bcrypt'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { passlibPbkdf2Verifier } from '../examples/passlib-pbkdf2.js'
import { checkCredentials, type LoginDeps } from '../lib/endpoint/credentials.js'
import { ARGON2, type HashScheme } from '../lib/endpoint/hash-schemes.js'
import { importOptionalPeer } from '../lib/endpoint/bcrypt-verifier.js'
import { Limiter } from '../lib/endpoint/limiter.js'
import { Deadlines } from '../lib/stores/deadlines.js'
import {
  bcryptVerifier, DEFAULT_HASH_OPTIONS, hashPassword, MissingPeerError, needsRehash,
  type FastifyPasswordBearerOptions, type PasswordVerifier, type StoredUser
} from '../lib/index.js'
import { findPython, pythonHashes, pythonVerifies, type PythonHashes } from './helpers/python-hashes.js'
import { buildApp, tokenRequest } from './support.js'

const PASSWORD = 'correct horse ⚡ battery'
const WRONG = 'correct horse ⚡ batterY'
const CURRENT_ARGON2 = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/

const python = findPython()
if ('missing' in python && process.env.CI === 'true') t.fail(`python3 with bcrypt and argon2 is required in CI (.ci/run installs it): ${python.missing}`)
const skip = 'missing' in python ? `skipped: ${python.missing}` : false
// bcrypt at cost 4 keeps the suite fast; test/example-existing-users.test.ts uses passlib's 12.
const made: PythonHashes | undefined = 'python' in python ? pythonHashes(python.python, PASSWORD, 4) : undefined
const py = (): PythonHashes => made as PythonHashes

type Log = Record<string, unknown>

/** An app over `table` (username → hash) whose store records re-hashes, with its log lines. */
async function tableApp (t: Test, table: Record<string, string | null>, options: Partial<FastifyPasswordBearerOptions> = {}) {
  const users = new Map<string, StoredUser>(Object.entries(table).map(([username, passwordHash]) =>
    [username, { id: `u-${username}`, username, passwordHash }]))
  const updates: string[] = []
  const logs: Log[] = []
  const { app } = await buildApp({
    rateLimit: false,
    users: {
      findByUsername: (username) => users.get(username) ?? null,
      updatePasswordHash: (user, passwordHash) => {
        updates.push(user.id);
        (users.get(user.username) as StoredUser).passwordHash = passwordHash
      }
    },
    ...options
  }, undefined, { logger: { level: 'trace', stream: { write: (line: string) => { logs.push(JSON.parse(line) as Log) } } } })
  t.teardown(() => app.close())
  return { app, users, updates, logs }
}

function attempt (app: FastifyInstance, username: string, password = PASSWORD) {
  return tokenRequest(app, `grant_type=password&username=${encodeURIComponent(username)}&password=${encodeURIComponent(password)}`)
}

/** A verifier that records the hash each of its verifications was given. */
function spied (verifier: PasswordVerifier): { verifier: PasswordVerifier, verified: string[] } {
  const verified: string[] = []
  return {
    verified,
    verifier: {
      name: verifier.name,
      recognizes: (hash) => verifier.recognizes(hash),
      dummyHash: () => verifier.dummyHash(),
      verify: (hash, password) => {
        verified.push(hash)
        return verifier.verify(hash, password)
      }
    }
  }
}

function assertLogsClean (t: Test, logs: Log[], secrets: string[]): void {
  const text = logs.map((line) => JSON.stringify(line)).join('\n')
  for (const secret of secrets) t.notOk(text.includes(secret), `no log line holds ${secret.slice(0, 8)}...`)
}

t.test('a bcrypt hash made by Python (passlib\'s backend) logs in once, becomes argon2id, and the next login verifies argon2', { skip }, async (t) => {
  const legacy = py().bcrypt2b
  const bcryptSpy = spied(bcryptVerifier({ rounds: 4 }))
  const { app, users, updates, logs } = await tableApp(t, { legacy }, { legacyVerifiers: [bcryptSpy.verifier] })
  bcryptSpy.verified.length = 0 // the registration check of the dummy hash

  const first = await attempt(app, 'legacy')
  t.equal(first.statusCode, 200, 'the bcrypt user logs in')
  t.type(first.json().access_token, 'string')
  t.same(bcryptSpy.verified, [legacy], 'bcrypt verified the stored hash')
  t.same(updates, ['u-legacy'], 'the store was given a new hash')
  t.match(users.get('legacy')?.passwordHash, CURRENT_ARGON2, 'argon2id with the current parameters')
  t.match(logs.find((l) => l.event === 'password_rehash'), { level: 30, userId: 'u-legacy', from: 'bcrypt' })

  const second = await attempt(app, 'legacy')
  t.equal(second.statusCode, 200, 'the next login succeeds')
  t.equal(bcryptSpy.verified.length, 2, 'bcrypt ran once more (every login verifies every format)')
  t.not(bcryptSpy.verified[1], legacy, 'on its dummy hash: the user\'s hash was verified by argon2')
  t.same(updates, ['u-legacy'], 'no second re-hash')
  assertLogsClean(t, logs, [PASSWORD, legacy, '$2b$', '$argon2'])
})

t.test('a wrong password on a bcrypt hash gets the answer a wrong password gets on an argon2 hash, and no re-hash', { skip }, async (t) => {
  const { app, updates, logs } = await tableApp(t, { legacy: py().bcrypt2b, modern: await hashPassword(PASSWORD) },
    { legacyVerifiers: [bcryptVerifier({ rounds: 4 })] })
  const onLegacy = await attempt(app, 'legacy', WRONG)
  const onModern = await attempt(app, 'modern', WRONG)
  t.equal(onLegacy.statusCode, 400)
  t.same(onLegacy.json(), { error: 'invalid_grant', error_description: 'The username or password is incorrect' })
  t.equal(onLegacy.body, onModern.body, 'the same body')
  const { date: _a, ...legacyHeaders } = onLegacy.headers
  const { date: _b, ...modernHeaders } = onModern.headers
  t.same(legacyHeaders, modernHeaders, 'the same headers')
  t.same(updates, [], 'nothing re-hashed')
  t.match(logs.find((l) => l.event === 'login'), { outcome: 'failure', reason: 'bad_password' }, 'logged as a wrong password')
})

t.test('$2a$ hashes, $2y$ hashes (PHP\'s name for $2b$) and those of Node\'s bcrypt package log in', { skip }, async (t) => {
  const table = {
    a: py().bcrypt2a,
    y: py().bcrypt2b.replace(/^\$2b\$/, '$2y$'),
    node: await bcrypt.hash(PASSWORD, 4)
  }
  const { app, updates } = await tableApp(t, table, { legacyVerifiers: [bcryptVerifier({ rounds: 4 })] })
  for (const username of Object.keys(table)) {
    t.equal((await attempt(app, username, WRONG)).statusCode, 400, `${username}: a wrong password is refused`)
    t.equal((await attempt(app, username)).statusCode, 200, `${username}: the right one logs in`)
  }
  t.same(updates, ['u-a', 'u-y', 'u-node'], 'each is migrated to argon2id')
})

t.test('argon2id, argon2i and argon2d hashes of argon2-cffi (pwdlib) verify as they are, with no legacy verifier', { skip }, async (t) => {
  const { argon2id, argon2i, argon2d } = py()
  t.match(argon2id, /^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$/, 'argon2-cffi\'s PHC string')
  const { app, users, updates } = await tableApp(t, { argon2id, argon2i, argon2d })
  for (const username of ['argon2id', 'argon2i', 'argon2d']) {
    t.equal((await attempt(app, username, WRONG)).statusCode, 400, `${username}: a wrong password is refused`)
    t.equal((await attempt(app, username)).statusCode, 200, `${username}: the right one logs in`)
    t.match(users.get(username)?.passwordHash, CURRENT_ARGON2, `${username}: re-hashed with the current parameters`)
  }
  t.equal(updates.length, 3)
})

t.test('the argon2id hashes the plugin writes verify in argon2-cffi (pwdlib, passlib): a Python app sharing the table keeps working', { skip }, async (t) => {
  const { app, users } = await tableApp(t, { legacy: py().bcrypt2b }, { legacyVerifiers: [bcryptVerifier({ rounds: 4 })] })
  t.equal((await attempt(app, 'legacy')).statusCode, 200)
  const migrated = users.get('legacy')?.passwordHash as string
  t.match(migrated, CURRENT_ARGON2, 'parameters in the reference order m, t, p')
  t.equal(pythonVerifies((python as { python: string }).python, migrated, PASSWORD), true, 'argon2-cffi verifies the migrated hash')
  t.equal(pythonVerifies((python as { python: string }).python, migrated, WRONG), false, 'and refuses a wrong password')
  t.equal(pythonVerifies((python as { python: string }).python, await hashPassword(PASSWORD), PASSWORD), true, 'and any hash of hashPassword()')
})

t.test('a verifier of the app\'s own (passlib\'s PBKDF2 through node:crypto) logs its users in and migrates them', { skip }, async (t) => {
  const { app, users, updates, logs } = await tableApp(t, { pbkdf2: py().pbkdf2 }, { legacyVerifiers: [passlibPbkdf2Verifier()] })
  t.equal((await attempt(app, 'pbkdf2', WRONG)).statusCode, 400, 'a wrong password is refused')
  t.same(updates, [])
  t.equal((await attempt(app, 'pbkdf2')).statusCode, 200, 'the right one logs in')
  t.match(users.get('pbkdf2')?.passwordHash, CURRENT_ARGON2)
  t.match(logs.find((l) => l.event === 'password_rehash'), { userId: 'u-pbkdf2', from: 'pbkdf2-sha256' })
  t.equal((await attempt(app, 'pbkdf2')).statusCode, 200, 'and logs in with argon2 next')
})

t.test('a hash no verifier reads is a 500 server_error, logged as FST_PWB_UNKNOWN_HASH with the user id', async (t) => {
  const bcryptHash = await bcrypt.hash(PASSWORD, 4)
  const pbkdf2Hash = await passlibPbkdf2Verifier({ rounds: 1000 }).dummyHash()
  const cases: Array<[string, string, Partial<FastifyPasswordBearerOptions>, string]> = [
    ['a bcrypt hash without legacyVerifiers', bcryptHash, {}, 'argon2'],
    ['a PBKDF2 hash with only the bcrypt verifier', pbkdf2Hash, { legacyVerifiers: [bcryptVerifier({ rounds: 4 })] }, 'argon2, bcrypt']
  ]
  for (const [name, hash, options, tried] of cases) {
    const { app, logs } = await tableApp(t, { someone: hash }, options)
    const res = await attempt(app, 'someone')
    t.equal(res.statusCode, 500, `${name}: 500`)
    t.same(res.json(), { error: 'server_error', error_description: 'The server could not process the token request; try again later' },
      `${name}: the answer of any store fault`)
    const logged = logs.find((l) => l.event === 'login') as { code?: string, err?: { message?: string } } | undefined
    t.equal(logged?.code, 'FST_PWB_UNKNOWN_HASH', `${name}: the code is logged`)
    t.match(logged?.err?.message, 'user "u-someone"', `${name}: the message names the user`)
    t.match(logged?.err?.message, `(tried: ${tried})`, `${name}: and the formats tried`)
    assertLogsClean(t, logs, [PASSWORD, hash])
  }
  t.equal(needsRehash(bcryptHash), false, 'the needsRehash() helper answers false for a hash that is not argon2')
})

t.test('a failing updatePasswordHash does not fail a legacy login, and the bcrypt hash keeps working', async (t) => {
  const legacy = await bcrypt.hash(PASSWORD, 4)
  const logs: Log[] = []
  const { app } = await buildApp({
    rateLimit: false,
    legacyVerifiers: [bcryptVerifier({ rounds: 4 })],
    users: {
      findByUsername: (username) => username === 'legacy' ? { id: 'u-legacy', username, passwordHash: legacy } : null,
      updatePasswordHash: async () => { throw new Error('read-only replica') }
    }
  }, undefined, { logger: { level: 'info', stream: { write: (line: string) => { logs.push(JSON.parse(line) as Log) } } } })
  t.teardown(() => app.close())
  t.equal((await attempt(app, 'legacy')).statusCode, 200, 'the login succeeds')
  t.match(logs.find((l) => l.event === 'password_rehash'), { level: 40, userId: 'u-legacy', from: 'bcrypt', code: 'FST_PWB_USER_STORE' })
  t.equal((await attempt(app, 'legacy')).statusCode, 200, 'and the next one, on the same bcrypt hash')
})

/** A verifier of a toy format `<prefix>$<password>` (no secrecy needed here), with its own calls. */
function toyVerifier (prefix: string) {
  return spied({
    name: prefix,
    recognizes: (hash) => hash.startsWith(`${prefix}$`),
    verify: (hash, password) => hash === `${prefix}$${password}`,
    dummyHash: () => `${prefix}$dummy-${Math.random()}`
  })
}

t.test('every login verifies once per format, whatever its outcome', async (t) => {
  const a = toyVerifier('a')
  const b = toyVerifier('b')
  const table = { modern: await hashPassword(PASSWORD), 'a-user': `a$${PASSWORD}`, 'b-user': `b$${PASSWORD}`, 'no-hash': null }
  const { app, users } = await tableApp(t, table, { legacyVerifiers: [a.verifier, b.verifier], hash: { memoryCost: 4096, timeCost: 1 } })
  users.set('disabled', { id: 'u-disabled', username: 'disabled', passwordHash: `a$${PASSWORD}`, disabled: true })
  const logins: Array<[string, string, string, number]> = [
    ['unknown user', 'ghost', PASSWORD, 400],
    ['wrong password on argon2', 'modern', WRONG, 400],
    ['wrong password on format a', 'a-user', WRONG, 400],
    ['wrong password on format b', 'b-user', WRONG, 400],
    ['disabled user', 'disabled', PASSWORD, 400],
    ['user without a hash', 'no-hash', PASSWORD, 400],
    ['success on format b', 'b-user', PASSWORD, 200]
  ]
  for (const [name, username, password, status] of logins) {
    const realA = users.get(username)?.passwordHash ?? ''
    a.verified.length = 0
    b.verified.length = 0
    t.equal((await attempt(app, username, password)).statusCode, status, `${name}: ${status}`)
    t.equal(a.verified.length, 1, `${name}: format a verified once`)
    t.equal(b.verified.length, 1, `${name}: format b verified once`)
    t.equal(a.verified[0] === realA, realA.startsWith('a$'), `${name}: a got the user's hash only if it is in format a`)
    t.equal(b.verified[0] === realA, realA.startsWith('b$'), `${name}: b got the user's hash only if it is in format b`)
  }
})

t.test('checkCredentials runs argon2 and each legacy format exactly once per login, the user\'s hash in its own format only', async (t) => {
  const calls: string[] = []
  const scheme = (name: string, real: string): HashScheme => ({
    name,
    dummyHash: `${name}-dummy`,
    recognizes: (hash) => hash.startsWith(name),
    verify: async (hash, password) => {
      calls.push(hash)
      return hash === real && password === 'pw'
    }
  })
  const table: Record<string, StoredUser> = {
    modern: { id: '1', username: 'modern', passwordHash: 'argon2-real' },
    legacy: { id: '2', username: 'legacy', passwordHash: 'bcrypt-real' },
    none: { id: '3', username: 'none', passwordHash: '' }
  }
  const deps: LoginDeps = {
    users: { findByUsername: (username) => table[username] ?? null },
    limiter: new Limiter(1, 0),
    schemes: [scheme(ARGON2, 'argon2-real'), scheme('bcrypt', 'bcrypt-real')],
    hash: { ...DEFAULT_HASH_OPTIONS },
    deadlines: new Deadlines(1000)
  }
  const cases: Array<[string, string, string[], unknown]> = [
    ['ghost', 'pw', ['argon2-dummy', 'bcrypt-dummy'], { ok: false, reason: 'unknown_user' }],
    ['none', 'pw', ['argon2-dummy', 'bcrypt-dummy'], { ok: false, reason: 'no_password' }],
    ['modern', 'pw', ['argon2-real', 'bcrypt-dummy'], { ok: true, scheme: ARGON2 }],
    ['legacy', 'no', ['argon2-dummy', 'bcrypt-real'], { ok: false, reason: 'bad_password' }],
    ['legacy', 'pw', ['argon2-dummy', 'bcrypt-real'], { ok: true, scheme: 'bcrypt' }]
  ]
  for (const [username, password, expected, result] of cases) {
    calls.length = 0
    t.match(await checkCredentials(deps, username, password), result, `${username} / ${password}: the result`)
    t.same(calls, expected, `${username} / ${password}: one verification per format`)
  }
})

t.test('legacy verifications count against maxConcurrentHashes: a full cap answers 503', async (t) => {
  let release = (): void => {}
  let entered = (): void => {}
  const inside = new Promise<void>((resolve) => { entered = resolve })
  const slow: PasswordVerifier = {
    name: 'slow',
    recognizes: (hash) => hash.startsWith('slow$'),
    dummyHash: () => 'slow$dummy',
    verify: (hash) => {
      if (hash === 'slow$dummy') return false // the registration check
      entered()
      return new Promise<boolean>((resolve) => { release = () => resolve(true) })
    }
  }
  const { app } = await tableApp(t, { legacy: 'slow$real' }, { legacyVerifiers: [slow], maxConcurrentHashes: 1, maxQueuedHashes: 0, hash: { memoryCost: 4096, timeCost: 1 } })
  const first = attempt(app, 'legacy')
  await inside // the only slot is in the legacy verification
  const second = await attempt(app, 'ghost')
  t.equal(second.statusCode, 503, 'the next login finds the cap full')
  t.equal(second.json().error, 'temporarily_unavailable')
  t.equal(second.headers['retry-after'], '1')
  release()
  t.equal((await first).statusCode, 200, 'the first login ends well')
})

t.test('a legacy verifier that throws is a logged FST_PWB_VERIFIER fault; only true is a match', async (t) => {
  const boom = (): never => { throw new Error('verifier bug with the hash in its message') }
  const verifiers: Record<string, PasswordVerifier> = {
    'verify throws': { name: 'x', recognizes: (h) => h.startsWith('x$'), dummyHash: () => 'x$d', verify: (h) => h === 'x$d' ? false : boom() },
    'verify rejects': { name: 'x', recognizes: (h) => h.startsWith('x$'), dummyHash: () => 'x$d', verify: async (h) => h === 'x$d' ? false : boom() },
    'recognizes throws': { name: 'x', recognizes: (h) => h === 'x$d' || boom(), dummyHash: () => 'x$d', verify: () => false }
  }
  for (const [name, verifier] of Object.entries(verifiers)) {
    const { app, logs } = await tableApp(t, { someone: 'x$real' }, { legacyVerifiers: [verifier] })
    const res = await attempt(app, 'someone')
    t.equal(res.statusCode, 500, `${name}: 500`)
    t.equal(res.json().error, 'server_error', `${name}: server_error`)
    t.notMatch(res.body, /verifier bug|FST_PWB/, `${name}: no internals`)
    t.match(logs.find((l) => l.event === 'login'), { code: 'FST_PWB_VERIFIER', err: { message: /"x" failed/ } }, `${name}: logged with its code`)
  }
  const truthy: PasswordVerifier = { name: 'y', recognizes: (h) => h.startsWith('y$'), dummyHash: () => 'y$d', verify: () => 'yes' as unknown as boolean }
  const { app } = await tableApp(t, { someone: 'y$real' }, { legacyVerifiers: [truthy] })
  t.equal((await attempt(app, 'someone')).statusCode, 400, 'a verifier answering "yes" is no match')
})

t.test('the legacyVerifiers option is checked at registration', async (t) => {
  const good = (): PasswordVerifier => ({ name: 'toy', recognizes: (h) => h.startsWith('toy$'), verify: () => false, dummyHash: () => 'toy$d' })
  const invalid: Array<[string, unknown]> = [
    ['legacyVerifiers', bcryptVerifier()],
    ['legacyVerifiers', Array.from({ length: 9 }, (_, i) => ({ ...good(), name: `v${i}` }))],
    ['legacyVerifiers[0]', [null]],
    ['legacyVerifiers[1]', [good(), { name: 'x', recognizes: () => true }]],
    ['legacyVerifiers[0].name', [{ ...good(), name: 'argon2' }]],
    ['legacyVerifiers[0].name', [{ ...good(), name: 'has space' }]],
    ['legacyVerifiers[1].name', [good(), good()]],
    ['legacyVerifiers[0].dummyHash', [{ ...good(), dummyHash: () => 'other$d' }]],
    ['legacyVerifiers[0].dummyHash', [{ ...good(), recognizes: () => true, dummyHash: async () => await hashPassword('x', { memoryCost: 1024, timeCost: 1 }) }]],
    ['legacyVerifiers[0].dummyHash', [{ ...good(), dummyHash: () => 42 }]]
  ]
  for (const [option, legacyVerifiers] of invalid) {
    const err = await buildApp({ legacyVerifiers: legacyVerifiers as PasswordVerifier[] }).then(async ({ app }) => { await app.close() }, (e: unknown) => e) as { code?: string, message?: string } | undefined
    t.equal(err?.code, 'FST_PWB_INVALID_OPTION', option)
    t.match(err?.message, `"${option}"`, `the message names ${option}`)
  }

  const failing = await buildApp({ legacyVerifiers: [{ ...good(), dummyHash: () => { throw new Error('no') } }] }).catch((e: unknown) => e)
  t.match(failing, { code: 'FST_PWB_VERIFIER', message: /"toy" failed in dummyHash\(\)/ }, 'a dummyHash that throws')
  const unreadable = await buildApp({ legacyVerifiers: [{ ...good(), verify: () => { throw new Error('no') } }] }).catch((e: unknown) => e)
  t.match(unreadable, { code: 'FST_PWB_VERIFIER', message: /failed in verify\(\)/ }, 'a verify that throws on its own dummy hash')
  const missing = await buildApp({ legacyVerifiers: [{ ...good(), dummyHash: () => { throw new MissingPeerError('toyVerifier()', 'toy') } }] }).catch((e: unknown) => e)
  t.match(missing, { code: 'FST_PWB_MISSING_PEER' }, 'a missing package is reported as such')

  t.throws(() => bcryptVerifier({ rounds: 3 }), { code: 'FST_PWB_INVALID_OPTION', message: /"bcryptVerifier\(\{ rounds \}\)": expected an integer from 4 to 31/ })
  t.throws(() => bcryptVerifier({ rounds: 32 }), { code: 'FST_PWB_INVALID_OPTION' })
})

t.test('legacyVerifiers without users.updatePasswordHash logs a warning at registration', async (t) => {
  const warnings = async (users: FastifyPasswordBearerOptions['users']): Promise<Log[]> => {
    const logs: Log[] = []
    const { app } = await buildApp({ users, legacyVerifiers: [bcryptVerifier({ rounds: 4 })] }, undefined,
      { logger: { level: 'info', stream: { write: (line: string) => { logs.push(JSON.parse(line) as Log) } } } })
    await app.close()
    return logs.filter((l) => l.event === 'legacy_hashes')
  }
  const findByUsername = (): null => null
  t.match(await warnings({ findByUsername }), [{ level: 40, verifiers: ['bcrypt'], msg: /never replaced by argon2id/ }])
  t.same(await warnings({ findByUsername, updatePasswordHash: () => {} }), [], 'none when the store can save hashes')
})

t.test('an optional package that is not installed is FST_PWB_MISSING_PEER, naming it and what needs it', async (t) => {
  const name = 'fastify-password-bearer-no-such-package'
  const err = await importOptionalPeer(() => import(name), name, 'someVerifier()').catch((e: unknown) => e) as Error & { code?: string }
  t.equal(err.code, 'FST_PWB_MISSING_PEER')
  t.match(err.message, `someVerifier() needs the optional package "${name}"`)
  t.match(String(err.cause), new RegExp(`Cannot find (package|module) '${name}'`), 'the import error is the cause')
})
