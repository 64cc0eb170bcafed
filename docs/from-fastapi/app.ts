// FastAPI's OAuth2 tutorial (password flow, scopes, Swagger UI), piece by piece, in Fastify.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyPasswordBearer, { hashPassword, type StoredUser } from '../../lib/index.js'

// #region users
// fake_users_db, with argon2id hashes (pwdlib's default) made by hashPassword
const users = new Map<string, StoredUser>([
  ['johndoe', { id: '1', username: 'johndoe', passwordHash: await hashPassword('secret'), scopes: ['me', 'items'] }],
  ['alice', { id: '2', username: 'alice', passwordHash: await hashPassword('secret2'), scopes: ['me'], disabled: true }]
])
// #endregion users

export async function buildApp (secret: string): Promise<FastifyInstance> {
  const app = Fastify()
  // #region docs
  // /docs with a working Authorize button: register @fastify/swagger before the plugin
  await app.register(swagger, { openapi: { info: { title: 'FastAPI-style API', version: '1.0.0' } } })
  // #endregion docs

  // #region bearer
  // oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token", scopes={...}) and the login route in one:
  // POST /token reads the OAuth2PasswordRequestForm fields and answers { access_token, token_type }
  await app.register(fastifyPasswordBearer, {
    secret, // SECRET_KEY
    users: { findByUsername: (username) => users.get(username) ?? null }, // get_user(db, username)
    tokenUrl: '/token',
    accessTokenTtl: 30 * 60, // ACCESS_TOKEN_EXPIRE_MINUTES = 30
    scopes: { me: 'Read information about the current user.', items: 'Read items.' }
  })
  // #endregion bearer
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // #region current-user
  // async def read_users_me(current_user: Annotated[User, Depends(get_current_active_user)])
  app.get('/users/me', { onRequest: app.authenticate }, async (request) => request.currentUser)
  // #endregion current-user

  // #region scopes
  // Security(get_current_active_user, scopes=["items"]); SecurityScopes is what the route requires,
  // request.accessToken.scope what the token holds
  app.get('/users/me/items', { onRequest: app.requireScopes('items') }, async (request) => [
    { item_id: 'Foo', owner: request.currentUser!.username, granted: request.accessToken!.scope }
  ])
  // #endregion scopes

  // #region optional
  // OAuth2PasswordBearer(tokenUrl="token", auto_error=False): no token means a guest
  app.get('/greeting', { onRequest: app.authenticateOptional }, async (request) => ({
    message: `Hello ${request.currentUser?.username ?? 'guest'}`
  }))
  // #endregion optional
  return app
}
