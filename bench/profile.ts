/**
 * `--profile id`: one scenario under `node --cpu-prof`, and where the server's time goes (self
 * time per function of the server's main thread).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { LoadGenerator } from './load.js'
import { loadOf, measure, sanityCheck } from './measure.js'
import { root, startServer, stopServer } from './processes.js'
import { formatMs, formatRate } from './format.js'
import type { Scenario } from './scenarios.js'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

function summariseProfile (file: string, top = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id) as ProfileNode
    const dt = profile.timeDeltas[i] ?? 0
    const { functionName, url, lineNumber } = node.callFrame
    const where = url === '' ? '' : ` ${url.replace(/^file:\/\//, '').replace(root + '/', '')}:${lineNumber + 1}`
    const key = `${functionName || '(anonymous)'}${where}`
    self.set(key, (self.get(key) ?? 0) + dt)
    total += dt
  })
  const lines = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([key, t]) => `${(t / total * 100).toFixed(1).padStart(5)} %  ${key}`)
  return [`self time, ${(total / 1e6).toFixed(1)} s sampled:`, ...lines].join('\n')
}

export async function runProfile (seconds: number, load: LoadGenerator, scenario: Scenario): Promise<void> {
  const { id } = scenario
  const dir = join(root, 'bench', 'profiles')
  mkdirSync(dir, { recursive: true })
  const before = new Set(readdirSync(dir))
  const server = await startServer(scenario.server, ['--cpu-prof', '--cpu-prof-dir', dir])
  await sanityCheck(server, scenario)
  const result = await measure(load, await loadOf(server, scenario, seconds), scenario.status, id)
  await stopServer(server)
  console.log(`${id}: ${formatRate(result.perSecond)} req/s, p99 ${formatMs(result.p99)} (under the profiler)`)
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (tsx's module
  // loader runs in a worker and writes its own profile).
  const written = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f) && f.split('.')[4] === '0')
    .map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
  if (written[0] === undefined) throw new Error('the server wrote no main-thread profile')
  console.log(`${written[0]}\n${summariseProfile(written[0])}`)
}
