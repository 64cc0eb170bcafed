/**
 * Scope strings (RFC 6749 §3.3): parsing a requested `scope` parameter and deciding what is granted.
 */

// scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/** True when `value` is a valid RFC 6749 scope-token. */
export function isScopeToken (value: string): boolean {
  return SCOPE_TOKEN.test(value)
}

/**
 * Splits a space-delimited scope string. Returns `null` when a token has characters outside the
 * RFC 6749 scope-token set. Empty strings and runs of spaces give no tokens; duplicates are dropped.
 *
 * @example parseScope('items:read  items:write') // ['items:read', 'items:write']
 */
export function parseScope (value: string): string[] | null {
  const out: string[] = []
  for (const part of value.split(' ')) {
    if (part.length === 0) continue
    if (!SCOPE_TOKEN.test(part)) return null
    if (!out.includes(part)) out.push(part)
  }
  return out
}

/** Outcome of {@link grantScopes}. */
export type ScopeGrant =
  | { ok: true, scopes: string[] }
  | { ok: false, reason: 'unknown' | 'none_held' }

/**
 * Decides the scopes a token carries: only known scopes the user holds. With no request, all of the
 * user's known scopes. With a request, an unknown scope fails (`unknown`), known scopes the user
 * lacks are dropped, and an empty result fails (`none_held`).
 */
export function grantScopes (
  requested: string[] | null,
  userScopes: readonly string[],
  known: ReadonlySet<string>
): ScopeGrant {
  if (requested === null || requested.length === 0) {
    return { ok: true, scopes: userScopes.filter((s, i) => known.has(s) && userScopes.indexOf(s) === i) }
  }
  for (const scope of requested) {
    if (!known.has(scope)) return { ok: false, reason: 'unknown' }
  }
  const granted = requested.filter((s) => userScopes.includes(s))
  if (granted.length === 0) return { ok: false, reason: 'none_held' }
  return { ok: true, scopes: granted }
}
