import { fastifyPasswordBearer } from './plugin.js'

export default fastifyPasswordBearer
export { fastifyPasswordBearer }
export { hashPassword, verifyPassword, needsRehash, DEFAULT_HASH_OPTIONS } from './endpoint/password-hash.js'
export { bcryptVerifier } from './endpoint/bcrypt-verifier.js'
export { securityScheme } from './openapi/scheme.js'
export { createKeySet } from './access-token/key-set.js'
export { serializers, serializeRequest, redactPaths, stripQuery } from './log.js'
export { parseAuthorization, buildChallenge } from './resource/bearer-token.js'
export { MemoryTokenStore } from './stores/memory-token-store.js'
export { RedisTokenStore } from './stores/redis-token-store.js'
export {
  InvalidOptionError,
  UnknownScopeError,
  InvalidHashError,
  InvalidPasswordError,
  UnknownHashError,
  VerifierError,
  MissingPeerError,
  UserStoreError,
  UserStoreTimeoutError,
  TokenStoreError,
  TokenStoreTimeoutError,
  RateLimitTimeoutError,
  RedisTimeoutError,
  SwaggerOrderError,
  DuplicateSecuritySchemeError,
  AlreadyRegisteredError,
  DecoratorPresentError,
  BearerTokenError,
  KeySetError,
  KeysUnavailableError,
  RESOURCE_ERRORS,
  TOKEN_ERRORS
} from './errors.js'

export type { HashOptions } from './endpoint/password-hash.js'
export type { BcryptVerifierOptions } from './endpoint/bcrypt-verifier.js'
export type { AttemptLimit, RateLimitOptions, RateLimitStore, RateLimitStoreConstructor } from './endpoint/throttle-options.js'
export type { OAuth2PasswordScheme } from './openapi/scheme.js'
export type { KeyInfo, KeySet } from './access-token/key-set.js'
export type { AsymmetricAlgorithm, KeyAlgorithm, KeyInput, KeyMaterial, PublicJwk } from './access-token/keys.js'
export type { SafeRequestLog } from './log.js'
export type { BearerCredentials, ChallengeParams } from './resource/bearer-token.js'
export type { PasswordBearerErrorCode, ResourceErrorBody, ResourceErrorCode, TokenErrorCode } from './errors.js'
export type { TokenResponse } from './endpoint/issue.js'
export type { MemoryTokenStoreOptions } from './stores/memory-token-store.js'
export type { RefreshTokenOptions } from './sessions/session-options.js'
export type { RedisClient, RedisTokenStoreOptions } from './stores/redis-token-store.js'
export type {
  RefreshFamily,
  RefreshTokenRef,
  Revocation,
  RevocationListener,
  RotateResult,
  TokenStore,
  UserRef
} from './stores/token-store.js'
export type {
  AccessTokenClaims,
  AuthenticateHook,
  DecoratorKey,
  DecoratorNames,
  FastifyPasswordBearerOptions,
  LoadedUser,
  LoadUser,
  PassErrorHook,
  PasswordBearerInstance,
  PasswordBearerInstanceDecorators,
  PasswordBearerNames,
  PasswordBearerRequest,
  PasswordBearerRequestDecorators,
  PasswordBearerUser,
  PasswordVerifier,
  RemoteKeysOptions,
  RequireScopes,
  StoredUser,
  UserStore
} from './types.js'
