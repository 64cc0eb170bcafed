/**
 * The example's OpenAPI document as a contract: it is a valid OpenAPI document, a client that knows
 * only the document can log in with it, and what it says about security is what the server does.
 */
import SwaggerParser from '@apidevtools/swagger-parser'
import t from 'tap'
import { DEMO, startExample } from '../helpers/example-server.js'

const server = await startExample()
t.teardown(server.close)

interface Schema {
  type?: string
  required?: string[]
  enum?: unknown[]
  format?: string
  properties?: Record<string, Schema>
  oneOf?: Schema[]
}
interface Operation {
  security?: Array<Record<string, string[]>>
  requestBody?: { required?: boolean, content: Record<string, { schema: Schema }> }
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>
}
interface OpenApiDocument {
  openapi: string
  servers?: Array<{ url: string }>
  paths: Record<string, Record<string, Operation>>
  components?: { securitySchemes?: Record<string, { type: string, flows?: { password?: { tokenUrl: string, refreshUrl?: string, scopes: Record<string, string> } } }> }
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

const response = await fetch(`${server.url}/docs/json`)
const doc = await response.json() as OpenApiDocument

/** Every operation of the document, as [method, path, operation]. */
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).filter(([method]) => METHODS.includes(method)).map(([method, op]) => [method, path, op] as const))

/** The one OAuth2 password-flow scheme the document declares. */
function passwordScheme (): { name: string, tokenUrl: string, refreshUrl?: string, scopes: Record<string, string> } {
  const schemes = Object.entries(doc.components?.securitySchemes ?? {})
    .filter(([, scheme]) => scheme.type === 'oauth2' && scheme.flows?.password !== undefined)
  if (schemes.length !== 1) throw new Error(`expected one oauth2 password scheme, found ${schemes.length}`)
  const [name, scheme] = schemes[0] as [string, { flows: { password: { tokenUrl: string, refreshUrl?: string, scopes: Record<string, string> } } }]
  return { name, ...scheme.flows.password }
}

/** Where the document's relative URLs point: its first server, else the host that served it. */
function resolve (url: string): string {
  return new URL(url, new URL(doc.servers?.[0]?.url ?? '/', server.url)).href
}

t.test('/docs/json is a valid OpenAPI 3 document', async (t) => {
  t.equal(response.status, 200)
  t.match(doc.openapi, /^3\.\d+\.\d+$/)
  const validated = await SwaggerParser.validate(structuredClone(doc) as never)
  t.ok(validated, 'swagger-parser validates it against the OpenAPI 3 schema, $refs resolved')
})

t.test('a client that knows only the document gets a token and uses it', async (t) => {
  const scheme = passwordScheme()
  const tokenUrl = resolve(scheme.tokenUrl)
  const tokenPath = new URL(tokenUrl).pathname
  const tokenOperation = doc.paths[tokenPath]?.post
  t.ok(tokenOperation, `the document describes POST ${tokenPath}, the scheme's tokenUrl`)
  if (tokenOperation?.requestBody === undefined) throw new Error('the token operation has no requestBody')

  // RFC 6749 §4.3.2: the form media type; the document must say so.
  const contentType = Object.keys(tokenOperation.requestBody.content)
  t.same(contentType, ['application/x-www-form-urlencoded'], 'the only media type is the form')
  // With several grants the body is one of their forms: the password grant's is the one to log in.
  const body = tokenOperation.requestBody.content['application/x-www-form-urlencoded']?.schema ?? {}
  const schema = body.oneOf?.find((form) => form.properties?.grant_type?.enum?.[0] === 'password') ?? body
  const properties = schema.properties ?? {}

  // Fill each required field from what the schema says about it: a single enum value, the field of
  // format "password", and the remaining free string as the username. Scopes come from the scheme.
  const form = new URLSearchParams()
  const free = []
  for (const field of schema.required ?? []) {
    const property = properties[field] ?? {}
    t.equal(property.type, 'string', `${field} is a string`)
    if (property.enum?.length === 1) form.set(field, String(property.enum[0]))
    else if (property.format === 'password') form.set(field, DEMO.alice.password)
    else free.push(field)
  }
  t.equal(free.length, 1, 'one required field is neither fixed nor the password: the username')
  form.set(free[0] as string, DEMO.alice.username)
  const scopeField = Object.keys(properties).find((name) => !(schema.required ?? []).includes(name))
  t.ok(scopeField, 'an optional field for the scopes')
  form.set(scopeField as string, Object.keys(scheme.scopes).join(' '))
  t.same([...form.keys()].sort(), ['grant_type', 'password', 'scope', 'username'], 'the RFC 6749 §4.3.2 names')

  const res = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': contentType[0] as string }, body: form })
  t.equal(res.status, 200)
  const token = await res.json() as Record<string, unknown>

  // The success body has what the document's 200 schema requires, with the documented types.
  const success = tokenOperation.responses['200']?.content?.['application/json']?.schema ?? {}
  t.ok((success.required ?? []).length > 0, 'the 200 response documents its required fields')
  for (const field of success.required ?? []) {
    const property = success.properties?.[field] ?? {}
    const value = token[field]
    const jsType: string = typeof value // JSON Schema's string, number and boolean are typeof's names too
    t.equal(property.type === 'integer' ? Number.isInteger(value) : jsType === property.type, true, `${field} is ${property.type}`)
    if (property.enum !== undefined) t.ok(property.enum.includes(value), `${field} is one of ${property.enum.join(', ')}`)
  }
  t.equal(token.scope, Object.keys(scheme.scopes).join(' '), 'alice is granted every scope the document lists')

  for (const [method, path, op] of operations) {
    if (method !== 'get' || op.security === undefined) continue
    const call = await fetch(resolve(path), { headers: { authorization: `Bearer ${String(token.access_token)}` } })
    t.equal(call.status, 200, `GET ${path} accepts the token`)
  }
})

t.test('a client that knows only the document refreshes at refreshUrl with the refresh grant\'s form', async (t) => {
  const scheme = passwordScheme()
  t.ok(scheme.refreshUrl, 'the password flow has a refreshUrl')
  const refreshUrl = resolve(scheme.refreshUrl as string)
  const body = doc.paths[new URL(refreshUrl).pathname]?.post?.requestBody?.content['application/x-www-form-urlencoded']?.schema ?? {}
  const form = body.oneOf?.find((f) => f.properties?.grant_type?.enum?.[0] === 'refresh_token')
  t.ok(form, 'the operation at refreshUrl documents the refresh grant')
  t.same(form?.required, ['grant_type', 'refresh_token'])
  const login = await fetch(resolve(scheme.tokenUrl), { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: DEMO.alice.username, password: DEMO.alice.password }) })
  const { refresh_token: refreshToken } = await login.json() as { refresh_token: string }
  const res = await fetch(refreshUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }) })
  t.equal(res.status, 200)
  const refreshed = await res.json() as Record<string, unknown>
  t.type(refreshed.access_token, 'string')
  t.type(refreshed.refresh_token, 'string')
})

t.test('protected operations declare the scheme with their scopes; public ones declare none', async (t) => {
  const scheme = passwordScheme()
  const expected: Record<string, Array<Record<string, string[]>> | undefined> = {
    'post /token': undefined,
    'post /revoke': undefined,
    'delete /users/me/sessions': [{ [scheme.name]: [] }],
    'get /protected': [{ [scheme.name]: [] }],
    'get /users/me': [{ [scheme.name]: [] }],
    'get /items': [{ [scheme.name]: ['items:read'] }],
    'post /items': [{ [scheme.name]: ['items:write'] }],
    'get /hello': [{ [scheme.name]: [] }, {}]
  }
  t.same(operations.map(([method, path]) => `${method} ${path}`).sort(), Object.keys(expected).sort(), 'the documented operations')
  t.notOk(doc.paths['/docs/json'] ?? doc.paths['/docs'], 'Swagger UI\'s own routes are not documented')
  for (const [method, path, op] of operations) {
    t.same(op.security, expected[`${method} ${path}`], `${method.toUpperCase()} ${path} security`)
    for (const requirement of op.security ?? []) {
      for (const [name, scopes] of Object.entries(requirement)) {
        t.equal(name, scheme.name, 'refers to the declared scheme')
        for (const scope of scopes) t.ok(scope in scheme.scopes, `${scope} is a declared scope`)
        if (scopes.length > 0) t.ok(op.responses['403'], `${method.toUpperCase()} ${path} documents its 403`)
      }
    }
  }
})

t.test('what the document says about security is what the server does without a token', async (t) => {
  for (const [method, path, op] of operations) {
    const res = await fetch(resolve(path), {
      method: method.toUpperCase(),
      ...(method === 'post' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {})
    })
    const required = op.security !== undefined && !op.security.some((requirement) => Object.keys(requirement).length === 0)
    if (required) {
      t.equal(res.status, 401, `${method.toUpperCase()} ${path} requires a token`)
      t.equal(res.headers.get('www-authenticate'), 'Bearer realm="api"')
      t.ok(op.responses['401'], `${method.toUpperCase()} ${path} documents its 401`)
    } else {
      t.not(res.status, 401, `${method.toUpperCase()} ${path} does not require a token`)
    }
    await res.arrayBuffer()
  }
})
