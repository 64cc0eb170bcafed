/**
 * The public entry's exported symbols and what their TSDoc comments hold, read with the TypeScript
 * compiler: the test that every export has an `@example` uses it.
 */
import { join } from 'node:path'
import ts from 'typescript'

export interface ExportedSymbol {
  name: string
  /** Where it is declared, relative to the root. */
  file: string
  /** Whether its TSDoc comment has an `@example` block. */
  hasExample: boolean
}

/** Every export of `lib/index.ts` (the default one aside: it is `fastifyPasswordBearer`). */
export function exportedSymbols (root: string): ExportedSymbol[] {
  const entry = join(root, 'lib', 'index.ts')
  const program = ts.createProgram([entry], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, types: ['node'] })
  const checker = program.getTypeChecker()
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!
  return checker.getExportsOfModule(module)
    .filter((symbol) => symbol.name !== 'default')
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      const declarations = target.declarations ?? []
      const hasExample = declarations.some((d) => {
        const node = ts.isVariableDeclaration(d) ? d.parent.parent : d
        return ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'example') ||
          ts.getJSDocCommentsAndTags(node).some((c) => ts.isJSDoc(c) && (c.tags ?? []).some((tag) => tag.tagName.text === 'example'))
      })
      return { name: symbol.name, file: declarations[0]?.getSourceFile().fileName.slice(root.length) ?? '?', hasExample }
    })
}
