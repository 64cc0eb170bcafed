// Type tests: compiled by `npm run lint:types` (part of `npm test`). Each @ts-expect-error line fails the
// build if the error it expects goes away, so these checks cannot pass by accident.
import fastifyAuth from '@fastify/auth'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { Cluster, Redis } from 'ioredis'
import fastifyPasswordBearer, {
  createKeySet,
  fastifyPasswordBearer as named,
  bcryptVerifier,
  KeySetError,
  KeysUnavailableError,
  hashPassword,
  BearerTokenError,
  InvalidOptionError,
  MissingPeerError,
  UnknownHashError,
  RateLimitTimeoutError,
  UserStoreError,
  UserStoreTimeoutError,
  securityScheme,
  serializers,
  verifyPassword,
  type AccessTokenClaims,
  type AsymmetricAlgorithm,
  type KeyAlgorithm,
  type KeyInfo,
  type KeyInput,
  type KeySet,
  type PublicJwk,
  type RemoteKeysOptions,
  type AuthenticateHook,
  type BcryptVerifierOptions,
  type FastifyPasswordBearerOptions,
  type PassErrorHook,
  type RequireScopes,
  type ResourceErrorBody,
  type ResourceErrorCode,
  type PasswordBearerErrorCode,
  type PasswordBearerUser,
  type PasswordVerifier,
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

// Awaited in the app's own code: a promise of "may the request go on".
app.addHook('preHandler', async (request, reply) => {
  const passed: boolean = await app.authenticate(request, reply)
  if (!passed) return reply
  const scoped: Promise<boolean> = app.requireScopes('x')(request, reply)
  const optional: Promise<boolean> = app.authenticateOptional(request, reply)
  await Promise.all([scoped, optional])
  // @ts-expect-error with a done callback, a hook returns nothing to await
  const none: Promise<boolean> = app.authenticate(request, reply, () => {})
  use(none)
})
app.get('/cb', {
  onRequest: app.authenticate,
  preHandler: [app.requireScopes('x'), app.authenticateOptional.passError]
}, async () => 'ok')

// The passError form, inside @fastify/auth or awaited (it rejects with a BearerTokenError).
await app.register(fastifyAuth)
const passing: PassErrorHook = app.authenticate.passError
const requireScopes: RequireScopes = app.requireScopes
app.get('/either', {
  preHandler: app.auth([passing, requireScopes('x').passError, (request, _reply, done) => { done(request.headers['x-key'] === 'k' ? undefined : new Error('no key')) }])
}, async () => 'ok')
app.get('/both', { preHandler: app.auth([app.authenticateOptional.passError, app.requireScopes('x').passError], { relation: 'and' }) }, async () => 'ok')
app.get('/thrown', async (request, reply) => {
  const settled: void = await app.authenticate.passError(request, reply)
  // @ts-expect-error the passError form resolves to nothing: a refusal rejects
  const flag: boolean = await app.authenticate.passError(request, reply)
  use(settled, flag)
  return 'ok'
})
// @ts-expect-error passError is read-only
app.authenticate.passError = passing

// A passed-on refusal, as an app's error handler sees it.
app.setErrorHandler((err, _request, reply) => {
  if (err instanceof BearerTokenError) {
    const code: ResourceErrorCode = err.code
    const headers: Record<string, string> = err.headers
    const body: ResourceErrorBody = err.toJSON()
    const rfc6750: string = err.error
    use(code, rfc6750)
    return reply.code(err.statusCode).headers(headers).send(body)
  }
  return reply.send(err)
})

// The decorators option: names of the decorators (typed under PasswordBearerNames, see renamed/).
await app.register(fastifyPasswordBearer, { ...options, decorators: { authenticate: 'bearerAuth', currentUser: 'user' } })
// @ts-expect-error not a decorator of the plugin
await app.register(fastifyPasswordBearer, { ...options, decorators: { jwtVerify: 'x' } })
// @ts-expect-error a name is a string
await app.register(fastifyPasswordBearer, { ...options, decorators: { authenticate: 1 } })

// Asymmetric keys in a set the app rotates at run time; a verify-only service with the issuer's keys.
const keySet: KeySet = createKeySet([{ privateKey: '-----BEGIN PRIVATE KEY-----...', kid: 'k1' }, { publicKey: { kty: 'OKP', crv: 'Ed25519', x: '...' } }])
const current: KeyInfo | undefined = keySet.current
const added: KeyInfo = keySet.rotate({ privateKey: Buffer.from('...'), alg: 'ES256' })
keySet.remove('k1')
const published: PublicJwk[] = keySet.jwks().keys
const input: KeyInput = { secret: 'x'.repeat(32) }
const algorithm: KeyAlgorithm = 'HS256'
const asymmetric: AsymmetricAlgorithm = 'EdDSA'
use(current, added, published, input, algorithm, asymmetric)
await app.register(fastifyPasswordBearer, { keys: keySet, users: store, issuer: 'https://auth.example.com' })
await app.register(fastifyPasswordBearer, { keys: [{ privateKey: 'pem' }], secret: 'x'.repeat(32), users: store })
const remote: RemoteKeysOptions = { jwksUri: 'https://auth.example.com/.well-known/jwks.json', cooldown: 30_000 }
await app.register(fastifyPasswordBearer, { remoteKeys: remote, issuer: 'https://auth.example.com', resource: 'https://api.example.com' })
// @ts-expect-error an algorithm the package does not sign with
createKeySet([{ privateKey: 'pem', alg: 'PS256' }])
// @ts-expect-error a key is a private key, a public key or a secret
createKeySet([{ certificate: 'pem' }])
// @ts-expect-error remoteKeys.timeout is in milliseconds
await app.register(fastifyPasswordBearer, { remoteKeys: { timeout: '5s' }, issuer: 'https://a.example', resource: 'https://r.example' })
const keysCode: PasswordBearerErrorCode = new KeysUnavailableError('https://a.example', 'down').code
const setError: 'FST_PWB_KEY_SET' = new KeySetError('no such kid').code
use(keysCode, setError)
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

// Legacy hashes: the ready-made bcrypt verifier and one of the app's own, in legacyVerifiers.
const bcryptOptions: BcryptVerifierOptions = { rounds: 12 }
const ownVerifier: PasswordVerifier = {
  name: 'scrypt',
  recognizes: (stored: string) => stored.startsWith('$scrypt$'),
  verify: async (stored: string, password: string): Promise<boolean> => stored.length > password.length,
  dummyHash: () => '$scrypt$dummy'
}
const legacyVerifiers: PasswordVerifier[] = [bcryptVerifier(bcryptOptions), bcryptVerifier(), ownVerifier]
await app.register(fastifyPasswordBearer, { ...options, legacyVerifiers })
// @ts-expect-error legacyVerifiers is an array
await app.register(fastifyPasswordBearer, { ...options, legacyVerifiers: bcryptVerifier() })
// @ts-expect-error a verifier makes its dummy hash
const incomplete: PasswordVerifier = { name: 'x', recognizes: () => true, verify: () => true }
// @ts-expect-error the bcrypt cost is a number
bcryptVerifier({ rounds: '12' })
use(incomplete)
const legacyCodes: PasswordBearerErrorCode[] = ['FST_PWB_UNKNOWN_HASH', 'FST_PWB_VERIFIER', 'FST_PWB_MISSING_PEER']
use(legacyCodes)
function legacyFault (err: Error): string | null {
  if (err instanceof UnknownHashError) {
    const status: 500 = err.statusCode
    const code: 'FST_PWB_UNKNOWN_HASH' = err.code
    use(status)
    return code
  }
  // @ts-expect-error a MissingPeerError's code is FST_PWB_MISSING_PEER
  if (err instanceof MissingPeerError) { const other: 'FST_PWB_VERIFIER' = err.code; use(other) }
  return null
}
// @ts-expect-error UnknownHashError takes the user id and the formats tried
use(legacyFault(new UnknownHashError('u1')))
