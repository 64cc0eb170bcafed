/**
 * docs/curl.md, executed: every ```sh block runs in bash with real curl against a fresh example
 * server, in order, and each `# -> <status> [text]` line is checked against the response.
 * Shell variables a block assigns (TOKEN=..., REFRESH=...) are handed to the blocks after it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startExample } from '../helpers/example-server.js'
import { REPO } from '../helpers/pack.js'
import { cleanEnv, run } from '../helpers/process.js'

const DOC = join(REPO, 'docs', 'curl.md')
/** The address the walkthrough is written for: `npm run example`'s default. */
const DOC_BASE = 'http://127.0.0.1:3000'

interface Step {
  /** 1-based line of the block's first command in the markdown file. */
  line: number
  script: string
  expect: { status: number, text: string | null } | null
  assigns: string[]
}

/** The ```sh blocks of the walkthrough, in order. */
function readSteps (markdown: string): Step[] {
  const steps: Step[] = []
  const fence = /^```sh\n([^]*?)^```$/gm
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    const body = match[1] as string
    const line = markdown.slice(0, match.index).split('\n').length + 1
    const markers = [...body.matchAll(/^# -> (\d{3})(?: (.*))?$/gm)]
    if (markers.length > 1) throw new Error(`docs/curl.md:${line}: one "# -> <status>" line per block`)
    const marker = markers[0]
    steps.push({
      line,
      script: body,
      expect: marker === undefined ? null : { status: Number(marker[1]), text: marker[2] ?? null },
      assigns: [...body.matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1] as string)
    })
  }
  return steps
}

const curlMissing = (await run('curl', ['--version'], { timeout: 10_000 }).catch(() => null))?.code !== 0
if (curlMissing && process.env.CI === 'true') t.fail('curl is required in CI (.ci/run installs it with apt)')

t.test('every command of docs/curl.md gets the documented status', { skip: curlMissing ? 'skipped: curl is not installed' : false }, async (t) => {
  const steps = readSteps(readFileSync(DOC, 'utf8'))
  const checked = steps.filter((step) => step.expect !== null)
  t.ok(checked.length >= 15, `the walkthrough checks ${checked.length} commands`)
  t.same([...new Set(checked.map((step) => step.expect?.status))].sort(), [200, 201, 204, 400, 401, 403, 405],
    'it shows success, creation, an empty answer, and every error status')
  for (const step of checked) {
    t.equal(step.script.match(/\bcurl\b/g)?.length, 1, `docs/curl.md:${step.line} has one curl command`)
    t.match(step.script, /\bcurl -si\b/, `docs/curl.md:${step.line} prints the status line (curl -si)`)
  }

  const server = await startExample()
  t.teardown(server.close)
  const vars: Record<string, string> = {}

  for (const step of steps) {
    const script = [
      'set -euo pipefail',
      step.script.split(DOC_BASE).join(server.url),
      ...step.assigns.map((name) => `printf '\\n@@var %s=%s\\n' ${name} "$${name}"`)
    ].join('\n')
    const result = await run('bash', ['-c', script], { env: cleanEnv(vars), timeout: 30_000 })
    const where = `docs/curl.md:${step.line}`
    if (result.code !== 0) {
      t.fail(`${where} exits with 0`, { stdout: result.stdout, stderr: result.stderr, code: result.code })
      continue
    }
    for (const [, name, value] of result.stdout.matchAll(/^@@var ([A-Z_][A-Z0-9_]*)=(.*)$/gm)) {
      if (name?.includes('REFRESH') === true) t.match(value, /^[\w-]{67}$/, `${where} sets ${name} to a refresh token`)
      else t.match(value, /^[\w-]+\.[\w-]+\.[\w-]+$/, `${where} sets ${name} to an access token`)
      vars[name as string] = value as string
    }
    if (step.expect === null) continue
    const statuses = [...result.stdout.matchAll(/^HTTP\/[\d.]+ (\d{3})/gm)].map((m) => Number(m[1]))
    t.equal(statuses.at(-1), step.expect.status, `${where} answers ${step.expect.status}`)
    if (step.expect.text !== null) {
      t.ok(result.stdout.includes(step.expect.text), `${where} response contains ${step.expect.text}`, { response: result.stdout })
    }
  }
})
