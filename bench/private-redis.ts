/**
 * The runner's private redis-server, for the rows whose token store is Redis and for the
 * revocation-propagation note: Debian's redis-server started on a free loopback port in a
 * temporary folder without persistence (test/helpers/redis.ts, the tests' own helper; never a
 * system service), pinned beside the load generator, handed to those rows' servers as `redisUrl`,
 * and stopped when the run ends, failed or not (the helper also stops it if the runner dies of a
 * signal or an uncaught error).
 */
import { execFileSync } from 'node:child_process'
import { redisSkip, startRedis, type RedisServer } from '../test/helpers/redis.js'
import { pin } from './load.js'
import { currentPinning } from './processes.js'
import type { Scenario } from './scenarios.js'

export function needsRedis (scenario: Scenario): boolean {
  return scenario.server.tokenStore === 'redis'
}

/** `redis-server --version`'s version, e.g. '7.0.15'. */
export function redisVersion (): string {
  const out = execFileSync('redis-server', ['--version'], { encoding: 'utf8' })
  return /v=(\S+)/.exec(out)?.[1] ?? out.trim()
}

/**
 * Runs `work` with a private redis-server when a scenario needs one or `wanted` says so, the Redis
 * scenarios pointed at it, and stops the server afterwards. Without redis-server installed, `work`
 * gets the scenarios without the Redis ones and no server, after a warning; unless `required` (a
 * run that writes the docs) or in CI, where that is an error.
 */
export async function withPrivateRedis<T> (
  scenarios: Scenario[],
  { wanted, required }: { wanted: boolean, required: boolean },
  work: (scenarios: Scenario[], redis: RedisServer | undefined) => Promise<T>
): Promise<T> {
  if (!wanted && !scenarios.some(needsRedis)) return await work(scenarios, undefined)
  const skip = redisSkip() // throws in CI when redis-server is missing
  if (skip !== false) {
    const reason = skip.replace(/^skipped: /, '')
    if (required) throw new Error(`${reason}: the results need the Redis rows`)
    console.error(`${reason}: the Redis rows and the revocation propagation are left out`)
    return await work(scenarios.filter((s) => !needsRedis(s)), undefined)
  }
  const stops: Array<() => unknown> = []
  const redis = await startRedis({ teardown: (fn) => { stops.push(fn) } })
  try {
    const pinning = currentPinning()
    if (pinning !== undefined && redis.pid !== undefined) pin(redis.pid, pinning.load)
    return await work(scenarios.map((s) => (needsRedis(s) ? { ...s, server: { ...s.server, redisUrl: redis.url } } : s)), redis)
  } finally {
    for (const stop of stops) await stop()
  }
}
