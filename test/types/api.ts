// Type tests: compiled by `npm run lint:types` (part of `npm test`). Each @ts-expect-error line fails the
// build if the error it expects goes away, so these checks cannot pass by accident.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { Cluster, Redis } from 'ioredis'
import fastifyPasswordBearer, {
  fastifyPasswordBearer as named,
  hashPassword,
  InvalidOptionError,
  RateLimitTimeoutError,
  UserStoreError,
  UserStoreTimeoutError,
  securityScheme,
  serializers,
  verifyPassword,
  type AccessTokenClaims,
  type AuthenticateHook,
  type FastifyPasswordBearerOptions,
  type PasswordBearerErrorCode,
  type PasswordBearerUser,
  type StoredUser,
  type UserStore
} from '../../lib/index.js'

// Marks values as used (noUnusedLocals, noUnusedParameters); this file is compiled, never run.
function use (..._values: unknown[]): void {}

// Apps describe their user once; request.currentUser then carries the field with no cast.
declare module '../../lib/index.js' {
  interface PasswordBearerUser { email: string }
}

const store: UserStore = {
  async findByUsername (username: string): Promise<StoredUser | null> {
    return username === 'a' ? { id: '1', username, passwordHash: null, disabled: false, scopes: ['x'] } : null
  },
  async updatePasswordHash (user: StoredUser, hash: string): Promise<void> { use(user, hash) }
}

const app = Fastify({ logger: { serializers } })
const options: FastifyPasswordBearerOptions = {
  secret: 'x'.repeat(32),
  users: store,
  scopes: { x: 'X' },
  loadUser: async (claims: AccessTokenClaims, request: FastifyRequest) => {
    use(request)
    return { id: claims.sub, username: claims.preferred_username ?? '', email: 'e@example.com' }
  }
}
await app.register(fastifyPasswordBearer, options)
await app.register(named, options)

const hook: AuthenticateHook = app.authenticate
const scoped: AuthenticateHook = app.requireScopes('x', 'y')
app.get('/me', { preHandler: [hook, scoped] }, async (request) => {
  const user: PasswordBearerUser | null = request.currentUser
  const email: string | undefined = request.currentUser?.email
  const scopes: string[] | undefined = user?.scopes
  const sub: string | undefined = request.accessToken?.sub
  if (request.accessToken !== null) {
    const required: [string, number, number, string] = [request.accessToken.iss, request.accessToken.exp, request.accessToken.iat, request.accessToken.jti]
    const scope: string | undefined = request.accessToken.scope
    const clientId: string | undefined = request.accessToken.client_id
    // @ts-expect-error scope is optional: verification does not require it
    const scopeString: string = request.accessToken.scope
    // @ts-expect-error client_id is optional
    const client: string = request.accessToken.client_id
    // @ts-expect-error preferred_username is optional
    const name: string = request.accessToken.preferred_username
    use(required, scope, clientId, scopeString, client, name)
  }
  // @ts-expect-error currentUser may be null
  use(request.currentUser.id)
  // @ts-expect-error a property the user type does not have
  use(request.currentUser?.nickname)
  return { email, scopes, sub }
})
app.get('/opt', { onRequest: app.authenticateOptional }, async (request: FastifyRequest, reply: FastifyReply) => {
  use(reply)
  return request.currentUser?.username ?? 'guest'
})

// @ts-expect-error secret is required
await app.register(fastifyPasswordBearer, { users: store })
// @ts-expect-error users is required
await app.register(fastifyPasswordBearer, { secret: 'x'.repeat(32) })
// @ts-expect-error accessTokenTtl is a number of seconds
await app.register(fastifyPasswordBearer, { ...options, accessTokenTtl: '15m' })
// The throttle shares its counters through an ioredis client, a single server or a Cluster.
await app.register(fastifyPasswordBearer, { ...options, rateLimit: { redis: new Redis(), timeout: 500 } })
await app.register(fastifyPasswordBearer, { ...options, rateLimit: { redis: new Cluster([{ host: '127.0.0.1', port: 7000 }]) } })
// @ts-expect-error rateLimit.timeout is a number of milliseconds
await app.register(fastifyPasswordBearer, { ...options, rateLimit: { timeout: '1s' } })
// @ts-expect-error requireScopes takes strings
app.requireScopes(1)

const hash: Promise<string> = hashPassword('pw', { memoryCost: 19456 })
const ok: Promise<boolean> = verifyPassword('$argon2id$...', 'pw')
use(hash, ok)
const code: PasswordBearerErrorCode = 'FST_PWB_INVALID_OPTION'
// @ts-expect-error not an error code of the package
const bad: PasswordBearerErrorCode = 'FST_NOPE'
use(code, bad)
const scheme: { type: 'oauth2' } = securityScheme({ tokenUrl: '/token' })
use(scheme)

// The error classes narrow under instanceof to their literal code and status.
function describeError (err: Error): PasswordBearerErrorCode | null {
  if (err instanceof UserStoreTimeoutError) {
    const status: 503 = err.statusCode
    use(status)
    return err.code
  }
  if (err instanceof RateLimitTimeoutError) {
    // @ts-expect-error a RateLimitTimeoutError's code is FST_PWB_RATE_LIMIT_TIMEOUT
    const other: 'FST_PWB_USER_STORE_TIMEOUT' = err.code
    use(other)
    return err.code
  }
  if (err instanceof UserStoreError) {
    // @ts-expect-error a UserStoreError's code is FST_PWB_USER_STORE
    const other: 'FST_PWB_USER_STORE_TIMEOUT' = err.code
    use(other)
    return err.code
  }
  return err instanceof InvalidOptionError ? err.code : null
}
// @ts-expect-error UserStoreTimeoutError takes the milliseconds waited, a number
use(describeError(new UserStoreTimeoutError('2 s')), new InvalidOptionError('secret', 'too short'))
