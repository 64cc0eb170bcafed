/**
 * Redraws docs/benchmarks.svg from the raw numbers of a committed run (`--json` output), without
 * measuring anything: `npx tsx bench/redraw-chart.ts bench/results/<run>.json`. The chart must be
 * the run's that docs/benchmarks.md quotes.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CHART_TITLE } from './report.js'
import { svgChart } from './chart.js'
import { root } from './processes.js'
import type { Row } from './report.js'

const file = process.argv[2]
if (file === undefined) {
  console.error('usage: npx tsx bench/redraw-chart.ts bench/results/<run>.json')
  process.exit(1)
}
const { rows } = JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] }
writeFileSync(join(root, 'docs', 'benchmarks.svg'), svgChart(rows, CHART_TITLE))
console.error(`wrote docs/benchmarks.svg from ${file} (${rows.length} rows)`)
