/**
 * Starts the example resource server: `npm run example:resource-server`, next to
 * `JWT_ALGORITHM=EdDSA npm run example`, then open http://127.0.0.1:3001 (Swagger UI).
 * Environment: HOST (127.0.0.1), PORT (3001), ISSUER_URL (http://127.0.0.1:3000: the example
 * server's ISSUER), RESOURCE_URL (http://127.0.0.1:3001); see docs/example.md.
 */
import { build } from './resource-app.js'
import { DEFAULT_ISSUER } from './signing-key.js'

function portFromEnv (value: string | undefined): number {
  if (value === undefined || value === '') return 3001
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`)
  return port
}

async function main (): Promise<void> {
  const host = process.env.HOST === undefined || process.env.HOST === '' ? '127.0.0.1' : process.env.HOST
  const port = portFromEnv(process.env.PORT)
  const app = await build({ logger: true })
  const shutdown = (): void => { app.close().then(() => process.exit(0), () => process.exit(1)) }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  await app.listen({ host, port })
  const address = app.server.address()
  const actualPort = typeof address === 'object' && address !== null ? address.port : port
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`
  process.stdout.write([
    '',
    `Resource server Swagger UI: ${base}/docs   (GET /reports needs items:read)`,
    `Issuer: ${process.env.ISSUER_URL === undefined || process.env.ISSUER_URL === '' ? DEFAULT_ISSUER : process.env.ISSUER_URL} (start it with JWT_ALGORITHM=EdDSA npm run example)`,
    'Stop with Ctrl+C.',
    ''
  ].join('\n') + '\n')
}

main().catch((err: unknown) => {
  process.stderr.write(`example resource server: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
