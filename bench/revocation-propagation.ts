/**
 * How long a revocation takes to reach another instance through the Redis token store
 * (bench/propagation.ts), on a private redis-server and on a private 3-master Redis Cluster
 * started here on free loopback ports. The full benchmark run (`npm run bench`) measures the
 * single server too, and writes it below its table.
 *
 *   npx tsx bench/revocation-propagation.ts [--count 100] [--single-only]
 *
 * Prints the median, 95th percentile and maximum in milliseconds, per deployment.
 */
import { Cluster, Redis } from 'ioredis'
import { parseArgs } from 'node:util'
import { startRedis, startRedisCluster, type Owner } from '../test/helpers/redis.js'
import { formatPropagation, measurePropagation } from './propagation.js'

const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, 'single-only': { type: 'boolean', default: false } } })
const COUNT = Number(values.count)

const teardowns: Array<() => unknown> = []
const owner: Owner = { teardown: (fn) => { teardowns.push(fn) } }
try {
  const server = await startRedis(owner)
  const results = [await measurePropagation('single redis-server', () => new Redis(server.url), COUNT)]
  if (values['single-only'] !== true) {
    const cluster = await startRedisCluster(owner)
    results.push(await measurePropagation('3-master Redis Cluster', () => new Cluster(cluster.startupNodes), COUNT))
  }
  for (const r of results) console.log(formatPropagation(r))
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
