/**
 * Every Mermaid diagram of the docs (README.md's sequence diagram of the flow, ...) is one GitHub
 * can draw: the Mermaid library parses and renders each in Chromium, as GitHub's renderer does.
 * (A `;` in a message, say, ends the statement and the diagram shows an error box instead.)
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { docFiles, parseBlocks } from '../scripts/docs/blocks.js'
import { chromiumMissing, launchChromium } from './helpers/browser.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const diagrams = docFiles(root).flatMap((file) => parseBlocks(file, readFileSync(root + file, 'utf8'))).filter((b) => b.lang === 'mermaid')
const mermaidScript = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js')

t.test('the docs have a sequence diagram of the flow', async (t) => {
  t.ok(diagrams.some((d) => d.file === 'README.md' && d.code.startsWith('sequenceDiagram')), 'in README.md')
})

t.test('Mermaid draws every diagram', { skip: chromiumMissing() ?? false }, async (t) => {
  const browser = await launchChromium()
  t.teardown(browser.close)
  const page = await browser.context.newPage()
  await page.setContent('<!doctype html><body></body>')
  await page.addScriptTag({ path: mermaidScript })
  for (const [i, diagram] of diagrams.entries()) {
    const outcome = await page.evaluate(async ({ text, id }) => {
      const mermaid = (window as unknown as { mermaid: { initialize (o: object): void, render (id: string, text: string): Promise<{ svg: string }> } }).mermaid
      mermaid.initialize({ startOnLoad: false })
      try {
        const { svg } = await mermaid.render(id, text)
        return svg.includes('<svg') ? 'drawn' : 'no svg'
      } catch (err) {
        return `error: ${String(err)}`
      }
    }, { text: diagram.code, id: `diagram${i}` })
    t.equal(outcome, 'drawn', `${diagram.file}:${diagram.line}`)
  }
})
