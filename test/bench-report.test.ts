/**
 * The benchmark report's line on the 10,000 distinct tokens: the plugin's row as a share of the
 * hand-written limit measured beside it, from the rows of a committed run.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { limitNote, type Row } from '../bench/report.js'

const { rows } = JSON.parse(readFileSync(new URL('../bench/results/2026-12-01-many-tokens-2.json', import.meta.url), 'utf8')) as { rows: Row[] }

t.test('the plugin against the hand-written limit, in req/s and as a share', async (t) => {
  const plugin = rows.find((r) => r.id === 'valid-many-tokens') as Row
  const limit = rows.find((r) => r.id === 'bare-hmac-many-tokens') as Row
  t.same(limitNote([{ ...plugin, perSecond: 15_000 }, { ...limit, perSecond: 20_000 }]),
    ['- 10,000 distinct tokens: the plugin served 15,000 req/s, 75 % of the 20,000 req/s of the hand-written HMAC check in the same process.'])
  t.match(limitNote(rows)[0], /^- 10,000 distinct tokens: the plugin served [\d,]+ req\/s, \d+ % of the [\d,]+ req\/s/)
})

t.test('no line without both rows', async (t) => {
  t.same(limitNote(rows.filter((r) => r.id !== 'bare-hmac-many-tokens')), [])
  t.same(limitNote(rows.filter((r) => r.id !== 'valid-many-tokens')), [])
})
