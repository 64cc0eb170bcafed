/**
 * Presentation of a benchmark run: the console table, the markdown section of docs/benchmarks.md
 * and a hand-written SVG bar chart of the ratios to the bare route.
 */

export interface Row {
  /** Stable id, e.g. `valid`. */
  id: string
  scenario: string
  perSecond: number
  p50: number
  p99: number
  /**
   * The reference's req/s: the bare route of the same server process, sent the same headers in the
   * same rounds (`reference` 'bare'); or the scenario named by `reference` (the idle route for the flood).
   */
  referencePerSecond: number
  /** req/s divided by `referencePerSecond`. */
  ratio: number
  /** What `ratio` compares with. */
  reference: string
  /** The target for this row, as a ratio, if it has one. */
  target?: number
  rssMiB: number
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  os: string
  loadGenerator: string
  date: string
  versions: Record<string, string>
  settings: string
}

export function formatRate (n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a'
}

export function formatMs (n: number): string {
  if (!Number.isFinite(n)) return 'n/a'
  return n < 10 ? n.toFixed(2) + ' ms' : n.toFixed(1) + ' ms'
}

/** Whole percents, rounded down: 84.7 % shows as 84 %, never as a met 85 %. */
export function percent (ratio: number): string {
  return Number.isFinite(ratio) ? Math.floor(ratio * 100 + 1e-9) + ' %' : 'n/a'
}

function ratioCell (row: Row): string {
  const value = percent(row.ratio)
  const ref = row.reference === 'bare' ? '' : ` of ${row.reference}`
  if (row.target === undefined) return value + ref
  return `${value}${ref} (target ${Math.round(row.target * 100)} %${row.ratio >= row.target ? ', met' : ', missed'})`
}

/** A row's cells, in the order of both tables' headers. */
function cellsOf (r: Row): string[] {
  return [r.scenario, formatRate(r.perSecond), formatMs(r.p50), formatMs(r.p99), formatRate(r.referencePerSecond), ratioCell(r), r.rssMiB.toFixed(0) + ' MiB']
}

export function tableLines (rows: Row[]): string[] {
  const header = ['scenario', 'req/s', 'p50', 'p99', 'reference req/s', 'ratio to reference', 'RSS']
  const cells = rows.map(cellsOf)
  return [header, ...cells].map((c) => '| ' + c.join(' | ') + ' |')
    .flatMap((line, i) => (i === 0 ? [line, '|' + header.map((_, j) => (j === 0 ? ' --- ' : ' ---: ')).join('|') + '|'] : [line]))
}

/** Plain-text table for the console. */
export function consoleTable (rows: Row[]): string {
  const header = ['scenario', 'req/s', 'p50', 'p99', 'reference', 'ratio', 'RSS']
  const cells = rows.map(cellsOf)
  const all = [header, ...cells]
  const widths = header.map((_, j) => Math.max(...all.map((c) => (c[j] as string).length)))
  return all.map((c) => c.map((cell, j) => (j === 0 || j === 5 ? cell.padEnd(widths[j] as number) : cell.padStart(widths[j] as number))).join('  ')).join('\n')
}

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

/** The generated part of docs/benchmarks.md. */
export function markdownSection (rows: Row[], extra: string[], machine: Machine, svgPath: string): string {
  const versions = Object.entries(machine.versions).map(([name, v]) => `${name} ${v}`).join(', ')
  return [
    `Run on ${machine.date} with \`npm run bench\`.`,
    '',
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}; Node ${machine.node}`,
    `- Load generator: ${machine.loadGenerator}; ${machine.settings}`,
    `- Versions: ${versions}`,
    '',
    ...tableLines(rows),
    '',
    ...extra,
    '',
    `![Throughput as a share of the bare route of the same process; black ticks are the targets](${svgPath})`
  ].join('\n')
}
