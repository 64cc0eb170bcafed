/**
 * The JWS compact serialisation (RFC 7515 §7.1) as this package accepts it: three segments of
 * canonical base64url. Pure functions, no keys: the shape every token must have before anything
 * else is looked at.
 */

// Three base64url segments without padding (RFC 7515 §2, §7.1).
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// The last character of an unpadded base64url segment whose length is 2 or 3 (mod 4) carries
// 4 or 2 unused bits: canonical encoders leave them zero.
const LAST_OF_2 = /[AQgw]$/
const LAST_OF_3 = /[AEIMQUYcgkosw048]$/

function isCanonicalSegment (segment: string): boolean {
  switch (segment.length % 4) {
    case 0: return true
    case 2: return LAST_OF_2.test(segment)
    case 3: return LAST_OF_3.test(segment)
    default: return false // a length of 1 (mod 4) decodes to nothing whole
  }
}

/** A compact JWS cut at its dots. */
export interface CompactJws {
  /** `header.payload`, the signing input. */
  signingInput: string
  header: string
  payload: string
  signature: string
}

/**
 * Cuts a compact JWS into its segments when every segment is canonical base64url: no padding, no
 * standard-alphabet characters, no non-zero unused bits. Lenient decoders map many strings to the
 * same bytes, so without this a valid token could be altered and still verify.
 *
 * @example splitCompact('eyJhbGciOiJIUzI1NiJ9.e30.c2ln') // { header: 'eyJhbGciOiJIUzI1NiJ9', payload: 'e30', ... }
 */
export function splitCompact (token: string): CompactJws | undefined {
  if (!JWS_COMPACT.test(token)) return undefined
  const first = token.indexOf('.')
  const last = token.lastIndexOf('.')
  const header = token.slice(0, first)
  const payload = token.slice(first + 1, last)
  const signature = token.slice(last + 1)
  if (!isCanonicalSegment(header) || !isCanonicalSegment(payload) || !isCanonicalSegment(signature)) return undefined
  return { signingInput: token.slice(0, last), header, payload, signature }
}

/** True when `token` is a compact JWS whose every segment is canonical base64url (see {@link splitCompact}). */
export function isCanonicalJws (token: string): boolean {
  return splitCompact(token) !== undefined
}

/** The index of the quote that closes the JSON string opened at `start`. */
function stringEnd (json: string, start: number): number {
  let end = json.indexOf('"', start + 1)
  while (end !== -1 && isEscaped(json, end)) end = json.indexOf('"', end + 1)
  return end === -1 ? json.length : end
}

/** True when the character at `at` follows an odd run of backslashes. */
function isEscaped (json: string, at: number): boolean {
  let i = at - 1
  while (json.charCodeAt(i) === 0x5c) i--
  return (at - 1 - i) % 2 === 1
}

/**
 * The number of member names in a JSON object text (already known to parse) that holds no other
 * object, arrays of plain values allowed; undefined when it nests an object. Every token this
 * package issues is such a text: counting its names against the parsed object's keys finds a
 * duplicate without the set of names the general check builds (`bench/micro.ts`, row "a payload
 * decoded"). Outside strings, a colon follows a member name and nothing else.
 */
function flatMemberCount (json: string): number | undefined {
  let names = 0
  let objects = 0
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 0x22) i = stringEnd(json, i)
    else if (c === 0x3a) names++
    else if (c === 0x7b && ++objects > 1) return undefined
  }
  return names
}

/**
 * True when a JSON text (already known to parse) has an object with two members of the same name,
 * at any depth. JSON.parse keeps the last one; another reader (a proxy, a WAF, a log pipeline) may
 * keep the first and see another token, so such a text is refused (RFC 7515 §5.2, RFC 8725 §3.12).
 */
function hasDuplicateMembers (json: string, parsed: object): boolean {
  const flat = flatMemberCount(json)
  return flat === undefined ? hasDuplicateNames(json) : flat !== Object.keys(parsed).length
}

/** {@link hasDuplicateMembers} for any JSON text: one set of names per object. */
function hasDuplicateNames (json: string): boolean {
  const objects: Array<Set<string> | undefined> = [] // undefined for an array
  let expectName = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 0x22) { // a string: a member name where one is expected, else a value
      const end = stringEnd(json, i)
      if (expectName) {
        const raw = json.slice(i + 1, end)
        const name = raw.includes('\\') ? JSON.parse(`"${raw}"`) as string : raw
        const names = objects[objects.length - 1] as Set<string>
        if (names.has(name)) return true
        names.add(name)
        expectName = false
      }
      i = end
    } else if (c === 0x7b) { // {
      objects.push(new Set())
      expectName = true
    } else if (c === 0x5b) { // [
      objects.push(undefined)
    } else if (c === 0x7d || c === 0x5d) { // } ]
      objects.pop()
    } else if (c === 0x2c) { // , inside an object: a member name comes next
      expectName = objects[objects.length - 1] !== undefined
    }
  }
  return false
}

/** The JSON object a segment encodes, or undefined (not JSON, not an object, or with duplicate member names). */
export function decodeObject (segment: string): Record<string, unknown> | undefined {
  const json = Buffer.from(segment, 'base64url').toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || hasDuplicateMembers(json, value)) return undefined
  return value as Record<string, unknown>
}
