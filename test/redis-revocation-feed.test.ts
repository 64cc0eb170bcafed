// The Redis token store's revocation feed over a fake subscriber connection (no Redis needed):
// which messages reach the listeners, reloads after (re)connecting and after failures, the logs.
import { EventEmitter } from 'node:events'
import t from 'tap'
import { parseMessage, RevocationFeed, type SubscriberConnection } from '../lib/stores/redis-revocation-feed.js'
import type { Revocation } from '../lib/stores/token-store.js'

class FakeConnection extends EventEmitter implements SubscriberConnection {
  disconnected = false
  subscribeFails = false
  async subscribe (): Promise<unknown> {
    if (this.subscribeFails) throw new Error('subscribe failed')
    return 1
  }

  disconnect (): void { this.disconnected = true }
}

const HOUR = 3_600_000

function feed (load: () => Promise<Revocation[]>, resyncInterval = 60_000) {
  const connections: FakeConnection[] = []
  const logs: Array<Record<string, unknown>> = []
  const logger = {
    info: (fields: object) => { logs.push({ level: 'info', ...fields }) },
    warn: (fields: object) => { logs.push({ level: 'warn', ...fields }) }
  }
  const subject = new RevocationFeed({
    channel: 'ch',
    origin: 'me',
    connect: () => { const c = new FakeConnection(); connections.push(c); return c },
    load,
    resyncInterval,
    logger
  })
  return { feed: subject, connections, logs }
}

const tick = (ms = 10) => new Promise((resolve) => setTimeout(resolve, ms))

t.test('parseMessage reads the two message kinds and nothing else', async (t) => {
  t.same(parseMessage('["a","j1","1000","o"]'), { revocation: { type: 'access-token', jti: 'j1', expiresAt: 1000 }, origin: 'o' })
  t.same(parseMessage('["u","s1","5","9","o"]'), { revocation: { type: 'user', subject: 's1', notBefore: 5, expiresAt: 9 }, origin: 'o' })
  for (const bad of ['', 'not json', '{}', '[1,2,3,4]', '["a","j"]', '["u","s","1","2"]', '["x","j","1","o"]', 'null']) {
    t.equal(parseMessage(bad), undefined, JSON.stringify(bad))
  }
})

t.test('messages on the channel reach the listeners once; its own, other channels and garbage do not', async (t) => {
  const { feed: f, connections } = feed(async () => [])
  const heard: Revocation[] = []
  const stop = f.listen((r) => heard.push(r))
  const connection = connections[0] as FakeConnection
  const at = Date.now() + HOUR
  connection.emit('message', 'ch', JSON.stringify(['a', 'j1', String(at), 'other']))
  connection.emit('message', 'ch', JSON.stringify(['a', 'j1', String(at), 'other']))
  connection.emit('message', 'ch', JSON.stringify(['a', 'j2', String(at), 'me']))
  connection.emit('message', 'elsewhere', JSON.stringify(['a', 'j3', String(at), 'other']))
  connection.emit('message', 'ch', 'garbage')
  connection.emit('message', 'ch', JSON.stringify(['a', 'j4', String(Date.now() - 1), 'other']))
  t.same(heard, [{ type: 'access-token', jti: 'j1', expiresAt: at }], 'one delivery of j1; nothing else')
  connection.emit('message', 'ch', JSON.stringify(['a', 'j1', String(at + 1), 'other']))
  t.equal(heard.length, 2, 'a later end is news')
  stop()
  t.ok(connection.disconnected, 'the last listener to stop closes the connection')
})

t.test('after (re)connecting it reloads the list; a failed reload is tried again and the outage logged once', async (t) => {
  let fail = true
  let loads = 0
  const at = Date.now() + HOUR
  const { feed: f, connections, logs } = feed(async () => {
    loads++
    if (fail) throw new Error('down')
    return [{ type: 'user', subject: 'u1', notBefore: 1, expiresAt: at }]
  })
  const heard: Revocation[] = []
  f.listen((r) => heard.push(r))
  const connection = connections[0] as FakeConnection
  connection.emit('error', new Error('ECONNREFUSED'))
  connection.emit('close')
  t.match(logs, [{ level: 'warn', event: 'token_store', outcome: 'disconnected' }], 'logged once')
  connection.emit('ready')
  await tick()
  t.equal(loads, 1, 'reloads once subscribed')
  t.same(heard, [])
  fail = false
  await tick(1100)
  t.equal(loads, 2, 'tried again a second later')
  t.same(heard, [{ type: 'user', subject: 'u1', notBefore: 1, expiresAt: at }])
  t.match(logs[logs.length - 1], { level: 'info', outcome: 'recovered', revocations: 1 })
  f.close()
})

t.test('a listener that throws on a revocation from elsewhere is logged, and the others still hear it', async (t) => {
  const { feed: f, connections, logs } = feed(async () => [])
  const heard: Revocation[] = []
  f.listen(() => { throw new Error('listener bug') })
  f.listen((r) => heard.push(r))
  ;(connections[0] as FakeConnection).emit('message', 'ch', JSON.stringify(['a', 'j1', String(Date.now() + HOUR), 'other']))
  t.equal(heard.length, 1)
  t.match(logs, [{ level: 'warn', outcome: 'listener_failed' }])
  t.throws(() => f.recorded({ type: 'access-token', jti: 'j2', expiresAt: Date.now() + HOUR }), /listener bug/, 'its own revocation: the error reaches the caller')
  t.equal(heard.length, 2, 'after the others heard it')
  f.close()
})

t.test('a failed subscription is an outage; a resync on the interval keeps the list current', async (t) => {
  let loads = 0
  const { feed: f, connections, logs } = feed(async () => { loads++; return [] }, 100)
  f.listen(() => {})
  const connection = connections[0] as FakeConnection
  connection.subscribeFails = true
  connection.emit('ready')
  await tick()
  t.match(logs, [{ outcome: 'disconnected', reason: 'subscribing failed' }])
  await tick(250)
  t.ok(loads >= 2, `reloaded on the interval (${loads})`)
  f.close()
})
