/**
 * The chart of docs/benchmarks.svg, hand-written SVG: a bar per row for its ratio, the target as a tick.
 */
import { percent } from './format.js'
import type { Row } from './report.js'

function escapeXml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A horizontal bar per row: its ratio, with the target drawn as a tick when it has one. */
export function svgChart (rows: Row[], title: string): string {
  const labelWidth = 330
  const barWidth = 400
  const rowHeight = 24
  const top = 40
  const height = top + rows.length * rowHeight + 30
  const width = labelWidth + barWidth + 70
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
  rows.forEach((row, i) => {
    const y = top + i * rowHeight
    const met = row.target === undefined || row.ratio >= row.target
    const colour = row.reference !== 'bare' ? '#8e6bbf' : row.id.startsWith('peer') || row.id.startsWith('bare') || row.id === 'noop-hook' ? '#9aa5b1' : met ? '#2f855a' : '#c05621'
    const ratio = Number.isFinite(row.ratio) ? row.ratio : 0
    const label = row.reference === 'bare' ? row.scenario : `${row.scenario} (vs ${row.reference})`
    parts.push(`<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(1, x(ratio) - labelWidth).toFixed(1)}" height="${rowHeight - 8}" fill="${colour}"/>`,
      `<text x="${(x(ratio) + 4).toFixed(1)}" y="${y + 15}">${percent(row.ratio)}</text>`)
    if (row.target !== undefined) {
      parts.push(`<line x1="${x(row.target)}" y1="${y + 1}" x2="${x(row.target)}" y2="${y + rowHeight - 1}" stroke="#000" stroke-width="2"/>`)
    }
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
