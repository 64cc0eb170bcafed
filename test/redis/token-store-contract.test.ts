// The TokenStore contract, run against the Redis store on a private single server and on a private
// 3-master Redis Cluster.
import { Cluster, Redis } from 'ioredis'
import t from 'tap'
import { redisSkip, startRedis, startRedisCluster } from '../helpers/redis.js'
import { openStore } from '../helpers/redis-token-stores.js'
import { tokenStoreContract } from '../helpers/token-store-contract.js'

const skip = redisSkip()

t.test('single Redis server', { skip }, async (t) => {
  const server = await startRedis(t)
  tokenStoreContract(t, 'redis', () => openStore(() => new Redis(server.url)))
})

t.test('3-master Redis Cluster', { skip }, async (t) => {
  const cluster = await startRedisCluster(t)
  tokenStoreContract(t, 'redis cluster', () => openStore(() => new Cluster(cluster.startupNodes)), { propertyRuns: 50 })
})
