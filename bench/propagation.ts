/**
 * How long a revocation takes to reach another instance through the Redis token store: two
 * `RedisTokenStore`s, each with its own ioredis client, on the same Redis. Store A revokes access
 * tokens one after the other; each is timed from the moment A is asked to revoke it to the moment
 * B's revocation listener (what feeds an instance's local revocation list) hears it. The full
 * benchmark run measures it on its private redis-server; bench/revocation-propagation.ts also on
 * a Redis Cluster.
 */
import type { Cluster, Redis } from 'ioredis'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { RedisTokenStore } from '../lib/stores/redis-token-store.js'

export interface Propagation {
  deployment: string
  count: number
  /** Milliseconds. */
  median: number
  p95: number
  max: number
}

function quantile (sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number
}

/** `count` revocations from store A to store B, one at a time, 10 ms apart. */
export async function measurePropagation (deployment: string, connect: () => Redis | Cluster, count: number): Promise<Propagation> {
  const clients = [connect(), connect()]
  const prefix = `propagation-${process.pid}-${Date.now()}:`
  const [a, b] = clients.map((client) => new RedisTokenStore({ client, prefix })) as [RedisTokenStore, RedisTokenStore]
  const waiting = new Map<string, () => void>()
  const stop = b.onRevocation((revocation) => {
    if (revocation.type === 'access-token') waiting.get(revocation.jti)?.()
  })
  try {
    await sleep(500) // B subscribed
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const jti = `jti-${i}`
      const heard = new Promise<void>((resolve) => waiting.set(jti, resolve))
      const started = performance.now()
      await a.revokeAccessToken(jti, Date.now() + 60_000, Date.now())
      await heard
      times.push(performance.now() - started)
      waiting.delete(jti)
      await sleep(10)
    }
    times.sort((x, y) => x - y)
    return { deployment, count, median: quantile(times, 0.5), p95: quantile(times, 0.95), max: times[times.length - 1] as number }
  } finally {
    stop()
    a.close()
    b.close()
    for (const client of clients) client.disconnect()
  }
}

export function formatPropagation (r: Propagation): string {
  return `${r.deployment}: ${r.count} revocations, median ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`
}

/** The line below the results table. */
export function propagationNote (r: Propagation): string {
  return `- Revocation propagation, ${r.deployment} (the run's private one): ${r.count} access tokens revoked one after the other ` +
    'through one RedisTokenStore each reached a second store\'s revocation listener (what feeds another instance\'s local list) ' +
    `after a median of ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, at most ${r.max.toFixed(2)} ms (target: within 1 s). ` +
    'On a Redis Cluster too: `npx tsx bench/revocation-propagation.ts`.'
}
