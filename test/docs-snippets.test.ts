/**
 * No snippet of the docs can rot: every TypeScript block of README.md, CONTRIBUTING.md, CHANGELOG.md
 * and docs/ (the recipes and the generated API reference included) is either the text of a file that
 * the tests compile and run (`<!-- include: ... -->`, kept in step by `npm run docs`) or compiled here
 * on its own with `strict` under NodeNext. The rules: scripts/docs/blocks.ts.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { docFiles, parseBlocks, renderInclude, TYPESCRIPT, UNCHECKED_SCRIPT, type CodeBlock } from '../scripts/docs/blocks.js'
import { compileBlocks } from './helpers/compile-blocks.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const blocks: CodeBlock[] = docFiles(root).flatMap((file) => parseBlocks(file, readFileSync(root + file, 'utf8')))
const typescript = blocks.filter((b) => TYPESCRIPT.has(b.lang))

t.test('the docs were read', async (t) => {
  t.ok(typescript.length > 40, `${typescript.length} TypeScript blocks`)
  t.ok(typescript.some((b) => b.file === 'README.md'), 'README.md among them')
})

t.test('every code block says its language, and none is JavaScript that would escape the checks', async (t) => {
  t.same(blocks.filter((b) => b.lang === '').map((b) => `${b.file}:${b.line}`), [], 'no block without a language (```ts, ```sh, ```text, ...)')
  t.same(blocks.filter((b) => UNCHECKED_SCRIPT.has(b.lang)).map((b) => `${b.file}:${b.line}`), [], 'no JavaScript block: write it as ```ts')
})

t.test('every included block is the text of its file (npm run docs rewrites them)', async (t) => {
  const included = typescript.filter((b) => b.directive?.kind === 'include')
  t.ok(included.length > 5, `${included.length} included blocks`)
  for (const block of included) {
    if (block.directive?.kind !== 'include') continue
    const at = `${block.file}:${block.line}`
    const source = `${block.directive.path}${block.directive.region === undefined ? '' : `#${block.directive.region}`}`
    if (!/^(docs|examples)\//.test(block.directive.path)) t.fail(`${at} includes ${source}: only files of docs/ or examples/, which the tests compile and run`)
    if (block.code !== renderInclude(root, block.directive)) t.fail(`${at} differs from ${source}: run npm run docs`)
  }
})

t.test('every other TypeScript block compiles on its own (strict, NodeNext)', async (t) => {
  const compiled = typescript.filter((b) => b.directive?.kind !== 'include')
  const problems = compileBlocks(root, compiled)
  t.same(problems, [], `${compiled.length} blocks compiled`)
})
