/**
 * argon2 alone: how many password verifications per second this machine does at the plugin's
 * parameters and a given concurrency, with no HTTP around them. Run in its own process by
 * bench/run.ts; answers over IPC.
 */
import argon2 from 'argon2'
import { DEFAULT_HASH_OPTIONS, hashPassword } from '../lib/index.js'

async function main (): Promise<void> {
  const concurrency = Number(process.argv[2] ?? '2')
  const seconds = Number(process.argv[3] ?? '1')
  const password = 'correct horse battery staple'
  const hash = await hashPassword(password, DEFAULT_HASH_OPTIONS)
  await argon2.verify(hash, password) // warm-up

  process.send?.({ type: 'started' })
  let done = 0
  const deadline = Date.now() + seconds * 1000
  const start = process.hrtime.bigint()
  async function worker (): Promise<void> {
    while (Date.now() < deadline) {
      if (!(await argon2.verify(hash, password))) throw new Error('argon2.verify refused the right password')
      done++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9
  process.send?.({ type: 'argon2', perSecond: done / elapsed, msPerVerify: (elapsed * 1000 * concurrency) / done })
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err)
  process.exit(1)
})
