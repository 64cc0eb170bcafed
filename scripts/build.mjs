// Builds dist/esm (ES modules) and dist/cjs (CommonJS) from lib/, each with its own .d.ts files,
// so that `import` and `require` consumers both get code and types of their own module format.
import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const run = (args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' })

rmSync('dist', { recursive: true, force: true })
// Source maps carry their sources (--inlineSources): lib/ is not published, and a map pointing at
// missing files makes bundlers and debuggers warn in every app that installs the package.
run(['-p', 'tsconfig.build.json', '--outDir', 'dist/esm', '--inlineSources'])
run([
  '-p', 'tsconfig.build.json', '--outDir', 'dist/cjs', '--inlineSources',
  '--module', 'commonjs', '--moduleResolution', 'node10', '--verbatimModuleSyntax', 'false'
])
for (const [dir, type] of [['dist/esm', 'module'], ['dist/cjs', 'commonjs']]) {
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type }) + '\n')
}
