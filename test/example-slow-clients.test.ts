/**
 * Slow clients against the example server (examples/server.ts in a child process, raw sockets on
 * 127.0.0.1): a body or headers trickled in byte by byte, a silent connection and an idle kept-alive
 * one are closed within their time limit plus Node's connection-checking interval, and connections
 * beyond the cap are closed while the open ones keep working. The limits come from the environment
 * (examples/config.ts), short here so that the test is quick.
 */
import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { build } from '../examples/app.js'
import { DEFAULT_SERVER_LIMITS, serverLimitsFromEnv } from '../examples/config.js'
import { startExampleProcess } from './helpers/example-server.js'

const HEADERS_TIMEOUT = 1_000
const REQUEST_TIMEOUT = 2_000
const KEEP_ALIVE_TIMEOUT = 1_000
const CHECK_INTERVAL = 250
/** Allowed beyond a limit: the checking interval, then scheduling on a busy machine. */
const MARGIN = 1_500

interface Held {
  /** Milliseconds from connecting until the server closed the connection; null if still open at the bound. */
  closedAfter: number | null
  /** What the server sent, as latin1. */
  received: string
  /** How many bytes of `trickle` were sent. */
  sent: number
}

/**
 * Connects, sends `head` at once and then `trickle` one byte every `everyMs`, and waits until the
 * server closes the connection, or `boundMs` pass (the client then closes it).
 */
function holdOpen (port: number, head: string, trickle: string, everyMs: number, boundMs: number): Promise<Held> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = connect({ host: '127.0.0.1', port })
    let received = ''
    let sent = 0
    let done = false
    let ticker: NodeJS.Timeout | undefined
    const finish = (closedAfter: number | null): void => {
      if (done) return
      done = true
      clearInterval(ticker)
      clearTimeout(bound)
      socket.destroy()
      resolve({ closedAfter, received, sent })
    }
    const bound = setTimeout(() => finish(null), boundMs)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => { received += chunk })
    socket.on('error', () => {}) // a reset once the server has closed: 'close' follows
    socket.once('end', () => finish(performance.now() - started))
    socket.once('close', () => finish(performance.now() - started))
    socket.once('connect', () => {
      if (head !== '') socket.write(head)
      ticker = setInterval(() => {
        if (sent < trickle.length && socket.writable) socket.write(trickle[sent++] ?? '')
      }, everyMs)
    })
  })
}

/** Sends one request on an open keep-alive socket and resolves with its response (head and body). */
function exchange (socket: Socket, request: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = ''
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
    }
    const timer = setTimeout(() => { cleanup(); reject(new Error('no complete response in time')) }, timeoutMs)
    const onClose = (): void => { cleanup(); reject(new Error(`closed before a complete response: ${JSON.stringify(received)}`)) }
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1')
      const split = received.indexOf('\r\n\r\n')
      if (split === -1) return
      const length = /\r\ncontent-length: *([0-9]+)/i.exec(received.slice(0, split))
      if (length === null || received.length - split - 4 < Number(length[1])) return
      cleanup()
      resolve(received)
    }
    socket.on('data', onData)
    socket.on('close', onClose)
    socket.write(request)
  })
}

function open (port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.off('error', reject); resolve(socket) })
    socket.once('error', reject)
  })
}

const hello = 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n'

t.test('the limits: defaults, environment variables, and values refused', async (t) => {
  t.same(serverLimitsFromEnv({}), {
    headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000, maxConnections: 1_000
  })
  t.same(serverLimitsFromEnv({}), DEFAULT_SERVER_LIMITS)
  t.same(serverLimitsFromEnv({
    HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: '3000', CONNECTIONS_CHECKING_INTERVAL_MS: '250', MAX_CONNECTIONS: '4'
  }), { headersTimeout: 1_000, requestTimeout: 2_000, keepAliveTimeout: 3_000, connectionsCheckingInterval: 250, maxConnections: 4 })
  t.equal(serverLimitsFromEnv({ MAX_CONNECTIONS: '' }).maxConnections, 1_000, 'empty means unset')
  for (const value of ['0', '-1', '1.5', '1e3', '0x10', ' 5', '5 ', '+5', 'ten', '2147483648']) {
    t.throws(() => serverLimitsFromEnv({ REQUEST_TIMEOUT_MS: value }), { message: `REQUEST_TIMEOUT_MS must be an integer from 1 to 2147483647, got ${JSON.stringify(value)}` })
  }
  t.throws(() => serverLimitsFromEnv({ HEADERS_TIMEOUT_MS: '40000' }), { message: 'HEADERS_TIMEOUT_MS (40000) must not be more than REQUEST_TIMEOUT_MS (30000)' })

  const app = await build({ dbPath: ':memory:', env: { HEADERS_TIMEOUT_MS: '1000', REQUEST_TIMEOUT_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: '3000', CONNECTIONS_CHECKING_INTERVAL_MS: '250', MAX_CONNECTIONS: '4' } })
  t.teardown(() => app.close())
  const server = app.server as typeof app.server & { connectionsCheckingInterval?: number }
  t.same({
    headersTimeout: server.headersTimeout,
    requestTimeout: server.requestTimeout,
    keepAliveTimeout: server.keepAliveTimeout,
    connectionsCheckingInterval: server.connectionsCheckingInterval,
    maxConnections: server.maxConnections
  }, { headersTimeout: 1_000, requestTimeout: 2_000, keepAliveTimeout: 3_000, connectionsCheckingInterval: 250, maxConnections: 4 }, 'set on the HTTP server')
  await t.rejects(build({ dbPath: ':memory:', env: { MAX_CONNECTIONS: '0' } }), { message: /^MAX_CONNECTIONS must be an integer/ })
})

t.test('slow clients are cut off at their time limit', async (t) => {
  const server = await startExampleProcess({
    HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT),
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT),
    KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT),
    CONNECTIONS_CHECKING_INTERVAL_MS: String(CHECK_INTERVAL)
  })
  t.teardown(() => server.stop())

  await t.test('a token request whose 4,000-byte body comes one byte every 300 ms: 408 at the request timeout', async (t) => {
    const head = 'POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4000\r\n\r\n'
    const held = await holdOpen(server.port, head, 'a'.repeat(4000), 300, 4 * REQUEST_TIMEOUT)
    t.comment(`slow body: closed after ${held.closedAfter === null ? 'no close' : `${Math.round(held.closedAfter)} ms`}, ${held.sent} body bytes sent`)
    t.not(held.closedAfter, null, `the server closed the connection before ${4 * REQUEST_TIMEOUT} ms`)
    t.ok((held.closedAfter ?? Infinity) < REQUEST_TIMEOUT + MARGIN, `closed within ${REQUEST_TIMEOUT} + ${MARGIN} ms`)
    t.ok((held.closedAfter ?? 0) >= REQUEST_TIMEOUT - 50, 'not before the request timeout')
    t.match(held.received, /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout')
    t.ok(held.sent < 20, 'far before the body would have been complete')
  })

  await t.test('a request line, then headers one byte every 100 ms: 408 at the headers timeout', async (t) => {
    const trickle = 'Host: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200)
    const held = await holdOpen(server.port, 'POST /token HTTP/1.1\r\n', trickle, 100, 4 * REQUEST_TIMEOUT)
    t.comment(`slow headers: closed after ${held.closedAfter === null ? 'no close' : `${Math.round(held.closedAfter)} ms`}, ${held.sent} bytes sent`)
    t.not(held.closedAfter, null, `the server closed the connection before ${4 * REQUEST_TIMEOUT} ms`)
    t.ok((held.closedAfter ?? Infinity) < HEADERS_TIMEOUT + MARGIN, `closed within ${HEADERS_TIMEOUT} + ${MARGIN} ms`)
    t.ok((held.closedAfter ?? 0) >= HEADERS_TIMEOUT - 50, 'not before the headers timeout')
    t.match(held.received, /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout')
  })

  await t.test('a connection that sends nothing is closed at the headers timeout', async (t) => {
    const held = await holdOpen(server.port, '', '', 1_000, 4 * REQUEST_TIMEOUT)
    t.comment(`silent connection: closed after ${held.closedAfter === null ? 'no close' : `${Math.round(held.closedAfter)} ms`}`)
    t.not(held.closedAfter, null, `the server closed the connection before ${4 * REQUEST_TIMEOUT} ms`)
    t.ok((held.closedAfter ?? Infinity) < HEADERS_TIMEOUT + MARGIN, `closed within ${HEADERS_TIMEOUT} + ${MARGIN} ms`)
  })

  await t.test('an idle kept-alive connection is closed at the keep-alive timeout', async (t) => {
    const socket = await open(server.port)
    t.teardown(() => socket.destroy())
    socket.on('error', () => {})
    const response = await exchange(socket, hello)
    const answered = performance.now()
    t.match(response, /^HTTP\/1\.1 200 /)
    t.match(response, /\r\nkeep-alive: timeout=1\r\n/i, 'the client is told the keep-alive timeout')
    const closed = await new Promise<number | null>((resolve) => {
      const bound = setTimeout(() => resolve(null), 4 * REQUEST_TIMEOUT)
      socket.once('close', () => { clearTimeout(bound); resolve(performance.now() - answered) })
    })
    t.comment(`idle keep-alive: closed ${closed === null ? 'never' : `${Math.round(closed)} ms`} after the response`)
    // Node closes 1 s after the timeout it advertises, so that a client about to reuse the
    // connection does not meet a close it could not expect.
    t.ok(closed !== null && closed >= KEEP_ALIVE_TIMEOUT - 50, 'not before the keep-alive timeout')
    t.ok(closed !== null && closed < KEEP_ALIVE_TIMEOUT + 1_000 + MARGIN, `closed within ${KEEP_ALIVE_TIMEOUT} + 1000 + ${MARGIN} ms`)
  })
})

t.test('connections beyond the cap are closed; the open ones keep working', async (t) => {
  const CAP = 4
  const server = await startExampleProcess({ MAX_CONNECTIONS: String(CAP), KEEP_ALIVE_TIMEOUT_MS: '30000' })
  t.teardown(() => server.stop())

  const first: Socket[] = []
  t.teardown(() => { for (const socket of first) socket.destroy() })
  for (let i = 0; i < CAP; i++) {
    const socket = await open(server.port)
    socket.on('error', () => {})
    first.push(socket)
    t.match(await exchange(socket, hello), /^HTTP\/1\.1 200 /, `connection ${i + 1} of ${CAP} is served`)
  }

  const extra = await Promise.all([0, 1, 2].map(() => holdOpen(server.port, hello, '', 1_000, 3_000)))
  for (const [i, held] of extra.entries()) {
    t.comment(`extra connection ${i + 1}: closed after ${held.closedAfter === null ? 'no close' : `${Math.round(held.closedAfter)} ms`}`)
    t.not(held.closedAfter, null, `extra connection ${i + 1} is closed by the server`)
    t.equal(held.received, '', `extra connection ${i + 1} gets no answer`)
  }

  for (const [i, socket] of first.entries()) {
    t.match(await exchange(socket, hello), /^HTTP\/1\.1 200 /, `connection ${i + 1} still works`)
  }

  // A freed place is taken again: the cap bounds connections, it does not lock anyone out.
  first.shift()?.destroy()
  let again: string | undefined
  for (let attempt = 0; again === undefined && attempt < 20; attempt++) {
    const socket = await open(server.port)
    socket.on('error', () => {})
    first.push(socket)
    again = await exchange(socket, hello, 1_000).catch(() => undefined)
    if (again === undefined) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.match(again, /^HTTP\/1\.1 200 /, 'a new connection is served once one has closed')
  t.equal(server.output().match(/connection cap reached: new connections are closed/g)?.length, 1, 'the server warned, once')
})
