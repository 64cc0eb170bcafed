import { readdirSync, readFileSync } from 'node:fs'
import t from 'tap'
import * as api from '../lib/index.js'

// Every value the package exports is something a user can import: the docs must name it.
const root = new URL('../', import.meta.url)
const docs = [
  readFileSync(new URL('README.md', root), 'utf8'),
  ...readdirSync(new URL('docs/', root))
    .filter((file) => file.endsWith('.md'))
    .map((file) => readFileSync(new URL(`docs/${file}`, root), 'utf8'))
].join('\n')

t.test('every runtime export of the package is named in README.md or docs/', async (t) => {
  const names = Object.keys(api).filter((name) => name !== 'default')
  t.ok(names.length > 10, 'the export list was read')
  for (const name of names) {
    t.ok(new RegExp(`\\b${name}\\b`).test(docs), `${name} is documented`)
  }
})
