// The local revocation list: merging events, the not-before rule, the wait before issuing, sweeping.
import t from 'tap'
import { RevocationView, refusingRevoked } from '../lib/sessions/revocation-view.js'
import type { AccessTokenClaims } from '../lib/types.js'

const claims = (sub: string, iat: number, jti = 'j'): AccessTokenClaims => ({ iss: 'i', aud: 'a', sub, iat, exp: iat + 900, jti })

t.test('a revoked jti is refused; events repeat and arrive out of order, the latest end is kept', async (t) => {
  let now = 1_000_000
  const view = new RevocationView(() => now)
  view.apply({ type: 'access-token', jti: 'j1', expiresAt: now + 5000 })
  view.apply({ type: 'access-token', jti: 'j1', expiresAt: now + 1000 })
  t.ok(view.isRevoked(claims('u', 1000, 'j1')))
  t.notOk(view.isRevoked(claims('u', 1000, 'j2')))
  view.apply({ type: 'access-token', jti: 'gone', expiresAt: now })
  t.equal(view.size, 1, 'an entry already over is not kept')
  now += 60_000
  view.apply({ type: 'access-token', jti: 'j3', expiresAt: now + 1 })
  t.equal(view.size, 1, 'swept: the j1 entry ended at +5 s')
})

t.test('the not-before rule: iat * 1000 < notBefore is refused', async (t) => {
  const view = new RevocationView(() => 5_500)
  view.apply({ type: 'user', subject: 'u', notBefore: 5_300, expiresAt: 100_000 })
  t.ok(view.isRevoked(claims('u', 4)), 'an earlier second')
  t.ok(view.isRevoked(claims('u', 5)), 'the same second')
  t.notOk(view.isRevoked(claims('u', 6)), 'the next second')
  t.notOk(view.isRevoked(claims('v', 4)), 'another user')
  view.apply({ type: 'user', subject: 'u', notBefore: 2_000, expiresAt: 50_000 })
  t.ok(view.isRevoked(claims('u', 5)), 'an earlier not-before does not move it back')
  view.apply({ type: 'user', subject: 'u', notBefore: 7_000, expiresAt: 50_000 })
  t.ok(view.isRevoked(claims('u', 6)), 'a later one moves it forward')
})

t.test('issueDelay waits for the next second after a not-before time within the current second', async (t) => {
  let now = 5_300
  const view = new RevocationView(() => now)
  t.equal(view.issueDelay('u'), 0, 'no revocation')
  view.apply({ type: 'user', subject: 'u', notBefore: 5_200, expiresAt: 100_000 })
  t.equal(view.issueDelay('u'), 700)
  now = 6_000
  t.equal(view.issueDelay('u'), 0, 'the next second')
  view.apply({ type: 'user', subject: 'w', notBefore: 7_000, expiresAt: 100_000 })
  now = 6_990
  t.equal(view.issueDelay('w'), 10, 'a not-before on a second boundary, slightly ahead of this clock')
  now = 7_000
  t.equal(view.issueDelay('w'), 0)
})

t.test('refusingRevoked passes what the reader refuses and refuses what the view revokes', async (t) => {
  const view = new RevocationView(() => 1000)
  const read = refusingRevoked((token) => token === 'bad' ? undefined : claims('u', 10, token), view)
  view.apply({ type: 'access-token', jti: 'revoked', expiresAt: 10_000 })
  t.equal(read('bad'), undefined)
  t.equal(read('revoked'), undefined)
  t.match(read('good'), { jti: 'good' })
})
