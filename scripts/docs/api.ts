/**
 * The API reference: TypeDoc with typedoc-plugin-markdown (typedoc.json) over the TSDoc comments of
 * lib/index.ts's exports, written as Markdown files to a folder (docs/api/ for `npm run docs`, a
 * temporary one for the test that compares the two).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/** Runs TypeDoc into `out`; throws with its output when it reports an error or a warning. */
export function generateApi (root: string, out: string): void {
  const run = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out, '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8', timeout: 120_000 })
  if (run.status !== 0) throw new Error(`typedoc failed (${run.error?.message ?? run.status})\n${run.stdout}${run.stderr}`)
}

/** Every file under `dir` with its text, by path relative to `dir`. */
export function readTree (dir: string): Map<string, string> {
  const files = new Map<string, string>()
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) walk(path)
      else files.set(relative(dir, path), readFileSync(path, 'utf8'))
    }
  }
  walk(dir)
  return files
}
