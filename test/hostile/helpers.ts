// Helpers of the hostile-input suite: a listening app, raw HTTP requests, forged tokens, log capture.
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { createHmac, randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { Writable } from 'node:stream'
import type { Test } from 'tap'
import type { FastifyPasswordBearerOptions } from '../../lib/index.js'
import { buildApp, SECRET } from '../support.js'

export interface Listening {
  app: FastifyInstance
  base: string
  port: number
  /** Every log line written so far, raw. */
  logs: string[]
}

/** Starts the test app on 127.0.0.1 on a free port, logging at trace level into `logs`. */
export async function listen (
  t: Test,
  options: Partial<FastifyPasswordBearerOptions> = {},
  configure?: (app: FastifyInstance) => void | Promise<void>,
  server: FastifyServerOptions = {}
): Promise<Listening> {
  const logs: string[] = []
  const stream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const { app } = await buildApp({ rateLimit: false, ...options }, configure, { logger: { level: 'trace', stream }, ...server })
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { app, base: `http://127.0.0.1:${address.port}`, port: address.port, logs }
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** The whole response as received. */
  raw: string
}

/** Sends bytes exactly as given (no client normalisation) and reads the response until close. */
export function rawRequest (port: number, request: string | Buffer, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('raw request timed out')) }, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', (err) => { clearTimeout(timer); reject(err) })
    socket.on('close', () => {
      clearTimeout(timer)
      const raw = Buffer.concat(chunks).toString('latin1')
      const split = raw.indexOf('\r\n\r\n')
      const head = split === -1 ? raw : raw.slice(0, split)
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      let body = split === -1 ? '' : raw.slice(split + 4)
      if (headers['transfer-encoding'] === 'chunked') body = unchunk(body)
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, raw })
    })
    // write, not end: a half-closed socket lets the server drop a response still being computed
    socket.write(request)
  })
}

function unchunk (body: string): string {
  let out = ''
  let rest = body
  for (;;) {
    const eol = rest.indexOf('\r\n')
    if (eol === -1) return out
    const size = parseInt(rest.slice(0, eol), 16)
    if (!(size > 0)) return out
    out += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 4 + size)
  }
}

/** A raw HTTP/1.1 request with `Connection: close`. */
export function httpRequest (method: string, path: string, headers: string[] = [], body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers]
  if (body !== '' || method === 'POST') lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  return lines.join('\r\n') + '\r\n\r\n' + body
}

export const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url')

/** Standard claims of a token this app would issue, valid for 10 minutes. */
export function goodClaims (extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: 'fastify-password-bearer',
    aud: 'fastify-password-bearer',
    sub: 'u-alice',
    iat: now,
    exp: now + 600,
    jti: randomBytes(16).toString('base64url'),
    client_id: 'fastify-password-bearer',
    scope: 'items:read items:write',
    preferred_username: 'alice',
    ...extra
  }
}

const HMAC: Record<string, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }

/**
 * Builds a JWS compact token from a header and payload (objects are JSON-encoded; strings are used
 * as the raw JSON text). `sign` is the HMAC algorithm and key, or a literal signature segment.
 */
export function forge (
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string,
  sign: { alg: 'HS256' | 'HS384' | 'HS512', key: string | Buffer } | { signature: string } = { alg: 'HS256', key: SECRET }
): string {
  const h = b64url(typeof header === 'string' ? header : JSON.stringify(header))
  const p = b64url(typeof payload === 'string' ? payload : JSON.stringify(payload))
  const input = `${h}.${p}`
  if ('signature' in sign) return `${input}.${sign.signature}`
  return `${input}.${createHmac(HMAC[sign.alg] as string, sign.key).update(input).digest('base64url')}`
}

/** A correctly signed token with our header. */
export function goodToken (extra: Record<string, unknown> = {}): string {
  return forge({ alg: 'HS256', typ: 'at+jwt' }, goodClaims(extra))
}

/** Asserts that no log line contains any of the given secrets. */
export function assertLogsClean (t: Test, logs: string[], secrets: string[]): void {
  for (const secret of secrets) {
    const hit = logs.find((line) => line.includes(secret))
    t.notOk(hit, `no log line contains ${JSON.stringify(secret.slice(0, 12))}…` + (hit !== undefined ? `: ${hit}` : ''))
  }
}

export const FORM_HEADER = 'Content-Type: application/x-www-form-urlencoded'
