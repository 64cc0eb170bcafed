// A login flood beyond the argon2 concurrency cap and its queue: the excess gets 503
// temporarily_unavailable with Retry-After at once, and a protected route keeps answering while
// the admitted logins are still hashing. Asserted by order of completion, not by time.
import t from 'tap'
import { listen } from './helpers.js'

const CAP = 1
const QUEUE = 2
const FLOOD = 16

t.test('a burst of logins beyond cap + queue: some 503s at once, the protected route answers meanwhile', async (t) => {
  // A costlier dummy hash (unknown users verify against it) keeps the admitted logins busy.
  const srv = await listen(t, { maxConcurrentHashes: CAP, maxQueuedHashes: QUEUE, hash: { timeCost: 8 } })
  const login = await fetch(`${srv.base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=password&username=alice&password=secret'
  })
  t.equal(login.status, 200)
  const { access_token: token } = await login.json() as { access_token: string }

  const order: string[] = []
  const answers: Array<{ status: number, retryAfter: string | null, body: Record<string, unknown> }> = []
  const flood = Array.from({ length: FLOOD }, async (_, i) => {
    const res = await fetch(`${srv.base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=password&username=nobody${i}&password=guess${i}`
    })
    const body = await res.json() as Record<string, unknown>
    answers.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body })
    order.push(res.status === 503 ? 'busy' : 'hashed')
  })
  // The protected route, called while the flood is in flight.
  const protectedCalls = (async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${srv.base}/me`, { headers: { authorization: `Bearer ${token}` } })
      order.push(res.status === 200 ? 'me' : `me-${res.status}`)
    }
  })()
  await Promise.all([...flood, protectedCalls])

  const busy = answers.filter((a) => a.status === 503)
  const hashed = answers.filter((a) => a.status === 400)
  t.equal(busy.length + hashed.length, FLOOD, 'every login got 503 or 400, nothing else')
  t.ok(busy.length >= FLOOD - CAP - QUEUE - 2, `most of the excess was refused (${busy.length} of ${FLOOD})`)
  t.ok(hashed.length >= CAP + QUEUE, `cap + queue were admitted (${hashed.length})`)
  for (const a of busy) {
    t.equal(a.body.error, 'temporarily_unavailable')
    t.match(a.retryAfter, /^[1-9]\d*$/, 'Retry-After')
    t.notOk('access_token' in a.body, 'no token issued')
  }
  for (const a of hashed) {
    t.equal(a.body.error, 'invalid_grant')
    t.notOk('access_token' in a.body, 'no token issued')
  }
  const lastHashed = order.lastIndexOf('hashed')
  t.ok(order.indexOf('busy') < lastHashed, 'the first 503 came before the admitted logins finished')
  t.same(order.filter((o) => o.startsWith('me')), ['me', 'me', 'me', 'me', 'me'], 'the protected route answered 200 every time')
  t.ok(order.indexOf('me') < lastHashed, 'the protected route answered while logins were still hashing')

  const after = await fetch(`${srv.base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=password&username=alice&password=secret'
  })
  t.equal(after.status, 200, 'logins work again once the flood is over')
})
