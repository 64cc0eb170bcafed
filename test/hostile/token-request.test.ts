// Hostile token requests over raw HTTP (RFC 6749 §3.2, §4.3.2, §5.2): repeated and bracketed
// parameters, prototype names, NUL bytes, broken escapes, huge and empty bodies, wrong content
// types and methods all get a clean 4xx and no token; nothing echoes a password.
import t, { type Test } from 'tap'
import { FORM_HEADER, httpRequest, listen, rawRequest, type Listening, type RawResponse } from './helpers.js'

const PASSWORD = 'hunter2-Sup3r-S3cret'
let srv: Listening

t.before(async () => {
  srv = await listen(t, {}, undefined, {})
})

function post (body: string, headers: string[] = [FORM_HEADER], path = '/token'): Promise<RawResponse> {
  return rawRequest(srv.port, httpRequest('POST', path, headers, body))
}

function clean4xx (t: Test, res: RawResponse, name: string, status?: number, error?: string): void {
  t.ok(res.status >= 400 && res.status < 500, `${name}: 4xx (got ${res.status})`)
  if (status !== undefined) t.equal(res.status, status, `${name}: status`)
  let body: Record<string, unknown> = {}
  try { body = JSON.parse(res.body) as Record<string, unknown> } catch { t.fail(`${name}: JSON body`) }
  if (error !== undefined) t.equal(body.error, error, `${name}: error`)
  t.same(Object.keys(body).sort(), ['error', 'error_description'], `${name}: RFC 6749 body only`)
  t.notOk(res.body.includes('access_token'), `${name}: no token issued`)
  t.notOk(res.raw.includes(PASSWORD), `${name}: the password is not echoed`)
}

t.test('repeated and bracketed parameters are invalid_request', async (t) => {
  for (const body of [
    `grant_type=password&username=alice&password=${PASSWORD}&password=secret`,
    `grant_type=password&username=alice&username=alice&password=${PASSWORD}`,
    `grant_type=password&grant_type=password&username=alice&password=${PASSWORD}`,
    `grant_type=password&username[]=alice&password=${PASSWORD}`,
    `grant_type=password&username=alice&password[]=${PASSWORD}`,
    `grant_type=password&username=alice&password[a]=${PASSWORD}`,
    `grant_type[]=password&username=alice&password=${PASSWORD}`
  ]) {
    const res = await post(body)
    clean4xx(t, res, body.replace(PASSWORD, '<pw>'), 400)
  }
})

t.test('prototype-named parameters and usernames are plain strings: invalid_grant, no crash', async (t) => {
  for (const username of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__']) {
    const res = await post(`grant_type=password&username=${username}&password=${PASSWORD}`)
    clean4xx(t, res, username, 400, 'invalid_grant')
  }
  for (const body of [
    `__proto__[username]=alice&grant_type=password&password=${PASSWORD}`,
    `grant_type=password&__proto__=x&constructor=y&username=alice&password=${PASSWORD}`,
    `grant_type=password&constructor[prototype][admin]=1&username=alice&password=${PASSWORD}`
  ]) {
    const res = await post(body)
    clean4xx(t, res, body.replace(PASSWORD, '<pw>'))
  }
  t.equal(({} as Record<string, unknown>).admin, undefined, 'no prototype pollution')
  const ok = await post('grant_type=password&__proto__=x&username=alice&password=secret')
  t.equal(ok.status, 200, 'unknown extra parameters are ignored (RFC 6749 §3.2)')
})

t.test('NUL bytes, control characters and broken percent-escapes', async (t) => {
  for (const body of [
    `grant_type=password&username=alice%00&password=${PASSWORD}`,
    `grant_type=password&username=al%0Aice&password=${PASSWORD}`,
    `grant_type=password&username=%zz&password=${PASSWORD}`,
    `grant_type=password&username=alice&password=${PASSWORD}%`,
    `grant_type=password&username=alice&password=${PASSWORD}%E0%A4%A`,
    `grant_type=password&username=%C0%AF&password=${PASSWORD}`,
    `grant_type=password&username=%ED%A0%80&password=${PASSWORD}`,
    `grant_type=pass%00word&username=alice&password=${PASSWORD}`,
    `grant_type=password&username=alice&password=${PASSWORD}&scope=%00`,
    `grant_type=password&username=alice&password=${PASSWORD}&scope=items%3Aread%09items%3Awrite`
  ]) {
    const res = await post(body)
    clean4xx(t, res, body.replace(PASSWORD, '<pw>'))
  }
  const nul = Buffer.from(`grant_type=password&username=al\u0000ice&password=${PASSWORD}`)
  const nulInBody = await rawRequest(srv.port, Buffer.concat([
    Buffer.from(`POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${FORM_HEADER}\r\nContent-Length: ${nul.length}\r\n\r\n`),
    nul
  ]))
  clean4xx(t, nulInBody, 'a raw NUL byte in the body')
})

t.test('huge inputs are refused before hashing: long values, many parameters, oversized bodies', async (t) => {
  clean4xx(t, await post(`grant_type=password&username=alice&password=${'x'.repeat(2000)}`), 'password over the cap', 400, 'invalid_request')
  clean4xx(t, await post(`grant_type=password&username=${'u'.repeat(300)}&password=${PASSWORD}`), 'username over the cap', 400, 'invalid_request')
  clean4xx(t, await post(`grant_type=password&username=alice&password=${PASSWORD}&` + 'a=1&'.repeat(2000)), 'many parameters', 400, 'invalid_request')
  clean4xx(t, await post(`grant_type=password&username=alice&password=${PASSWORD}&pad=${'p'.repeat(100_000)}`), '100 KB body', 400, 'invalid_request')
  const chunked = await rawRequest(srv.port, `POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${FORM_HEADER}\r\nTransfer-Encoding: chunked\r\n\r\n` +
    Array.from({ length: 10 }, () => `3e8\r\n${'a'.repeat(1000)}\r\n`).join('') + '0\r\n\r\n')
  clean4xx(t, chunked, 'a chunked body over the limit', 400, 'invalid_request')
  const lying = await rawRequest(srv.port, `POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${FORM_HEADER}\r\nContent-Length: 99999999\r\n\r\ngrant_type=password`)
  clean4xx(t, lying, 'a Content-Length far over the limit', 400, 'invalid_request')
})

t.test('wrong content types and empty bodies', async (t) => {
  const form = `grant_type=password&username=alice&password=${PASSWORD}`
  for (const [name, headers, body] of [
    ['JSON', ['Content-Type: application/json'], JSON.stringify({ grant_type: 'password', username: 'alice', password: PASSWORD })],
    ['text/plain', ['Content-Type: text/plain'], form],
    ['multipart', ['Content-Type: multipart/form-data; boundary=x'], `--x\r\nContent-Disposition: form-data; name="password"\r\n\r\n${PASSWORD}\r\n--x--`],
    ['no content type', [], form],
    ['a bogus content type', ['Content-Type: ;;;'], form],
    ['form, empty body', [FORM_HEADER], ''],
    ['JSON, empty body', ['Content-Type: application/json'], ''],
    ['form with a bogus charset', ['Content-Type: application/x-www-form-urlencoded; charset=utf-7'], form]
  ] as Array<[string, string[], string]>) {
    const res = await post(body, headers)
    clean4xx(t, res, name)
  }
})

t.test('other methods get 405 with Allow: POST', async (t) => {
  for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const res = await rawRequest(srv.port, httpRequest(method, `/token?username=alice&password=${PASSWORD}`))
    clean4xx(t, res, method, 405)
    t.equal(res.headers.allow, 'POST', `${method}: Allow`)
    t.equal(res.headers['cache-control'], 'no-store', `${method}: no-store`)
  }
  const head = await rawRequest(srv.port, httpRequest('HEAD', '/token'))
  t.equal(head.status, 405, 'HEAD: 405')
  t.equal(head.headers.allow, 'POST', 'HEAD: Allow')
})

t.test('credentials in the query string of a POST are never read nor echoed', async (t) => {
  const res = await post('grant_type=password', [FORM_HEADER], `/token?username=alice&password=${PASSWORD}`)
  clean4xx(t, res, 'query credentials', 400, 'invalid_request')
})

t.test('no log line, at trace level, carries a password from a body or a query string', async (t) => {
  t.ok(srv.logs.length > 20, 'requests were logged')
  const hits = srv.logs.filter((line) => line.includes(PASSWORD) || line.includes('hunter2'))
  t.same(hits, [], 'no password in the logs')
})
