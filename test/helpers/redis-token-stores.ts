/**
 * Redis token stores for tests: each with a prefix of its own on a shared private server or
 * cluster, its content readable as text, and everything it wrote deleted when it is closed.
 */
import { randomBytes } from 'node:crypto'
import { Cluster, Redis } from 'ioredis'
import { RedisTokenStore, type RedisTokenStoreOptions } from '../../lib/stores/redis-token-store.js'
import type { StoreUnderTest } from './token-store-contract.js'

/** Every key under `prefix` on one Redis node, with its value, as text. */
async function dumpNode (node: Redis, prefix: string): Promise<string[]> {
  const lines: string[] = []
  for (const key of (await node.keys(`${prefix}*`)).sort()) {
    const type = await node.type(key)
    const value = type === 'hash'
      ? await node.hgetall(key)
      : type === 'zset' ? await node.zrange(key, '0', '-1', 'WITHSCORES') : await node.get(key)
    lines.push(`${key} ${JSON.stringify(value)}`)
  }
  return lines
}

/** The masters of a cluster client, or the client itself. */
export function nodesOf (client: Redis | Cluster): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client]
}

/** Everything under `prefix`, over every node of the client. */
export async function dump (client: Redis | Cluster, prefix: string): Promise<string> {
  const lines: string[] = []
  for (const node of nodesOf(client)) lines.push(...await dumpNode(node, prefix))
  return lines.join('\n')
}

/** A fresh prefix, so that stores of different tests never meet. */
export function freshPrefix (): string {
  return `t-${randomBytes(6).toString('base64url')}:`
}

/**
 * A store on a new client made by `connect`, for the contract suite: `close()` closes the store and
 * the client and deletes its keys.
 */
export async function openStore (connect: () => Redis | Cluster, options: Partial<RedisTokenStoreOptions> = {}): Promise<StoreUnderTest & { client: Redis | Cluster, prefix: string }> {
  const client = connect()
  client.on('error', () => {})
  const prefix = options.prefix ?? freshPrefix()
  const store = new RedisTokenStore({ client, prefix, ...options })
  return {
    store,
    client,
    prefix,
    content: () => dump(client, prefix),
    close: async () => {
      store.close()
      for (const node of nodesOf(client)) {
        // One by one: on a cluster node, a multi-key DEL must stay within one slot.
        for (const key of await node.keys(`${prefix}*`)) await node.del(key)
      }
      client.disconnect()
    }
  }
}
