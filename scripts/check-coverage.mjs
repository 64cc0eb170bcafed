// The coverage gate of `npm test`: tap measures coverage of every file the tests load; this fails the
// run when lib/ (the published code) falls below the thresholds below, so untested code cannot land
// unnoticed. Raise the numbers as the suite grows; never lower them to let a change through.
import { readFileSync } from 'node:fs'
import { dirname, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const THRESHOLDS = { lines: 99, branches: 96, functions: 98 }

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const summary = JSON.parse(readFileSync(resolve(root, '.tap/report/coverage-summary.json'), 'utf8'))
const totals = { lines: [0, 0], branches: [0, 0], functions: [0, 0] }
let files = 0
for (const [file, metrics] of Object.entries(summary)) {
  if (file === 'total' || !relative(root, file).startsWith('lib' + sep)) continue
  files++
  for (const kind of Object.keys(totals)) {
    totals[kind][0] += metrics[kind].covered
    totals[kind][1] += metrics[kind].total
  }
}
if (files === 0) {
  console.error('coverage gate: no lib/ file in .tap/report/coverage-summary.json; run the whole suite with `npm test`')
  process.exit(1)
}
let failed = false
for (const [kind, [covered, total]] of Object.entries(totals)) {
  const pct = total === 0 ? 100 : (100 * covered) / total
  const ok = pct >= THRESHOLDS[kind]
  failed ||= !ok
  console.log(`coverage of lib/ ${kind}: ${pct.toFixed(2)} % (${covered}/${total}), threshold ${THRESHOLDS[kind]} %${ok ? '' : ' — BELOW THE THRESHOLD'}`)
}
process.exit(failed ? 1 : 0)
