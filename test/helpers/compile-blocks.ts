/**
 * Compiles the TypeScript blocks of the docs as an app would (`strict`, NodeNext, ES modules in a
 * `"type": "module"` package, the package imported by its name), without writing a file: each block is
 * a virtual module under `<root>/.doc-snippets/<page>/`, beside the repository's node_modules.
 * See scripts/docs/blocks.ts for the rules a block follows.
 */
import { join } from 'node:path'
import ts from 'typescript'
import type { CodeBlock } from '../../scripts/docs/blocks.js'

export interface BlockProblem {
  /** `docs/x.md:12`: where the reader sees it. */
  where: string
  message: string
}

interface VirtualFile {
  path: string
  text: string
  block: CodeBlock
  /** Lines added before the block's first line (its context and a separator). */
  offset: number
  /** Compiled apart from the page's other blocks: it augments a module's types for the whole program. */
  alone: boolean
}

const NAMED = /^\/\/ ((?:[\w-]+\/)*[\w.-]+\.(?:ts|mts|cts))\s*$/

/** Statements a hidden context may hold: imports and declarations, nothing that runs. */
function contextProblems (code: string): string[] {
  const source = ts.createSourceFile('context.ts', code, ts.ScriptTarget.ES2022, true)
  const problems: string[] = []
  for (const statement of source.statements) {
    const declared = ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)
    const ok = ts.isImportDeclaration(statement) || ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement) || declared
    if (!ok) problems.push(`the context may only import and declare; this runs: ${statement.getText(source).split('\n')[0]}`)
  }
  return problems
}

function virtualFiles (root: string, blocks: CodeBlock[], problems: BlockProblem[]): VirtualFile[] {
  const files: VirtualFile[] = []
  for (const block of blocks) {
    const page = join(root, '.doc-snippets', block.file.replace(/[/.]/g, '_'))
    const named = NAMED.exec(block.code.split('\n')[0] ?? '')?.[1]
    const extension = block.lang === 'cts' ? '.cts' : block.lang === 'mts' ? '.mts' : '.ts'
    const path = join(page, named ?? `block-${block.line}${extension}`)
    let context = ''
    if (block.directive?.kind === 'context') {
      for (const message of contextProblems(block.directive.code)) problems.push({ where: `${block.file}:${block.line}`, message })
      context = block.directive.code + '\n'
    }
    const offset = context === '' ? 0 : context.split('\n').length - 1
    // `export {}` makes every block a module: its names are its own, as in a file of an app.
    files.push({ path, text: `${context}${block.code}\nexport {}\n`, block, offset, alone: /\bdeclare\s+(module|global)\b/.test(context + block.code) })
  }
  return files
}

/** Compiles every block (none of them an include), and answers what does not compile, by doc line. */
export function compileBlocks (root: string, blocks: CodeBlock[]): BlockProblem[] {
  const problems: BlockProblem[] = []
  const files = virtualFiles(root, blocks, problems)
  const byPath = new Map(files.map((f) => [f.path, f]))
  const options: ts.CompilerOptions = {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    paths: { 'fastify-password-bearer': [join(root, 'lib', 'index.ts')] }
  }
  const base = ts.createCompilerHost(options)
  const cache = new Map<string, ts.SourceFile>()
  const folders = new Set(files.flatMap((f) => {
    const parts = f.path.split('/')
    return parts.slice(1, -1).map((_, i) => parts.slice(0, i + 2).join('/'))
  }))
  const host: ts.CompilerHost = {
    ...base,
    directoryExists: (path) => folders.has(path.replace(/\/$/, '')) || (base.directoryExists?.(path) ?? ts.sys.directoryExists(path)),
    fileExists: (path) => byPath.has(path) || base.fileExists(path),
    readFile: (path) => byPath.get(path)?.text ?? base.readFile(path),
    getSourceFile: (path, language, onError) => {
      const virtual = byPath.get(path)
      if (virtual !== undefined) return ts.createSourceFile(path, virtual.text, language)
      let file = cache.get(path)
      if (file === undefined) {
        file = base.getSourceFile(path, language, onError)
        if (file !== undefined) cache.set(path, file)
      }
      return file
    }
  }

  // One program per page, and one for each block that augments a module (its merge would reach the
  // page's other blocks); a page's named files are found through the host when a block imports them.
  const groups = new Map<string, VirtualFile[]>()
  for (const file of files) {
    // The API reference's pages hold one or two short examples each: one program for all of them.
    const key = file.alone ? file.path : file.block.file.startsWith('docs/api/') ? 'docs/api/' : file.block.file
    groups.set(key, [...(groups.get(key) ?? []), file])
  }
  for (const group of groups.values()) {
    const program = ts.createProgram(group.map((f) => f.path), options, host)
    for (const diagnostic of program.getOptionsDiagnostics()) problems.push({ where: 'compiler options', message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') })
    for (const file of group) {
      const source = program.getSourceFile(file.path)!
      for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
        const at = diagnostic.file === undefined || diagnostic.start === undefined ? 0 : diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line
        const owner = diagnostic.file === undefined ? file : (byPath.get(diagnostic.file.fileName) ?? file)
        const where = at < owner.offset
          ? `${owner.block.file}:${owner.block.line} (its context comment)`
          : `${owner.block.file}:${owner.block.line + 1 + at - owner.offset}`
        problems.push({ where, message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') })
      }
    }
  }
  return problems
}
