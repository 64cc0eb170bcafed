/** How the benchmark prints rates, times and ratios. */

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
