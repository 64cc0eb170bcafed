import { fastifyPasswordBearer } from './plugin.js'

export default fastifyPasswordBearer
export { fastifyPasswordBearer }
export { hashPassword, verifyPassword, needsRehash, DEFAULT_HASH_OPTIONS } from './password.js'
export { securityScheme } from './openapi.js'
export { serializers, serializeRequest, redactPaths, stripQuery } from './log.js'
export { parseAuthorization, buildChallenge } from './bearer-token.js'
export {
  InvalidOptionError,
  UnknownScopeError,
  InvalidHashError,
  InvalidPasswordError,
  UserStoreError,
  UserStoreTimeoutError,
  RESOURCE_ERRORS,
  TOKEN_ERRORS
} from './errors.js'

export type { HashOptions } from './password.js'
export type { AttemptLimit, RateLimitOptions, RateLimitStore, RateLimitStoreConstructor } from './rate-limit.js'
export type { OAuth2PasswordScheme } from './openapi.js'
export type { SafeRequestLog } from './log.js'
export type { BearerCredentials, ChallengeParams } from './bearer-token.js'
export type { PasswordBearerErrorCode, ResourceErrorCode, TokenErrorCode } from './errors.js'
export type { TokenResponse } from './token-route.js'
export type {
  AccessTokenClaims,
  AuthenticateHook,
  FastifyPasswordBearerOptions,
  LoadedUser,
  LoadUser,
  PasswordBearerUser,
  StoredUser,
  UserStore
} from './types.js'
