// The remote key set on its own (lib/access-token/remote-keys.ts) against a stand-in issuer that
// answers what each test wants: what it keeps of a JWKS, what it refuses, its time limit, its
// cooldowns, and that a failed fetch keeps the keys it had.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import t from 'tap'
import { thumbprint } from '../lib/access-token/keys.js'
import { RemoteKeys, type ResolvedRemoteKeys } from '../lib/access-token/remote-keys.js'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let handler: Handler = (_req, res) => { res.end('{}') }
let requests = 0
const server = createServer((req, res) => { requests++; handler(req, res) })
let base = ''

t.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  base = `http://127.0.0.1:${address.port}`
})
t.teardown(() => {
  server.closeAllConnections()
  server.close()
})

const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })

/** A log that keeps [level, fields] of every line. */
function recorder (): { log: FastifyBaseLogger, lines: Array<[string, Record<string, unknown>]> } {
  const lines: Array<[string, Record<string, unknown>]> = []
  const at = (level: string) => (fields: Record<string, unknown>) => { lines.push([level, fields]) }
  const log = { warn: at('warn'), error: at('error'), debug: at('debug'), info: at('info') } as unknown as FastifyBaseLogger
  return { log, lines }
}

function keysAt (path: string, options: Partial<ResolvedRemoteKeys> = {}): RemoteKeys {
  return new RemoteKeys({ jwksUri: `${base}${path}`, metadataUrl: undefined, issuer: 'https://issuer.example', timeout: 500, cooldown: 60_000, refreshInterval: 3_600_000, ...options })
}

function json (value: unknown, status = 200): Handler {
  return (_req, res) => { res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value)) }
}

t.test('keys are read by kid, pinned to their algorithm; unusable ones are left out and logged', async (t) => {
  handler = json({
    keys: [
      { ...ed, kid: 'ed', alg: 'EdDSA', use: 'sig' },
      { ...ec, kid: 'ec', key_ops: ['verify'] },
      { ...ed, kid: 'enc', use: 'enc' },
      { ...ed, kid: 'ops', key_ops: ['encrypt'] },
      { ...ed, kid: 'wrong-alg', alg: 'ES256' },
      { ...ed, kid: 'hs', alg: 'HS256' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'oct' },
      { ...ed },
      { ...ed, kid: 'twice' },
      { ...ec, kid: 'twice' },
      'not a key',
      { ...ed, kid: 'private', d: 'AAAA' }
    ]
  })
  const keys = keysAt('/jwks')
  const { log, lines } = recorder()
  await keys.refresh()
  t.ok(keys.hasKeys)
  t.equal(keys.byKid('ed')?.alg, 'EdDSA')
  t.equal(keys.byKid('ec')?.alg, 'ES256', 'alg from the key type when the JWK has none')
  t.equal(keys.byKid('private')?.alg, 'EdDSA', 'a private member is ignored, the public key kept')
  t.equal(keys.byKid(thumbprint(createPublicKey({ key: ed, format: 'jwk' })))?.alg, 'EdDSA', 'a key without kid is known by its RFC 7638 thumbprint')
  for (const kid of ['enc', 'ops', 'wrong-alg', 'hs', 'oct', 'twice']) t.equal(keys.byKid(kid), undefined, `${kid} left out`)
  t.equal(keys.byHeader(keys.byKid('ed')?.header as string), keys.byKid('ed'))
  t.same(keys.withoutKid(), [])
  keys.start(log)
  await keys.refresh()
  keys.close()
  t.match(lines.find(([level]) => level === 'warn'), ['warn', { event: 'jwks', skipped: ['use enc', 'key_ops without verify', /^alg /, 'alg HS256', 'kty oct', 'kid twice twice', 'not an object'] }])
})

t.test('what the issuer may send that gives no key: each failure is logged with its code, nothing is kept', async (t) => {
  const cases: Array<[string, Handler, RegExp]> = [
    ['a 404', json({ keys: [] }, 404), /answered 404/],
    ['a redirect', (_req, res) => { res.writeHead(302, { location: `${base}/elsewhere` }).end() }, /fetch failed|redirect/],
    ['not JSON', (_req, res) => { res.end('<html>') }, /JSON|Unexpected/],
    ['JSON without keys', json({ key: [] }), /no "keys" array/],
    ['an empty set', json({ keys: [] }), /no usable key \(it is empty\)/],
    ['only unusable keys', json({ keys: [{ kty: 'oct', k: 'AA', kid: 'x' }] }), /no usable key \(kty oct\)/],
    ['more than 1 MiB', (_req, res) => { res.end(JSON.stringify({ keys: [], pad: 'x'.repeat(1_100_000) })) }, /more than 1048576 bytes/],
    ['no answer in time', () => {}, /no answer within 500 ms/]
  ]
  for (const [name, answer, reason] of cases) {
    handler = answer
    const keys = keysAt('/jwks')
    const { log, lines } = recorder()
    keys.start(log)
    await keys.refresh()
    keys.close()
    t.notOk(keys.hasKeys, `${name}: no keys`)
    t.match(lines.find(([level]) => level === 'error'), ['error', { event: 'jwks', code: 'FST_PWB_KEYS_UNAVAILABLE', err: { message: reason } }], name)
  }
})

t.test('keys found through RFC 8414 metadata, whose issuer must be ours', async (t) => {
  let jwksUri = ''
  handler = (req, res) => {
    if (req.url === '/meta') json({ issuer: 'https://issuer.example', jwks_uri: jwksUri })(req, res)
    else json({ keys: [{ ...ed, kid: 'ed' }] })(req, res)
  }
  jwksUri = `${base}/keys`
  const options = { jwksUri: undefined, metadataUrl: `${base}/meta` }
  const keys = keysAt('', options)
  await keys.refresh()
  t.ok(keys.byKid('ed'))
  t.equal(keys.source, `${base}/keys`)

  for (const [name, metadata, reason] of [
    ['another issuer', { issuer: 'https://evil.example', jwks_uri: `${base}/keys` }, /names the issuer "https:\/\/evil.example"/],
    ['no jwks_uri', { issuer: 'https://issuer.example' }, /no http\(s\) jwks_uri/],
    ['a jwks_uri of another scheme', { issuer: 'https://issuer.example', jwks_uri: 'file:///etc/passwd' }, /no http\(s\) jwks_uri/]
  ] as const) {
    handler = json(metadata)
    const other = keysAt('', options)
    const { log, lines } = recorder()
    other.start(log)
    await other.refresh()
    other.close()
    t.notOk(other.hasKeys, name)
    t.match(lines.find(([level]) => level === 'error')?.[1], { err: { message: reason } }, name)
    t.equal(other.source, `${base}/meta`, `${name}: the metadata is read again next time`)
  }
})

t.test('cooldowns: unknown kids fetch at most once per cooldown; without keys, failures are not retried within it', async (t) => {
  let now = 0
  handler = json({ keys: [{ ...ed, kid: 'ed' }] })
  const keys = new RemoteKeys({ jwksUri: `${base}/jwks`, metadataUrl: undefined, issuer: 'i', timeout: 500, cooldown: 1000, refreshInterval: 3_600_000 }, () => now)
  await keys.refresh()
  const before = requests
  const first = keys.awaitKey()
  t.type(first, Promise, 'an unknown kid may fetch')
  t.equal(keys.awaitKey(), first, 'a second one waits for the same fetch')
  await first
  t.equal(keys.awaitKey(), 'refuse', 'then refused within the cooldown')
  now = 1000
  await keys.awaitKey()
  t.equal(requests - before, 2, 'one fetch per cooldown')

  handler = json({}, 500)
  const none = new RemoteKeys({ jwksUri: `${base}/jwks`, metadataUrl: undefined, issuer: 'i', timeout: 500, cooldown: 1000, refreshInterval: 3_600_000 }, () => now)
  await none.refresh()
  t.equal(none.awaitKey(), 'unavailable', 'no keys, and the last failure within the cooldown')
  now = 2500
  t.type(none.awaitKey(), Promise, 'after it, a new try')
})

t.test('a kid that disappears, or comes back naming another key, counts as removed', async (t) => {
  let removals = 0
  handler = json({ keys: [{ ...ed, kid: 'a' }, { ...ec, kid: 'b' }] })
  const keys = keysAt('/jwks')
  keys.onRemoved(() => { removals++ })
  await keys.refresh()
  await keys.refresh()
  t.equal(removals, 0, 'the same keys again')
  handler = json({ keys: [{ ...ed, kid: 'a' }, { ...ed, kid: 'b' }] })
  await keys.refresh()
  t.equal(removals, 1, 'b names another key')
  handler = json({ keys: [{ ...ed, kid: 'a' }] })
  await keys.refresh()
  t.equal(removals, 2, 'b is gone')
  t.equal(keys.byKid('b'), undefined)
})

t.test('close() stops a fetch under way without logging it as a failure', async (t) => {
  handler = () => {}
  const keys = keysAt('/slow', { timeout: 10_000 })
  const { log, lines } = recorder()
  keys.start(log)
  const pending = keys.refresh()
  keys.close()
  await pending
  t.same(lines.filter(([level]) => level === 'error' || level === 'warn'), [])
})
