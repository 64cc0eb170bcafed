/**
 * The API reference in docs/api/ is what TypeDoc makes of lib/ now (`npm run docs` writes it), and
 * every export of the package has a TSDoc `@example` (which docs-snippets.test.ts then compiles,
 * from the generated pages).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { generateApi, readTree } from '../scripts/docs/api.js'
import { exportedSymbols } from '../scripts/docs/exports.js'

const root = fileURLToPath(new URL('../', import.meta.url))

t.test('every export of lib/index.ts has a TSDoc @example', async (t) => {
  const symbols = exportedSymbols(root)
  t.ok(symbols.length > 50, `${symbols.length} exports read`)
  t.same(symbols.filter((s) => !s.hasExample).map((s) => `${s.name} (${s.file})`), [], 'exports without an @example')
})

t.test('docs/api/ is the reference TypeDoc generates from the code now (npm run docs)', async (t) => {
  const fresh = mkdtempSync(join(tmpdir(), 'fpb-api-'))
  t.teardown(() => rmSync(fresh, { recursive: true, force: true }))
  generateApi(root, fresh)
  const expected = readTree(fresh)
  const committed = readTree(join(root, 'docs', 'api'))
  t.ok(expected.size > 50, `${expected.size} pages generated`)
  t.same([...committed.keys()].sort(), [...expected.keys()].sort(), 'the same pages: run npm run docs')
  for (const [file, text] of expected) {
    if (committed.get(file) !== text) t.fail(`docs/api/${file} differs from what TypeDoc generates: run npm run docs`)
  }
})
