/**
 * docs/benchmarks.svg keeps every label whole: long scenario names wrap, the label column is as
 * wide as the longest line, and in a real browser (Chromium) no text of the chart of the committed
 * run starts left of the picture or ends right of it (labels were cut on the left before).
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { svgChart, wrapLabel, LABEL_LINE_CHARS } from '../bench/chart.js'
import type { Row } from '../bench/report.js'
import { chromiumMissing, launchChromium } from './helpers/browser.js'

const { rows } = JSON.parse(readFileSync(new URL('../bench/results/2026-12-01-full.json', import.meta.url), 'utf8')) as { rows: Row[] }
const svg = svgChart(rows, 'Throughput as a share of the bare route of the same process (login flood: of the idle route)')

t.test('long labels wrap at spaces into lines of at most the limit', async (t) => {
  t.same(wrapLabel('valid token beside argon2 in another process (concurrency 2) (vs idle)', 30),
    ['valid token beside argon2 in', 'another process (concurrency', '2) (vs idle)'])
  t.same(wrapLabel('short'), ['short'])
  for (const row of rows) {
    for (const line of wrapLabel(row.scenario)) t.ok(line.length <= LABEL_LINE_CHARS, line)
  }
})

t.test('in Chromium, every text of the chart lies inside the picture', { skip: chromiumMissing() ?? false }, async (t) => {
  const browser = await launchChromium()
  t.teardown(browser.close)
  const page = await browser.context.newPage()
  await page.setContent(`<!doctype html><body style="margin:0">${svg}</body>`)
  const { width, boxes } = await page.evaluate(() => {
    const root = document.querySelector('svg')!
    return {
      width: root.width.baseVal.value,
      boxes: [...root.querySelectorAll('text')].map((text) => {
        const box = text.getBBox()
        return { text: text.textContent ?? '', left: box.x, right: box.x + box.width }
      })
    }
  })
  t.ok(boxes.length > rows.length * 2, `${boxes.length} texts measured`)
  t.same(boxes.filter((b) => b.left < 0 || b.right > width).map((b) => `${b.text}: ${b.left.toFixed(0)}..${b.right.toFixed(0)} of ${width}`), [],
    'texts cut by the edges')
})
