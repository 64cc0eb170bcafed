/**
 * The Lua scripts of the Redis token store: one per operation, each atomic and one round trip.
 *
 * Key layout (`P` is the store's prefix, `{s}` the user's shard key as a Cluster hash tag):
 * - `P{s}:f:<family id>`: a hash per family: `d` (its fixed fields as JSON), `cur` (the current
 *   token's hash), `idle` and `exp` (its idle and absolute ends, ms), `rot` (its last rotated
 *   hashes, space-separated, oldest first). It expires at its idle end.
 * - `P{s}:u:<user id>`: a hash per user: `f:<family id>` → the family's absolute end (the index
 *   that "log out everywhere" walks), and `nbf`/`nbfx` (the not-before time and its end). It
 *   expires with the last of them.
 * - `P{revocations}:list`: a sorted set of every revocation in force, `a:<jti>` and `u:<user id>`,
 *   scored by its end; `P{revocations}:nbf`: user id → not-before time. They expire with the last
 *   entry, and every write drops the ended ones.
 *
 * A family and its user share the tag `{s}`, so every family script and "log out everywhere" touch
 * one Cluster slot (the latter walks family keys named in the user's index: same tag, same slot).
 * The revocation list is one slot of its own. TTLs are set relative to the caller's `now`, so a
 * clock difference between the app and Redis does not move them.
 *
 * Hashes are compared with Lua's `==`. The time it takes tells nothing usable: the hashes are
 * SHA-256 of 256-bit random tokens, so matching a prefix of a stored hash brings an attacker no
 * closer to a token whose hash matches.
 */

/** An ioredis command defined from a script, with its number of keys. */
export interface ScriptDefinition {
  numberOfKeys: number
  lua: string
}

// Shared Lua: the rotated hashes as a list, and the pruning of ended revocations.
const ROTATED = `
local function has(rot, hash) return string.find(' ' .. rot .. ' ', ' ' .. hash .. ' ', 1, true) ~= nil end
`

// KEYS: list, nbf. Drops ended entries and lets both keys expire with the last live one.
const PRUNE = `
local function prune(now)
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
    if string.sub(member, 1, 2) == 'u:' then redis.call('HDEL', KEYS[2], string.sub(member, 3)) end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] then
    local ttl = math.max(1, tonumber(last[2]) - now)
    redis.call('PEXPIRE', KEYS[1], ttl)
    if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ttl) end
  end
end
local function ms(n) return string.format('%.0f', n) end
`

/** The scripts by command name (names are prefixed so they cannot clash with the app's). */
export const SCRIPTS = {
  // KEYS: family, user. ARGV: fixed fields (JSON), hash, family id, now (createdAt), exp, idle,
  // family key prefix. Returns 1, or 0 when the id is taken or the user's sessions were ended after now.
  fastifyPasswordBearerCreateFamily: {
    numberOfKeys: 2,
    lua: `
local now = tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local nbf = redis.call('HMGET', KEYS[2], 'nbf', 'nbfx')
if nbf[1] and now < tonumber(nbf[2]) and now < tonumber(nbf[1]) then return 0 end
local fields = redis.call('HGETALL', KEYS[2])
for i = 1, #fields, 2 do
  local name = fields[i]
  if string.sub(name, 1, 2) == 'f:' and (tonumber(fields[i + 1]) <= now or redis.call('EXISTS', ARGV[7] .. string.sub(name, 3)) == 0) then
    redis.call('HDEL', KEYS[2], name)
  end
end
local exp = tonumber(ARGV[5])
local idle = math.min(tonumber(ARGV[6]), exp)
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'cur', ARGV[2], 'idle', ARGV[6], 'exp', ARGV[5], 'rot', '')
redis.call('PEXPIRE', KEYS[1], math.max(1, idle - now))
redis.call('HSET', KEYS[2], 'f:' .. ARGV[3], ARGV[5])
if redis.call('PTTL', KEYS[2]) < exp - now then redis.call('PEXPIRE', KEYS[2], math.max(1, exp - now)) end
return 1
`
  },

  // KEYS: family. ARGV: hash, now. Returns { fixed fields, idle end } of a live family whose
  // current hash it is, or nil. Changes nothing.
  fastifyPasswordBearerFindFamily: {
    numberOfKeys: 1,
    lua: `
local v = redis.call('HMGET', KEYS[1], 'd', 'cur', 'idle', 'exp')
if not v[1] then return nil end
local now = tonumber(ARGV[2])
if now >= tonumber(v[3]) or now >= tonumber(v[4]) or v[2] ~= ARGV[1] then return nil end
return { v[1], v[3] }
`
  },

  // KEYS: family. ARGV: used hash, next hash, now, idle ttl, rotated hashes kept.
  // Returns { 'rotated', fixed fields, new idle end, previous idle end }, { 'reused', fixed fields,
  // idle end } (the family is deleted), or { 'unknown' }.
  fastifyPasswordBearerRotate: {
    numberOfKeys: 1,
    lua: ROTATED + `
local v = redis.call('HMGET', KEYS[1], 'd', 'cur', 'idle', 'exp', 'rot')
if not v[1] then return { 'unknown' } end
local now = tonumber(ARGV[3])
local idle = tonumber(v[3])
local exp = tonumber(v[4])
if now >= idle or now >= exp then return { 'unknown' } end
if v[2] == ARGV[1] then
  local list = {}
  for hash in string.gmatch(v[5], '%S+') do list[#list + 1] = hash end
  list[#list + 1] = ARGV[1]
  while #list > tonumber(ARGV[5]) do table.remove(list, 1) end
  local nextIdle = math.min(now + tonumber(ARGV[4]), exp)
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'idle', string.format('%.0f', nextIdle), 'rot', table.concat(list, ' '))
  redis.call('PEXPIRE', KEYS[1], math.max(1, nextIdle - now))
  return { 'rotated', v[1], string.format('%.0f', nextIdle), v[3] }
end
if has(v[5], ARGV[1]) then
  redis.call('DEL', KEYS[1])
  return { 'reused', v[1], v[3] }
end
return { 'unknown' }
`
  },

  // KEYS: family. ARGV: used hash, next hash, previous idle end, now. Takes back a rotation whose
  // answer came too late to be used (its caller was told the store failed): the used token is
  // current again. Returns 1, or 0 when the family moved on meanwhile.
  fastifyPasswordBearerUndoRotate: {
    numberOfKeys: 1,
    lua: `
local v = redis.call('HMGET', KEYS[1], 'cur', 'rot')
if v[1] ~= ARGV[2] then return 0 end
local list = {}
for hash in string.gmatch(v[2], '%S+') do list[#list + 1] = hash end
if list[#list] == ARGV[1] then table.remove(list) end
redis.call('HSET', KEYS[1], 'cur', ARGV[1], 'idle', ARGV[3], 'rot', table.concat(list, ' '))
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[3]) - tonumber(ARGV[4])))
return 1
`
  },

  // KEYS: family. ARGV: hash (current or rotated), now. Deletes a live family the hash belongs
  // to; returns { fixed fields, idle end }, or nil.
  fastifyPasswordBearerRevokeFamily: {
    numberOfKeys: 1,
    lua: ROTATED + `
local v = redis.call('HMGET', KEYS[1], 'd', 'cur', 'idle', 'exp', 'rot')
if not v[1] then return nil end
local now = tonumber(ARGV[2])
if now >= tonumber(v[3]) or now >= tonumber(v[4]) then return nil end
if v[2] ~= ARGV[1] and not has(v[5], ARGV[1]) then return nil end
redis.call('DEL', KEYS[1])
return { v[1], v[3] }
`
  },

  // KEYS: user. ARGV: family key prefix, not-before, its end. Deletes every family in the user's
  // index (same hash tag, so same slot) and records the not-before time (the later one).
  // Returns { families that were live, not-before, its end }.
  fastifyPasswordBearerRevokeUser: {
    numberOfKeys: 1,
    lua: `
local at = tonumber(ARGV[2])
local ended = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local name = fields[i]
  if string.sub(name, 1, 2) == 'f:' then
    local key = ARGV[1] .. string.sub(name, 3)
    local v = redis.call('HMGET', key, 'idle', 'exp')
    if v[1] and at < tonumber(v[1]) and at < tonumber(v[2]) then ended = ended + 1 end
    redis.call('DEL', key)
    redis.call('HDEL', KEYS[1], name)
  end
end
local nbf = at
local nbfx = tonumber(ARGV[3])
local prev = redis.call('HMGET', KEYS[1], 'nbf', 'nbfx')
if prev[1] and tonumber(prev[2]) > at then
  nbf = math.max(nbf, tonumber(prev[1]))
  nbfx = math.max(nbfx, tonumber(prev[2]))
end
redis.call('HSET', KEYS[1], 'nbf', string.format('%.0f', nbf), 'nbfx', string.format('%.0f', nbfx))
if redis.call('PTTL', KEYS[1]) < nbfx - at then redis.call('PEXPIRE', KEYS[1], math.max(1, nbfx - at)) end
return { ended, string.format('%.0f', nbf), string.format('%.0f', nbfx) }
`
  },

  // KEYS: list, nbf. ARGV: user id, not-before, its end, now, channel, origin. Records the user's
  // not-before time in the revocation list (the later times) and publishes it.
  // Returns { not-before, its end }.
  fastifyPasswordBearerListUser: {
    numberOfKeys: 2,
    lua: PRUNE + `
local member = 'u:' .. ARGV[1]
local nbf = tonumber(ARGV[2])
local nbfx = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local score = redis.call('ZSCORE', KEYS[1], member)
if score and tonumber(score) > now then
  nbfx = math.max(nbfx, tonumber(score))
  nbf = math.max(nbf, tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0'))
end
if nbfx <= now then return { ms(nbf), ms(nbfx) } end
redis.call('ZADD', KEYS[1], ms(nbfx), member)
redis.call('HSET', KEYS[2], ARGV[1], ms(nbf))
prune(now)
redis.call('PUBLISH', ARGV[5], cjson.encode({ 'u', ARGV[1], ms(nbf), ms(nbfx), ARGV[6] }))
return { ms(nbf), ms(nbfx) }
`
  },

  // KEYS: list, nbf. ARGV: jti, its end, now, channel, origin. Records the revoked jti (the later
  // end) and publishes it. Returns its end, or nil when it has ended already.
  fastifyPasswordBearerListToken: {
    numberOfKeys: 2,
    lua: PRUNE + `
local now = tonumber(ARGV[3])
local ends = tonumber(ARGV[2])
if ends <= now then return nil end
local member = 'a:' .. ARGV[1]
local score = redis.call('ZSCORE', KEYS[1], member)
if score then ends = math.max(ends, tonumber(score)) end
redis.call('ZADD', KEYS[1], ms(ends), member)
prune(now)
redis.call('PUBLISH', ARGV[4], cjson.encode({ 'a', ARGV[1], ms(ends), ARGV[5] }))
return ms(ends)
`
  },

  // KEYS: list, nbf. ARGV: now. Every revocation in force: a flat list of
  // kind ('a' or 'u'), id, end, not-before ('' for a jti).
  fastifyPasswordBearerLoadRevocations: {
    numberOfKeys: 2,
    lua: `
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES')
local out = {}
for i = 1, #items, 2 do
  local kind = string.sub(items[i], 1, 1)
  local id = string.sub(items[i], 3)
  out[#out + 1] = kind
  out[#out + 1] = id
  out[#out + 1] = items[i + 1]
  out[#out + 1] = kind == 'u' and (redis.call('HGET', KEYS[2], id) or '0') or ''
end
return out
`
  }
} as const satisfies Record<string, ScriptDefinition>

export type ScriptName = keyof typeof SCRIPTS
