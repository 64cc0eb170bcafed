/**
 * The testing recipe (docs/recipes/testing.md) runs as its readers run it: Node's own test runner,
 * with tsx for TypeScript, on the recipe's test file; every one of its tests passes.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../../', import.meta.url))

t.test("the recipe's node:test suite passes", async (t) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', 'docs/recipes/testing/app.test.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' } // not the loaders of this test process
  })
  t.equal(run.status, 0, run.stdout + run.stderr)
  t.match(run.stdout, /^# pass 5$/m, 'its five tests passed')
  t.match(run.stdout, /^# fail 0$/m)
})
