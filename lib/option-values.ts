/**
 * Checks shared by every option resolver: a bad value fails registration with
 * `FST_PWB_INVALID_OPTION`, naming the option, what it accepts and what it got.
 */
import { InvalidOptionError } from './errors.js'

/** What a value is, for a message: never the value itself, which may be a secret. */
export function describe (value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `a string of length ${value.length}`
  if (typeof value === 'number') return String(value)
  return `a value of type ${typeof value}`
}

/** `value` when it is an integer from `min` to `max`, `fallback` when it is undefined. */
export function integerOption (name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, `expected an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

/** `value` when it is an absolute URL path (RFC 3986 unreserved characters and `/`), `fallback` when undefined. */
export function pathOption (name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9\-._~/]*$/.test(value)) {
    throw new InvalidOptionError(name, `expected an absolute path such as "${fallback}", got ${describe(value)}`)
  }
  return value
}

/** Levenshtein distance, for "did you mean" (names are short). */
function distance (a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length] as number
}

/** The known name closest to `name` (case-insensitive), when it is close enough to be a typo. */
export function nearestName (name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined
}

/** Refuses any own key of `options` not in `known`, naming the nearest known one. */
export function unknownKeys (name: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue
    const near = nearestName(key, known)
    const hint = near === undefined ? `known: ${known.join(', ')}` : `did you mean "${near}"?`
    throw new InvalidOptionError(name === '' ? key : `${name}.${key}`, `unknown option; ${hint}`)
  }
}
