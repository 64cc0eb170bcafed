/**
 * The "many distinct tokens" scenarios' tokens: live access tokens signed the way the plugin's
 * token endpoint signs them (the same header and claims, in the same order, with its default
 * issuer, audience, client id and lifetime), one per user the server knows. bench/server.ts signs
 * them at startup with its key and hands them to the runner.
 */
import { randomBytes } from 'node:crypto'
import { readKey, type SigningKey } from '../lib/access-token/keys.js'
import { DEFAULTS } from '../lib/options.js'
import { TOKEN_TTL } from './servers/common.js'

export interface BenchUser { id: string, username: string }

/** `count` users: `first` (id u1), then user2 (u2), user3 (u3)... */
export function knownUsers (count: number, first: string): BenchUser[] {
  return Array.from({ length: count }, (_, i) => ({ id: `u${i + 1}`, username: i === 0 ? first : `user${i + 1}` }))
}

/** An Authorization header value per user, each token with its own `sub`, `preferred_username` and `jti`. */
export function signTokens (key: Buffer, users: BenchUser[]): string[] {
  // The plugin's own HS256 key for this secret: the same header (kid included) as the token route's.
  const { sign } = readKey({ secret: key }) as SigningKey
  const iat = Math.floor(Date.now() / 1000)
  return users.map((user) => 'Bearer ' + sign({
    iss: DEFAULTS.issuer,
    sub: user.id,
    aud: DEFAULTS.audience,
    iat,
    exp: iat + TOKEN_TTL,
    jti: randomBytes(16).toString('base64url'),
    client_id: DEFAULTS.clientId,
    scope: 'items:read',
    preferred_username: user.username
  }))
}

/** The token's header segment and its claims, in order, with the lifetime for the times and the `jti`'s length. */
function shapeOf (token: string): string {
  const [header, payload] = token.replace(/^Bearer /, '').split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>
  return `${header} ${JSON.stringify({ ...claims, iat: 0, exp: Number(claims.exp) - Number(claims.iat), jti: String(claims.jti).length })}`
}

/**
 * Throws unless the two tokens, one issued by the plugin and one signed here for the same user,
 * have the same header and the same claims in the same order (times and `jti` aside): when the
 * plugin changes what it issues, this file must follow.
 */
export function sameShape (issued: string, signed: string): void {
  if (shapeOf(issued) !== shapeOf(signed)) {
    throw new Error(`bench/tokens.ts signs ${shapeOf(signed)}, the plugin issues ${shapeOf(issued)}`)
  }
}
