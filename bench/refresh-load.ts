/**
 * The load of a refresh row: POST /token with `grant_type=refresh_token`, a live refresh token in
 * every request. Rotation kills a token once it is used, so no request may repeat one: before each
 * load run the runner asks the server for {@link FIRST_TOKENS} fresh tokens (new families, by real
 * logins: servers/sessions.ts), and the load generator follows each family's chain from there,
 * sending the refresh token of every answer in a later request (load.ts, `chain`). Every refresh
 * is then a real one of a live family: the run fails if any answer is not 200.
 *
 * The reference, right after in the same round: the process's bare form route, sent the same
 * bodies by the same chain-following load generator (it answers a refresh answer of the same size,
 * whose token goes round again), so the ratio is the cost of the refresh itself.
 */
import { REFRESH_TOKEN_LENGTH } from '../lib/sessions/refresh-token.js'
import type { Chain, LoadOptions } from './load.js'
import { ask, type Server } from './processes.js'
import type { Scenario } from './scenarios.js'

/** How a load run is shaped: the scenario's, without its request. */
export type RunShape = Pick<LoadOptions, 'seconds' | 'connections' | 'cpus'>

const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const BEFORE = 'grant_type=refresh_token&refresh_token='

function paths (server: Server): NonNullable<Server['ready']['refresh']> {
  const refresh = server.ready.refresh
  if (refresh === undefined) throw new Error('a refresh row needs a sessions server (kind "sessions")')
  return refresh
}

function urlOf (server: Server, path: string): string {
  return `http://127.0.0.1:${server.ready.port}${path}`
}

/** `count` live refresh tokens, each the first of a new family. */
async function freshTokens (server: Server, count: number): Promise<string[]> {
  const { tokens } = await ask<{ tokens: string[] }>(server, { type: 'refresh-tokens', count }, 'refresh-tokens')
  if (tokens.length !== count || new Set(tokens).size !== count) throw new Error(`the server handed out ${tokens.length} refresh tokens for ${count}, or some twice`)
  return tokens
}

/** Fresh families per load run: one per connection and as many spare. */
function firstCount (shape: RunShape): number {
  return 2 * shape.connections
}

function load (url: string, shape: RunShape, first: string[]): LoadOptions {
  const chain: Chain = { field: 'refresh_token', first, before: BEFORE, after: '' }
  return { ...shape, url, method: 'POST', headers: FORM, chain }
}

/** The refresh row's load: fresh families, then their chains. */
export async function refreshLoadOf (server: Server, shape: RunShape): Promise<LoadOptions> {
  return load(urlOf(server, paths(server).path), shape, await freshTokens(server, firstCount(shape)))
}

/** The same load on the bare form route, whose answers carry a token of the same length. */
export function refreshReferenceLoadOf (server: Server, shape: RunShape): LoadOptions {
  return load(urlOf(server, paths(server).barePath), shape, Array.from({ length: firstCount(shape) }, () => 'x'.repeat(REFRESH_TOKEN_LENGTH)))
}

async function refresh (url: string, token: string): Promise<{ status: number, answer: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers: FORM, body: BEFORE + token })
  return { status: response.status, answer: await response.json() as Record<string, unknown> }
}

/**
 * Before the load: a fresh token refreshes, the token it answers refreshes again, the used one is
 * refused (rotation), and the bare form route answers a body of the same keys.
 */
export async function checkRefresh (server: Server, scenario: Scenario): Promise<void> {
  const [token] = await freshTokens(server, 1) as [string]
  const url = urlOf(server, paths(server).path)
  const first = await refresh(url, token)
  const next = first.answer.refresh_token
  const problems: string[] = []
  if (first.status !== 200 || typeof next !== 'string' || typeof first.answer.access_token !== 'string') problems.push(`refresh answered ${first.status} ${JSON.stringify(first.answer)}`)
  else if ((await refresh(url, next)).status !== 200) problems.push('the rotated token did not refresh')
  const reused = await refresh(url, token)
  if (reused.status !== 400 || reused.answer.error !== 'invalid_grant') problems.push(`a used refresh token answered ${reused.status}, not 400 invalid_grant`)
  const bare = await refresh(urlOf(server, paths(server).barePath), token)
  if (bare.status !== 200 || Object.keys(bare.answer).join() !== Object.keys(first.answer).join()) problems.push(`the bare form route answered ${bare.status} ${JSON.stringify(bare.answer)}`)
  if (problems.length > 0) throw new Error(`${scenario.id}: ${problems.join('; ')}`)
}
