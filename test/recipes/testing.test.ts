/**
 * The testing recipe (docs/recipes/testing.md) runs as its readers run it: Node's own test runner,
 * with tsx for TypeScript, on the recipe's test file; every one of its tests passes.
 */
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { run as runClean } from '../helpers/process.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

t.test("the recipe's node:test suite passes", async (t) => {
  // As its readers run it, without the test runner's loaders (and so without its coverage).
  const run = await runClean(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'docs/recipes/testing/app.test.ts'], { cwd: root, timeout: 60_000 })
  t.equal(run.code, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^# pass 5$/m, 'its five tests passed')
  t.match(run.stdout, /^# fail 0$/m)
})
