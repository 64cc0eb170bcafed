// Type tests of the Redis token store: compiled by `npm run lint:types`, never run. ioredis is the
// app's dependency, not the package's: both of its clients fit the structural RedisClient.
import { Cluster, Redis } from 'ioredis'
import {
  RedisTimeoutError,
  RedisTokenStore,
  type PasswordBearerErrorCode,
  type RedisClient,
  type RedisTokenStoreOptions,
  type TokenStore
} from '../../lib/index.js'

function use (..._values: unknown[]): void {}

const single: TokenStore = new RedisTokenStore({ client: new Redis('redis://127.0.0.1:6379') })
const cluster: TokenStore = new RedisTokenStore({ client: new Cluster([{ host: '127.0.0.1', port: 7000 }]), prefix: 'app:' })
const client: RedisClient = new Redis({ keyPrefix: 'svc:' })
const options: RedisTokenStoreOptions = {
  client,
  prefix: 'sessions:',
  timeout: 500,
  rotatedPerFamily: 4,
  resyncInterval: 10_000,
  logger: { info: (fields: object, message: string) => use(fields, message), warn: (fields: object, message: string) => use(fields, message) }
}
const store = new RedisTokenStore(options)
store.close()
use(single, cluster)

// @ts-expect-error a URL is not a client: pass new Redis(url)
use(new RedisTokenStore({ client: 'redis://127.0.0.1:6379' }))
// @ts-expect-error the client is required
use(new RedisTokenStore({ prefix: 'x' }))
// @ts-expect-error timeout is a number of milliseconds
use(new RedisTokenStore({ client, timeout: '1s' }))

function codeOf (err: Error): PasswordBearerErrorCode | undefined {
  if (err instanceof RedisTimeoutError) {
    const status: 503 = err.statusCode
    use(status)
    return err.code
  }
  return undefined
}
use(codeOf)
