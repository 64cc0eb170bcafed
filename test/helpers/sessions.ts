// Helpers of the session tests: an app with refresh tokens on over an instrumented token store
// (every call recorded, the clock it is given moved forward, failures on demand).
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { FastifyPasswordBearerOptions, StoredUser, TokenResponse } from '../../lib/index.js'
import { MemoryTokenStore } from '../../lib/stores/memory-token-store.js'
import type { TokenStore } from '../../lib/stores/token-store.js'
import { buildApp, FORM, tokenRequest } from '../support.js'

/** Which argument of each method is the caller's `now`. */
const NOW_ARGUMENT: Partial<Record<keyof TokenStore, number>> = {
  findFamily: 1, rotate: 2, revokeFamily: 1, revokeAccessToken: 2, loadRevocations: 0
}

export interface Instrumented {
  store: TokenStore
  /** The store under the instrumentation. */
  inner: MemoryTokenStore
  /** Every call, as [method, ...arguments]. */
  calls: unknown[][]
  /** Moves the clock the store is given forward (ms). */
  later: (ms: number) => void
  /** From now on, calls reject (`'reject'`), never settle (`'hang'`), or work (`'ok'`). */
  mode: (mode: 'ok' | 'reject' | 'hang') => void
}

export function instrumentedStore (inner = new MemoryTokenStore()): Instrumented {
  const calls: unknown[][] = []
  let offset = 0
  let mode: 'ok' | 'reject' | 'hang' = 'ok'
  const store = new Proxy(inner, {
    get (target, name: string) {
      const value = Reflect.get(target, name) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push([name, ...args])
        const index = NOW_ARGUMENT[name as keyof TokenStore]
        if (index !== undefined) args[index] = (args[index] as number) + offset
        if (name !== 'onRevocation' && mode === 'reject') return Promise.reject(new Error('connect ECONNREFUSED redis.internal:6379'))
        if (name !== 'onRevocation' && mode === 'hang') return new Promise(() => {})
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  }) as unknown as TokenStore
  return { store, inner, calls, later: (ms) => { offset += ms }, mode: (m) => { mode = m } }
}

export interface SessionApp {
  app: FastifyInstance
  users: Map<string, StoredUser>
  tokens: Instrumented
}

/** The test app with refresh tokens on, over an instrumented memory store. */
export async function sessionApp (options: Partial<FastifyPasswordBearerOptions> = {}, tokens = instrumentedStore()): Promise<SessionApp> {
  const { app, users } = await buildApp({ refreshTokens: true, tokenStore: tokens.store, rateLimit: false, ...options })
  return { app, users, tokens }
}

export async function passwordLogin (app: FastifyInstance, username = 'alice', extra = ''): Promise<TokenResponse> {
  const res = await tokenRequest(app, `grant_type=password&username=${username}&password=secret${extra}`)
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return res.json() as TokenResponse
}

export function refresh (app: FastifyInstance, refreshToken: string, extra = ''): Promise<LightMyRequestResponse> {
  return tokenRequest(app, `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}${extra}`)
}

export function revoke (app: FastifyInstance, body: string, headers: Record<string, string> = {}, url = '/revoke'): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, payload: body, headers: { ...FORM, ...headers } })
}

export async function me (app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> {
  return app.inject({ url: '/me', headers: { authorization: `Bearer ${accessToken}` } })
}

/** A TokenStore that delegates to `store`, with some methods replaced. */
export function overriding (store: MemoryTokenStore, overrides: Partial<Record<keyof TokenStore, unknown>>): TokenStore {
  const methods = ['createFamily', 'findFamily', 'rotate', 'revokeFamily', 'revokeAccessToken', 'revokeUser', 'loadRevocations', 'onRevocation'] as const
  const delegate = Object.fromEntries(methods.map((name) => [name, (store[name] as (...a: unknown[]) => unknown).bind(store)]))
  return { ...delegate, ...overrides } as unknown as TokenStore
}
