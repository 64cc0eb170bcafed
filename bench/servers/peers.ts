/**
 * The references and peers a scenario is compared with: the bare route, a no-op hook, @fastify/jwt
 * as a user would wire it, @fastify/bearer-auth, a hand-written HMAC check (the physical limit), and
 * a hook that only burns time (what a microsecond of work costs a request).
 */
import bearerAuth from '@fastify/bearer-auth'
import fastifyJwt from '@fastify/jwt'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { createHmac } from 'node:crypto'
import { BARE_PATH, BODY, SECRET, STATIC_KEY, tamper, type Built, TOKEN_TTL } from './common.js'

export async function bare (): Promise<Built> {
  const app = Fastify({ logger: false })
  app.get('/resource', async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: {} }
}

/** The floor of any auth hook: a preHandler that does nothing. */
export async function noopHook (): Promise<Built> {
  const app = Fastify({ logger: false })
  app.get('/resource', { preHandler: (_request, _reply, done) => { done() } }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: {} }
}

/** The peer a user would write by hand: @fastify/jwt and a preHandler that calls jwtVerify(). */
export async function fastifyJwtPeer (): Promise<Built> {
  const app = Fastify({ logger: false })
  await app.register(fastifyJwt, { secret: SECRET })
  app.decorate('authenticate', async function (request: { jwtVerify: () => Promise<unknown> }, reply: { send: (e: unknown) => void }) {
    try {
      await request.jwtVerify()
    } catch (err) {
      reply.send(err)
    }
  })
  app.get('/resource', { preHandler: (app as unknown as { authenticate: never }).authenticate }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  await app.ready()
  const token = app.jwt.sign({ sub: 'u1', scope: 'items:read' }, { expiresIn: TOKEN_TTL })
  return { app, headers: { valid: `Bearer ${token}`, 'bad-signature': `Bearer ${tamper(token)}` } }
}

export async function bearerAuthPeer (): Promise<Built> {
  const app = Fastify({ logger: false })
  // In its own context, as its README shows for protecting some routes: the bare route stays bare.
  await app.register(async (scope) => {
    await scope.register(bearerAuth, { keys: new Set([STATIC_KEY]) })
    scope.get('/resource', async () => BODY)
  })
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: { valid: `Bearer ${STATIC_KEY}` } }
}

/**
 * The physical limit of checking a token, hand-written and without a cache: split it, HMAC-SHA256
 * of header.payload compared with the signature, JSON.parse of the payload, `exp` in the future.
 * A route of the plugin's own server (servers/plugin.ts, `LIMIT_PATH`), so that the plugin and
 * this limit are compared in one process.
 */
export function limitCheck (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (checkToken(request.headers.authorization)) done()
  else reply.code(401).send({ error: 'invalid_token' })
}

function checkToken (header: string | undefined): boolean {
  const parts = header?.startsWith('Bearer ') === true ? header.slice(7).split('.') : []
  if (parts.length !== 3) return false
  const [head, payload, signature] = parts as [string, string, string]
  if (createHmac('sha256', SECRET).update(`${head}.${payload}`).digest('base64url') !== signature) return false
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: unknown }).exp
    return typeof exp === 'number' && exp > Date.now() / 1000
  } catch {
    return false
  }
}

/** Busy-waits `micros` microseconds of the wall clock. */
function spin (micros: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(micros * 1000))
  while (process.hrtime.bigint() < end);
}

/** A route whose preHandler busy-waits the `:micros` microseconds of its path (bench/work-cost.ts). */
export async function busy (): Promise<Built> {
  const app = Fastify({ logger: false })
  app.get('/busy/:micros', {
    preHandler: (request, _reply, done) => {
      spin(Number((request.params as { micros: string }).micros))
      done()
    }
  }, async () => BODY)
  app.get(BARE_PATH, async () => BODY)
  return { app, headers: {}, path: '/busy/0' }
}
