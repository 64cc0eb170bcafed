/**
 * The references and peers a scenario is compared with: the bare route, a no-op hook, @fastify/jwt
 * as a user would wire it, @fastify/bearer-auth, a hand-written HMAC check (the physical limit), and
 * a hook that only burns time (what a microsecond of work costs a request).
 */
import bearerAuth from '@fastify/bearer-auth'
import fastifyJwt from '@fastify/jwt'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { handWrittenCheck } from '../hand-written-check.js'
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
 * The hand-written check (../hand-written-check.ts) as a preHandler: a route of the plugin's own
 * server (servers/plugin.ts, `LIMIT_PATH`), so that the plugin and this limit are compared in one
 * process.
 */
export function limitCheck (request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ') === true && handWrittenCheck(SECRET, header.slice(7))) done()
  else reply.code(401).send({ error: 'invalid_token' })
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
