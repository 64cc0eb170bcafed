/**
 * How long a revocation takes to reach another instance through the Redis token store: two stores,
 * each with its own ioredis client, on a private redis-server (and on a private 3-master Redis
 * Cluster) started here on free loopback ports. Store A revokes 100 access tokens one after the
 * other; each is timed from the moment A is asked to revoke it to the moment B's revocation
 * listener (what feeds an instance's local revocation list) hears it.
 *
 *   npx tsx bench/revocation-propagation.ts [--count 100] [--single-only]
 *
 * Prints the median, 95th percentile and maximum in milliseconds, per deployment.
 */
import { Cluster, Redis } from 'ioredis'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { RedisTokenStore } from '../lib/stores/redis-token-store.js'
import { startRedis, startRedisCluster, type Owner } from '../test/helpers/redis.js'

const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, 'single-only': { type: 'boolean', default: false } } })
const COUNT = Number(values.count)

interface Summary { deployment: string, count: number, median: number, p95: number, max: number }

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

async function measure (deployment: string, connect: () => Redis | Cluster): Promise<Summary> {
  const clients = [connect(), connect()]
  const prefix = `propagation-${Date.now()}:`
  const [a, b] = clients.map((client) => new RedisTokenStore({ client: client as never, prefix })) as [RedisTokenStore, RedisTokenStore]
  const waiting = new Map<string, () => void>()
  b.onRevocation((revocation) => {
    if (revocation.type === 'access-token') waiting.get(revocation.jti)?.()
  })
  await new Promise((resolve) => setTimeout(resolve, 500)) // B subscribed
  const times: number[] = []
  for (let i = 0; i < COUNT; i++) {
    const jti = `jti-${i}`
    const heard = new Promise<void>((resolve) => waiting.set(jti, resolve))
    const started = performance.now()
    await a.revokeAccessToken(jti, Date.now() + 60_000, Date.now())
    await heard
    times.push(performance.now() - started)
    waiting.delete(jti)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  a.close()
  b.close()
  for (const client of clients) client.disconnect()
  times.sort((x, y) => x - y)
  return { deployment, count: COUNT, median: quantile(times, 0.5), p95: quantile(times, 0.95), max: times[times.length - 1] as number }
}

const teardowns: Array<() => unknown> = []
const owner: Owner = { teardown: (fn) => { teardowns.push(fn) } }
try {
  const server = await startRedis(owner)
  const results = [await measure('single redis-server', () => new Redis(server.url))]
  if (values['single-only'] !== true) {
    const cluster = await startRedisCluster(owner)
    results.push(await measure('3-master Redis Cluster', () => new Cluster(cluster.startupNodes)))
  }
  for (const r of results) {
    console.log(`${r.deployment}: ${r.count} revocations, median ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`)
  }
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
