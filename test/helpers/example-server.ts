/**
 * The example server over real HTTP for end-to-end tests: `build()` from examples/app.ts with a
 * fresh SQLite database in a temporary directory, listening on 127.0.0.1 on a free port.
 */
import type { FastifyInstance } from 'fastify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from '../../examples/app.js'

/** A running example server. */
export interface ExampleServer {
  app: FastifyInstance
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  close: () => Promise<void>
}

/** The demo logins the example seeds (password "secret"). */
export const DEMO = {
  alice: { username: 'alice', password: 'secret', scopes: ['items:read', 'items:write'] },
  carol: { username: 'carol', password: 'secret', scopes: ['items:read'] },
  bob: { username: 'bob', password: 'secret', scopes: ['items:read'] }
} as const

/** Starts the example; `close()` stops it and deletes its database. */
export async function startExample (): Promise<ExampleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'fpb-example-'))
  let app: FastifyInstance
  try {
    app = await build({ dbPath: join(dir, 'example.db'), secret: 'an-end-to-end-test-secret-of-32-bytes+', logger: false })
    await app.listen({ host: '127.0.0.1', port: 0 })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  const address = app.server.address()
  if (address === null || typeof address !== 'object') throw new Error('the example server has no TCP address')
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await app.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
