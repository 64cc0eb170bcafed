/**
 * Starts the example server: `npm run example`, then open http://127.0.0.1:3000 (Swagger UI).
 * Environment: HOST (127.0.0.1), PORT (3000), EXAMPLE_DB (<repo>/example.db), JWT_SECRET (random),
 * JWT_ALGORITHM (HS256, or EdDSA), ISSUER (http://127.0.0.1:3000), CORS_ORIGINS,
 * REDIS_URL (none: sessions and login counters in this process), and the time limits and connection cap of examples/config.ts (HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS,
 * KEEP_ALIVE_TIMEOUT_MS, CONNECTIONS_CHECKING_INTERVAL_MS, MAX_CONNECTIONS); see docs/example.md.
 */
import { build } from './app.js'
import { dbPathFromEnv, DEMO_USERS } from './config.js'
import { redisUrlFromEnv } from './redis.js'
import { issuerFromEnv } from './signing-key.js'

function portFromEnv (value: string | undefined): number {
  if (value === undefined || value === '') return 3000
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`)
  }
  return port
}

function urlHost (host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

async function main (): Promise<void> {
  const host = process.env.HOST === undefined || process.env.HOST === '' ? '127.0.0.1' : process.env.HOST
  const port = portFromEnv(process.env.PORT)
  const dbPath = dbPathFromEnv()

  const app = await build({ dbPath, logger: true })

  let closing = false
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting without waiting')
      process.exit(1)
    }
    closing = true
    app.log.info({ signal }, 'closing the server')
    app.close().then(() => process.exit(0), (err: unknown) => {
      app.log.error({ err }, 'error while closing')
      process.exit(1)
    })
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)

  await app.listen({ host, port })
  const address = app.server.address()
  const actualPort = typeof address === 'object' && address !== null ? address.port : port
  const base = `http://${urlHost(host)}:${actualPort}`
  const logins = DEMO_USERS.map((u) => `  ${u.username} / ${u.password}  ${u.disabled ? '(disabled: login refused)' : u.scopes.join(' ')}`)
  process.stdout.write([
    '',
    `Swagger UI:   ${base}/docs   (OpenAPI JSON: ${base}/docs/json)`,
    `Database:     ${dbPath}`,
    `Issuer:       ${issuerFromEnv(process.env)}   (metadata: /.well-known/oauth-authorization-server)`,
    // Not the URL itself: it may hold a password.
    `Sessions:     ${redisUrlFromEnv() !== undefined ? 'in Redis (REDIS_URL), shared with every instance using it' : 'in this process (set REDIS_URL to share them between instances)'}`,
    'Demo logins (click Authorize in Swagger UI; leave client_id and client_secret empty):',
    ...logins,
    `Try:          curl -s -d grant_type=password -d username=alice -d password=secret ${base}/token`,
    'Stop with Ctrl+C.',
    ''
  ].join('\n') + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`example server: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
