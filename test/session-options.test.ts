// The session options: defaults, what turns what on, and the refusals.
import Fastify from 'fastify'
import t from 'tap'
import fastifyPasswordBearer, { MemoryTokenStore, type FastifyPasswordBearerOptions } from '../lib/index.js'
import { resolveSessionOptions, SESSION_DEFAULTS } from '../lib/sessions/session-options.js'
import { SECRET } from './support.js'

const users = { findByUsername: async () => null }

async function register (options: Record<string, unknown>): Promise<{ code?: string, message?: string } | undefined> {
  const app = Fastify()
  try {
    await app.register(fastifyPasswordBearer, { secret: SECRET, users, ...options } as FastifyPasswordBearerOptions)
    await app.ready()
    return undefined
  } catch (err) {
    return err as { code?: string, message?: string }
  } finally {
    await app.close()
  }
}

t.test('off unless refreshTokens or revocation is set', async (t) => {
  t.equal(resolveSessionOptions({}, '/token'), undefined)
  t.equal(resolveSessionOptions({ refreshTokens: false, revocation: false }, '/token'), undefined)
})

t.test('refreshTokens: true gives 30 days, 7 days idle, /revoke, a memory store, 2 s', async (t) => {
  const resolved = resolveSessionOptions({ refreshTokens: true }, '/token')
  t.same(resolved?.refresh, { absoluteTtl: 2_592_000, idleTtl: 604_800 })
  t.equal(resolved?.revokeUrl, '/revoke')
  t.ok(resolved?.store instanceof MemoryTokenStore)
  t.equal(resolved?.storeTimeout, 2000)
  t.same(SESSION_DEFAULTS, { absoluteTtl: 2_592_000, idleTtl: 604_800, revokeUrl: '/revoke', tokenStoreTimeout: 2000 })
})

t.test('lifetimes, path, store and timeout can be set; a short absoluteTtl shortens the default idleTtl', async (t) => {
  const store = new MemoryTokenStore()
  const resolved = resolveSessionOptions({ refreshTokens: { absoluteTtl: 3600, idleTtl: 600 }, revokeUrl: '/logout', tokenStore: store, tokenStoreTimeout: 100 }, '/token')
  t.same(resolved?.refresh, { absoluteTtl: 3600, idleTtl: 600 })
  t.equal(resolved?.revokeUrl, '/logout')
  t.equal(resolved?.store, store)
  t.equal(resolved?.storeTimeout, 100)
  t.same(resolveSessionOptions({ refreshTokens: { absoluteTtl: 86_400 } }, '/token')?.refresh, { absoluteTtl: 86_400, idleTtl: 86_400 })
  t.same(resolveSessionOptions({ revocation: true }, '/token')?.refresh, undefined, 'revocation alone')
})

t.test('bad session options fail registration with FST_PWB_INVALID_OPTION naming the option', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['refreshTokens', { refreshTokens: 'yes' }],
    ['refreshTokens', { refreshTokens: null }],
    ['refreshTokens.absoluteTtl', { refreshTokens: { absoluteTtl: 10 } }],
    ['refreshTokens.idleTtl', { refreshTokens: { idleTtl: '1h' } }],
    ['refreshTokens.idleTtl', { refreshTokens: { absoluteTtl: 3600, idleTtl: 7200 } }],
    ['refreshTokens.idelTtl', { refreshTokens: { idelTtl: 600 } }],
    ['revocation', { revocation: 'on' }],
    ['revocation', { refreshTokens: true, revocation: false }],
    ['revokeUrl', { revocation: true, revokeUrl: 'revoke' }],
    ['revokeUrl', { revocation: true, revokeUrl: '/token' }],
    ['revokeUrl', { revokeUrl: '/logout' }],
    ['tokenStore', { tokenStore: new MemoryTokenStore() }],
    ['tokenStore', { revocation: true, tokenStore: {} }],
    ['tokenStore', { revocation: true, tokenStore: { ...new MemoryTokenStore() } }],
    ['tokenStoreTimeout', { revocation: true, tokenStoreTimeout: 0 }],
    ['tokenStoreTimeout', { tokenStoreTimeout: 100 }]
  ]
  for (const [option, options] of cases) {
    const err = await register(options)
    t.equal(err?.code, 'FST_PWB_INVALID_OPTION', option)
    t.match(err?.message, `"${option}"`, `the message names ${option}`)
  }
})

t.test('a bad MemoryTokenStore bound is refused at construction', async (t) => {
  t.throws(() => new MemoryTokenStore({ maxFamilies: 0 }), { code: 'FST_PWB_INVALID_OPTION', message: /maxFamilies/ })
})
