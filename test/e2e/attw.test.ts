/**
 * The published types' shape, checked by @arethetypeswrong/cli on the packed tarball: every module
 * resolution a consumer may use finds types of the same module format as the code it loads.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import t from 'tap'
import { packRepository, packUnavailable } from '../helpers/pack.js'
import { run, runOk } from '../helpers/process.js'

// The CLI's package exports no subpath: find its bin through package.json.
const ATTW = join(dirname(createRequire(import.meta.url).resolve('@arethetypeswrong/cli/package.json')), 'dist', 'index.js')

t.setTimeout(180_000)

const unavailable = await packUnavailable()
const skip = unavailable !== null && process.env.CI !== 'true' ? `npm pack is impossible here: ${unavailable}` : false

interface Resolution {
  resolution?: { fileName: string }
  implementationResolution?: { fileName: string }
  visibleProblems?: unknown[]
}
interface AttwReport {
  analysis: {
    problems: unknown[]
    entrypoints: Record<string, { resolutions: Record<string, Resolution> }>
  }
  problems: Record<string, unknown>
}

t.test('are-the-types-wrong finds no problem for node10, node16 (CJS and ESM) and bundler', { skip }, async (t) => {
  const packed = await packRepository()
  t.teardown(packed.cleanup)

  // The table a human reads, and its exit code (non-zero on any problem).
  const table = await run(process.execPath, [ATTW, packed.tarball, '--format', 'table'], { timeout: 60_000 })
  if (table.code !== 0) t.comment(table.stdout + table.stderr)
  t.equal(table.code, 0, 'attw exits with 0')
  t.match(table.stdout, /No problems found/)

  const { stdout } = await runOk(process.execPath, [ATTW, packed.tarball, '--format', 'json'], { timeout: 60_000 })
  const report = JSON.parse(stdout) as AttwReport
  t.same(report.analysis.problems, [], 'no problems in the analysis')
  t.same(report.problems, {}, 'no problems by kind')

  const main = report.analysis.entrypoints['.']
  t.ok(main, 'the "." entry point is analysed')
  const expected: Record<string, string> = {
    node10: 'cjs',
    'node16-cjs': 'cjs',
    'node16-esm': 'esm',
    bundler: 'esm'
  }
  for (const [kind, format] of Object.entries(expected)) {
    const resolution = main?.resolutions[kind]
    t.equal(resolution?.resolution?.fileName, `/node_modules/fastify-password-bearer/dist/${format}/index.d.ts`, `${kind} gets the ${format} types`)
    t.equal(resolution?.implementationResolution?.fileName, `/node_modules/fastify-password-bearer/dist/${format}/index.js`, `${kind} loads the ${format} code`)
    t.same(resolution?.visibleProblems ?? [], [], `${kind} has no visible problem`)
  }
})
