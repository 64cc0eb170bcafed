/**
 * One benchmark server, run in its own process by bench/run.ts (so the load generator never shares
 * its event loop). Every variant answers GET /resource with the same JSON, and GET /bare with the
 * same JSON and no hook at all: the reference each scenario is compared with inside its own process.
 * The kind of server and its options arrive as a JSON argument. It reports its port and the tokens
 * a load generator needs over IPC, and its RSS when asked (a sessions server also hands out live
 * refresh tokens when asked: servers/sessions.ts).
 */
import { knownUsers, sameShape, signTokens } from './tokens.js'
import { BARE_PATH, SECRET, USERNAME, type Built, type ReadyMessage, type ServerConfig, type ServerKind } from './servers/common.js'
import { bare, bearerAuthPeer, busy, fastifyJwtPeer, noopHook } from './servers/peers.js'
import { example, plugin } from './servers/plugin.js'
import { resource } from './servers/resource.js'
import { sessions } from './servers/sessions.js'

async function main (): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{"kind":"bare"}') as ServerConfig
  const builders: Record<ServerKind, (config: ServerConfig) => Promise<Built>> = {
    bare, 'noop-hook': noopHook, plugin, 'fastify-jwt': fastifyJwtPeer, 'bearer-auth': bearerAuthPeer, busy, example, resource, sessions
  }
  const built = await builders[config.kind](config)
  const { app } = built
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  const ready: ReadyMessage = { type: 'ready', port, path: built.path ?? '/resource', barePath: BARE_PATH, headers: built.headers }
  if (built.loginBody !== undefined) ready.loginBody = built.loginBody
  if (built.refresh !== undefined) ready.refresh = built.refresh
  if (config.tokens !== undefined) {
    ready.tokens = signTokens(SECRET, knownUsers(config.tokens, USERNAME))
    // The plugin's own token (alice's, from its login) has the same header and claims as alice's here.
    const issued = built.headers.valid
    if (config.kind === 'plugin' && issued !== undefined) sameShape(issued, ready.tokens[0] as string)
  }
  process.on('message', (message: { type?: string }) => {
    if (message.type === 'rss') process.send?.({ type: 'rss', rss: process.memoryUsage().rss })
    if (message.type === 'close') {
      app.close().then(() => process.exit(0), () => process.exit(1))
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send?.(ready)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
