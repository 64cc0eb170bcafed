/**
 * The physical limit of checking a token, hand-written and without a cache: split it, HMAC-SHA256
 * of header.payload compared with the signature, JSON.parse of the payload, `exp` in the future.
 * The benchmark's "limit" rows run it over HTTP (servers/peers.ts) and in one process (micro.ts).
 */
import { createHmac } from 'node:crypto'

export function handWrittenCheck (secret: Buffer, token: string): boolean {
  const parts = token.split('.')
  if (parts.length !== 3) return false
  const [head, payload, signature] = parts as [string, string, string]
  if (createHmac('sha256', secret).update(`${head}.${payload}`).digest('base64url') !== signature) return false
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: unknown }).exp
    return typeof exp === 'number' && exp > Date.now() / 1000
  } catch {
    return false
  }
}
