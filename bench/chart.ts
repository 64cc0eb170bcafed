/**
 * The chart of docs/benchmarks.svg, hand-written SVG: a bar per row for its ratio, the target as a tick.
 */
import { percent } from './format.js'
import type { Row } from './report.js'

function escapeXml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Characters of a label line at most: longer labels wrap onto more lines, at spaces. */
export const LABEL_LINE_CHARS = 44
/**
 * Width in pixels given to each character of a label: more than 12 px sans-serif's average (about
 * 6.5 px in DejaVu Sans and Liberation Sans), so that the widest line fits whatever the font.
 */
const CHAR_WIDTH = 7.5
const LINE_HEIGHT = 14

/** `text` in lines of at most `max` characters, broken at spaces (a longer word keeps a line of its own). */
export function wrapLabel (text: string, max = LABEL_LINE_CHARS): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > max) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  lines.push(line)
  return lines
}

/** A horizontal bar per row: its ratio, with the target drawn as a tick when it has one. */
export function svgChart (rows: Row[], title: string): string {
  const labels = rows.map((row) => wrapLabel(row.reference === 'bare' ? row.scenario : `${row.scenario} (vs ${row.reference})`))
  const longest = Math.max(...labels.flat().map((line) => line.length))
  const labelWidth = Math.ceil(longest * CHAR_WIDTH) + 20
  const barWidth = 400
  const rowHeights = labels.map((lines) => 24 + (lines.length - 1) * LINE_HEIGHT)
  const top = 40
  const height = top + rowHeights.reduce((a, b) => a + b, 0) + 30
  const width = Math.max(labelWidth + barWidth + 70, Math.ceil(title.length * 8) + 20)
  const x = (ratio: number): number => labelWidth + Math.min(ratio, 1.2) / 1.2 * barWidth
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${escapeXml(title)}</text>`
  ]
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 6}" x2="${x(tick)}" y2="${height - 26}" stroke="#ddd"/>`,
      `<text x="${x(tick)}" y="${height - 12}" text-anchor="middle" fill="#555">${tick * 100} %</text>`)
  }
  let y = top
  rows.forEach((row, i) => {
    const rowHeight = rowHeights[i]!
    const lines = labels[i]!
    const middle = y + rowHeight / 2
    const met = row.target === undefined || row.ratio >= row.target
    const colour = row.reference !== 'bare' ? '#8e6bbf' : row.id.startsWith('peer') || row.id.startsWith('bare') || row.id === 'noop-hook' ? '#9aa5b1' : met ? '#2f855a' : '#c05621'
    const ratio = Number.isFinite(row.ratio) ? row.ratio : 0
    // The label's lines centred on the bar, right-aligned against the bars.
    const firstBaseline = middle + 4 - (lines.length - 1) * LINE_HEIGHT / 2
    const tspans = lines.map((line, n) => `<tspan x="${labelWidth - 8}" y="${firstBaseline + n * LINE_HEIGHT}">${escapeXml(line)}</tspan>`).join('')
    parts.push(`<text text-anchor="end">${tspans}</text>`,
      `<rect x="${labelWidth}" y="${middle - 8}" width="${Math.max(1, x(ratio) - labelWidth).toFixed(1)}" height="16" fill="${colour}"/>`,
      // The figure after the bar, or after the target's tick when the bar ends just before it.
      `<text x="${(Math.max(x(ratio), row.target === undefined || x(row.target) < x(ratio) - 4 ? 0 : x(row.target)) + 4).toFixed(1)}" y="${middle + 4}">${percent(row.ratio)}</text>`)
    if (row.target !== undefined) {
      parts.push(`<line x1="${x(row.target)}" y1="${middle - 11}" x2="${x(row.target)}" y2="${middle + 11}" stroke="#000" stroke-width="2"/>`)
    }
    y += rowHeight
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
