/**
 * The docs shipped inside the npm package (package.json `files`) work there: every relative link
 * and image points at a file the package contains, and what only the source repository has (its
 * examples/, test/, bench/ and scripts/ folders, its npm scripts) is named as the repository's,
 * never as if the reader had it. The project has no public repository address to link to (package.json
 * has no `repository` field); CONTRIBUTING.md says so and what to do when it gets one.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../', import.meta.url))

function packedFiles (): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path)
}

const packed = new Set(packedFiles())
const shipped = [...packed].filter((file) => file.endsWith('.md'))

/** Markdown text without its fenced code blocks' content (their lines become empty). */
function withoutCode (markdown: string): string {
  let inFence = false
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence
      return ''
    }
    return inFence ? '' : line
  }).join('\n')
}

t.test('the docs in the package were found', async (t) => {
  t.ok(shipped.includes('README.md'), 'README.md')
  t.ok(shipped.filter((f) => f.startsWith('docs/')).length > 10, `${shipped.length} Markdown files`)
  t.ok(shipped.includes('docs/recipes/postgres.md') && shipped.includes('docs/api/README.md'), 'the recipes and the API reference ship too')
})

/** The anchors GitHub gives a Markdown file's headings. */
function anchors (file: string): Set<string> {
  const slugs = new Set<string>()
  for (const line of withoutCode(readFileSync(join(root, file), 'utf8')).split('\n')) {
    const heading = /^#{1,6} (.*)$/.exec(line)?.[1]
    if (heading === undefined) continue
    const base = heading.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')
    let slug = base
    for (let n = 1; slugs.has(slug); n++) slug = `${base}-${n}`
    slugs.add(slug)
  }
  return slugs
}

t.test('every relative link and image of a shipped doc points into the package, at a heading that exists', async (t) => {
  const broken: string[] = []
  for (const file of shipped) {
    const text = withoutCode(readFileSync(join(root, file), 'utf8'))
    for (const match of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)|<img[^>]+src="([^"]+)"/g)) {
      const target = (match[1] ?? match[2])!
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue
      const [pathPart, anchor] = target.split('#') as [string, string | undefined]
      const path = pathPart === '' ? file : normalize(join(dirname(file), pathPart))
      if (!packed.has(path)) broken.push(`${file}: ${target}`)
      else if (anchor !== undefined && path.endsWith('.md') && !anchors(path).has(anchor)) broken.push(`${file}: ${target} (no such heading)`)
    }
  }
  t.same(broken, [], 'links to files the package does not contain, or to headings they do not have')
})

/** Whether `lines[at]` is said to be the repository's: in its paragraph, the heading above it, or the page's opening paragraph. */
function saidToBeTheRepository (lines: string[], at: number): boolean {
  const mentions = (text: string | undefined): boolean => text !== undefined && /\brepository\b/i.test(text)
  let start = at
  while (start > 0 && lines[start - 1]!.trim() !== '') start--
  let end = at
  while (end < lines.length - 1 && lines[end + 1]!.trim() !== '') end++
  if (mentions(lines.slice(start, end + 1).join(' '))) return true
  // A code block: the paragraph just before it.
  let before = start - 1
  while (before > 0 && lines[before]!.trim() === '') before--
  if (/^\s*(```|~~~)/.test(lines[start] ?? '') || /^\s*(```|~~~)/.test(lines[start - 1] ?? '')) {
    let p = before
    while (p > 0 && lines[p - 1]!.trim() !== '') p--
    if (mentions(lines.slice(p, before + 1).join(' '))) return true
  }
  for (let i = at; i >= 0; i--) {
    if (/^#{2,6} /.test(lines[i]!)) {
      if (mentions(lines[i])) return true
      break
    }
  }
  const firstHeading = lines.findIndex((l) => /^# /.test(l))
  let intro = firstHeading + 1
  while (intro < lines.length && lines[intro]!.trim() === '') intro++
  let introEnd = intro
  while (introEnd < lines.length && lines[introEnd]!.trim() !== '') introEnd++
  return /\bsource repository\b/i.test(lines.slice(intro, introEnd).join(' '))
}

t.test("what only the repository has is named as the repository's", async (t) => {
  const unqualified: string[] = []
  for (const file of shipped) {
    // HTML comments (the include and context directives of code blocks) are not shown to readers.
    const lines = readFileSync(join(root, file), 'utf8').replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' ')).split('\n')
    lines.forEach((line, i) => {
      for (const match of line.matchAll(/\b(?:examples|test|bench|scripts)\/[\w./-]*|\bnpm run [\w:-]+|\bnpm test\b/g)) {
        if (!saidToBeTheRepository(lines, i)) unqualified.push(`${file}:${i + 1}: ${match[0]}`)
      }
    })
  }
  t.same(unqualified, [], 'say "in the (source) repository" where the docs point at them')
})
