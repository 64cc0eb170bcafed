/**
 * Login timings with legacy hashes: `npx tsx bench/legacy-timing.ts [--rounds 20] [--cost 12]`.
 * In one process, through inject: the median time of each kind of refused login (unknown user,
 * wrong password on an argon2 hash and on a bcrypt hash, disabled user, user without a hash), once
 * without legacy verifiers and once with bcryptVerifier() at the table's cost; and what one argon2
 * and one bcrypt verification cost alone, the difference an attacker would see if an unknown user
 * cost only the argon2 dummy. The kinds are interleaved, in an order that turns each round, and
 * warm-up rounds are dropped. Prints markdown for docs/security.md; asserts nothing.
 */
import argon2 from 'argon2'
import bcrypt from 'bcrypt'
import Fastify, { type FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import fastifyPasswordBearer, { bcryptVerifier, hashPassword, type PasswordVerifier, type StoredUser } from '../lib/index.js'

const PASSWORD = 'correct horse battery staple'
const WRONG = 'correct horse battery stapler'
const WARM_UP = 3

function flag (name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function timed (task: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  await task()
  return Number(process.hrtime.bigint() - start) / 1e6
}

/** Medians in ms of each task, run `rounds` times interleaved (plus the warm-up rounds). */
async function interleaved (tasks: Record<string, () => Promise<unknown>>, rounds: number): Promise<Record<string, number>> {
  const names = Object.keys(tasks)
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < WARM_UP + rounds; round++) {
    const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)]
    for (const name of order) {
      const ms = await timed(tasks[name] as () => Promise<unknown>)
      if (round >= WARM_UP) (samples[name] as number[]).push(ms)
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n] as number[])]))
}

async function app (users: Map<string, StoredUser>, legacyVerifiers: PasswordVerifier[]): Promise<FastifyInstance> {
  const instance = Fastify()
  await instance.register(fastifyPasswordBearer, {
    secret: randomBytes(32),
    rateLimit: false,
    legacyVerifiers,
    users: { findByUsername: (username) => users.get(username) ?? null }
  })
  await instance.ready()
  return instance
}

function refusal (instance: FastifyInstance, username: string, password: string) {
  return async () => {
    const res = await instance.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username, password }).toString()
    })
    if (res.statusCode !== 400) throw new Error(`${username}: expected 400, got ${res.statusCode} ${res.body}`)
  }
}

async function main (): Promise<void> {
  const rounds = flag('--rounds', 20)
  const cost = flag('--cost', 12)
  const argonHash = await hashPassword(PASSWORD)
  const bcryptHash = await bcrypt.hash(PASSWORD, cost)
  const users = new Map<string, StoredUser>([
    ['argon2-user', { id: '1', username: 'argon2-user', passwordHash: argonHash }],
    ['bcrypt-user', { id: '2', username: 'bcrypt-user', passwordHash: bcryptHash }],
    ['disabled', { id: '3', username: 'disabled', passwordHash: bcryptHash, disabled: true }],
    ['no-hash', { id: '4', username: 'no-hash', passwordHash: null }]
  ])

  const alone = await interleaved({
    'one argon2 verification': () => argon2.verify(argonHash, WRONG),
    [`one bcrypt verification (cost ${cost})`]: () => bcrypt.compare(WRONG, bcryptHash)
  }, rounds)

  const without = await app(users, [])
  const withBcrypt = await app(users, [bcryptVerifier({ rounds: cost })])
  const kinds = (instance: FastifyInstance, bcryptUsers: boolean) => ({
    'unknown user': refusal(instance, 'nobody', WRONG),
    'wrong password, argon2 hash': refusal(instance, 'argon2-user', WRONG),
    ...(bcryptUsers
      ? { [`wrong password, bcrypt hash (cost ${cost})`]: refusal(instance, 'bcrypt-user', WRONG), 'disabled user (bcrypt hash)': refusal(instance, 'disabled', PASSWORD) }
      : {}),
    'user without a hash': refusal(instance, 'no-hash', PASSWORD)
  })
  const today = await interleaved(kinds(without, false), rounds)
  const legacy = await interleaved(kinds(withBcrypt, true), rounds)
  await without.close()
  await withBcrypt.close()

  const table = (title: string, medians: Record<string, number>): string => {
    const values = Object.values(medians)
    return [`| ${title} | median (ms) |`, '| --- | --- |',
      ...Object.entries(medians).map(([name, ms]) => `| ${name} | ${ms.toFixed(1)} |`),
      `| max/min | ${(Math.max(...values) / Math.min(...values)).toFixed(2)} |`].join('\n')
  }
  console.log(`${rounds} rounds after ${WARM_UP} of warm-up, Node ${process.version}\n`)
  console.log(table('verification alone', alone) + '\n')
  console.log(table('refused login, no legacyVerifiers', today) + '\n')
  console.log(table(`refused login, legacyVerifiers: [bcryptVerifier({ rounds: ${cost} })]`, legacy))
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
