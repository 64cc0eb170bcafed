/**
 * `npm run docs`: rewrites every included code block of the docs from its file
 * (scripts/docs/blocks.ts) and the API reference in docs/api/ from the TSDoc comments of lib/
 * (scripts/docs/api.ts). The tests fail when either differs from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generateApi } from './docs/api.js'
import { docFiles, syncIncludes } from './docs/blocks.js'

const root = fileURLToPath(new URL('../', import.meta.url))

generateApi(root, root + 'docs/api')
console.log('wrote docs/api/')

for (const file of docFiles(root)) {
  const before = readFileSync(root + file, 'utf8')
  const after = syncIncludes(root, file, before)
  if (after !== before) {
    writeFileSync(root + file, after)
    console.log(`rewrote the included blocks of ${file}`)
  }
}
