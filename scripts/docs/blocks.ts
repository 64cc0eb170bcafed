/**
 * The code blocks of the Markdown docs, and the two ways a TypeScript block stays true to the code:
 *
 * - `<!-- include: docs/recipes/x.ts -->` (or `...x.ts#region`) on the line before the block: the
 *   block is that file (or the lines between `// #region name` and `// #endregion name`), which the
 *   tests compile and run. Its imports of the package's source (`'../lib/index.js'`) read as the
 *   package name. `npm run docs` rewrites such blocks from their files; the tests fail when one differs.
 * - any other TypeScript block is compiled on its own by the tests (`tsc --strict`, NodeNext, as an ES
 *   module), after the `<!-- context: ... -->` comment before it, if any: a hidden context that may
 *   only import and declare (`declare const app: FastifyInstance`), never run anything. A block whose
 *   first line is a comment naming a file (`// plugins/swagger.ts`) is compiled as that file, and the
 *   page's other blocks can import it (`./plugins/swagger.js`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  /** The info string's first word (`ts`, `sh`, ...); '' when there is none. */
  lang: string
  /** The content, without the fence's indentation, ending without a newline. */
  code: string
  /** The block's indentation (a block inside a list item is indented). */
  indent: string
  /** The directive in the HTML comment right before the fence, if any. */
  directive?: Directive
  /** Line indexes (0-based) of the content in the Markdown file: [first, end). */
  contentLines: [number, number]
}

export type Directive =
  | { kind: 'include', path: string, region?: string }
  | { kind: 'context', code: string }

/** Languages that are TypeScript: compiled or included. */
export const TYPESCRIPT = new Set(['ts', 'typescript', 'mts', 'cts'])
/** Languages that would escape the checks: a block must be written as TypeScript instead. */
export const UNCHECKED_SCRIPT = new Set(['js', 'javascript', 'mjs', 'cjs', 'jsx', 'tsx'])

const FENCE = /^( *)(`{3,}|~{3,})\s*([^\s`]*)/

function directiveBefore (lines: string[], fence: number): Directive | undefined {
  let end = fence - 1
  while (end >= 0 && lines[end]!.trim() === '') end--
  if (end < 0 || !lines[end]!.trimEnd().endsWith('-->')) return undefined
  let start = end
  while (start >= 0 && !lines[start]!.includes('<!--')) start--
  if (start < 0) return undefined
  const text = lines.slice(start, end + 1).join('\n').trim().replace(/^<!--/, '').replace(/-->$/, '').trim()
  const include = /^include:\s*(\S+?)(?:#([\w-]+))?$/.exec(text)
  if (include !== null) return { kind: 'include', path: include[1]!, ...(include[2] === undefined ? {} : { region: include[2] }) }
  const context = /^context:\s*([\s\S]*)$/.exec(text)
  if (context !== null) return { kind: 'context', code: context[1]!.trim() }
  return undefined
}

/** Every fenced code block of a Markdown text. */
export function parseBlocks (file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (open === null) continue
    const [, indent = '', fence = '', lang = ''] = open
    let close = i + 1
    while (close < lines.length && !(lines[close]!.trimStart().startsWith(fence) && lines[close]!.trim().replace(/[`~]/g, '') === '')) close++
    const code = lines.slice(i + 1, close).map((l) => l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()).join('\n')
    const directive = directiveBefore(lines, i)
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), code, indent, contentLines: [i + 1, close], ...(directive === undefined ? {} : { directive }) })
    i = close
  }
  return blocks
}

const REGION = /^\s*\/\/ #(end)?region\b\s*([\w-]*)/

/** The package's source entry, as the docs' files import it, written as the package name. */
export function asPackageImports (code: string): string {
  return code.replace(/(['"])(?:\.\.?\/)+lib\/index\.js\1/g, "'fastify-password-bearer'")
}

function dedent (lines: string[]): string[] {
  const widths = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)![0].length)
  const cut = widths.length === 0 ? 0 : Math.min(...widths)
  return lines.map((l) => l.slice(cut))
}

/** The text an include directive stands for: a file, or one region of it, as the docs show it. */
export function renderInclude (root: string, directive: { path: string, region?: string }): string {
  const source = readFileSync(join(root, directive.path), 'utf8').replace(/\n+$/, '').split('\n')
  let lines = source
  if (directive.region !== undefined) {
    const start = source.findIndex((l) => REGION.exec(l)?.[1] === undefined && REGION.exec(l)?.[2] === directive.region)
    const end = source.findIndex((l, i) => i > start && REGION.exec(l)?.[1] === 'end' && REGION.exec(l)?.[2] === directive.region)
    if (start === -1 || end === -1) throw new Error(`${directive.path} has no region "${directive.region}" (// #region ${directive.region} ... // #endregion ${directive.region})`)
    lines = dedent(source.slice(start + 1, end))
  }
  return asPackageImports(lines.filter((l) => REGION.exec(l) === null).join('\n'))
}

/** The Markdown text with every include block rewritten from its file. */
export function syncIncludes (root: string, file: string, markdown: string): string {
  const lines = markdown.split('\n')
  // From the last block to the first, so earlier line numbers stay valid.
  for (const block of parseBlocks(file, markdown).reverse()) {
    if (block.directive?.kind !== 'include') continue
    const fresh = renderInclude(root, block.directive).split('\n').map((l) => l === '' ? '' : block.indent + l)
    lines.splice(block.contentLines[0], block.contentLines[1] - block.contentLines[0], ...fresh)
  }
  return lines.join('\n')
}

/** The Markdown files whose blocks are checked, relative to the root: README, CONTRIBUTING, docs/ and below. */
export function docFiles (root: string): string[] {
  const files = ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md'].filter((f) => existsSync(join(root, f)))
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.md')) files.push(path)
    }
  }
  walk('docs')
  return files.sort()
}
