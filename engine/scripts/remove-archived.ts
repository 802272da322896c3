/**
 * removeArchived: takes one archived checkpoint out of Redis in one atomic step, but only
 * if it is still exactly what was archived (same version and audit head): a view or a
 * refusal appended after the archive line was written leaves it for the next pass, which
 * archives the longer audit.
 *
 * KEYS[1] checkpoint record   KEYS[4] index of its state    KEYS[7] idempotency key ('' if none)
 * KEYS[2] audit list          KEYS[5] finished zset         KEYS[8] tombstone hash (per creation day)
 * KEYS[3] index               KEYS[6] outbox hash           KEYS[9] purge zset
 *                                                           KEYS[10] outbox-by-time zset
 * KEYS[11 + 2i], KEYS[12 + 2i] schema i the record names, and its reference count
 *
 * ARGV[1] id   ARGV[2] archived version   ARGV[3] archived audit head   ARGV[4] archive file
 * ARGV[5] tombstone TTL seconds   ARGV[6] now (ms)
 * ARGV[7] the name that stands for "no key" ('' on one Redis, a name in the shard's slot on a
 *         Cluster; see Keys.none): the first line maps it to ''
 *
 * Returns 1 removed, 0 changed since archiving (kept), -1 already gone.
 * The record is the one-string layout (engine/checkpoint-record.ts) or, for a checkpoint no
 * commit has touched since the upgrade, the hash of before (GET answers WRONGTYPE; its
 * version and head are hash fields, and it names no shared schema).
 * The idempotency record is removed only while it still names this checkpoint (the key may
 * have expired and been reused). Outbox fields `<id>|<v>` of every version go too. Each
 * schema's count drops by one, and the schema goes with its last reference, so schemas
 * never outlive every checkpoint naming them. The id joins the purge set, from which the
 * archiver removes channel keys and jobs afterwards, so a crash after this script still gets
 * them removed.
 */
export const REMOVE_ARCHIVED_LUA = `
for i = 1, #KEYS do if KEYS[i] == ARGV[7] then KEYS[i] = '' end end
local id = ARGV[1]
local version, head
local raw = redis.pcall('GET', KEYS[1])
if type(raw) == 'table' then
  if not string.find(tostring(raw.err), 'WRONGTYPE', 1, true) then return redis.error_reply(tostring(raw.err)) end
  local current = redis.call('HMGET', KEYS[1], 'ver', 'head')
  version, head = current[1], current[2]
elseif raw then
  version, head = string.match(raw, '^1|(%d+)|%d+|([^|]*)|')
end
if not version then
  redis.call('ZREM', KEYS[5], id)
  return -1
end
if version ~= ARGV[2] or head ~= ARGV[3] then return 0 end

redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
redis.call('ZREM', KEYS[5], id)
for v = 1, tonumber(ARGV[2]) do
  local field = id .. '|' .. v
  redis.call('HDEL', KEYS[6], field)
  redis.call('ZREM', KEYS[10], field)
end
if KEYS[7] ~= '' then
  local record = redis.call('GET', KEYS[7])
  if record and string.find(record, '"id":"' .. id .. '"', 1, true) then redis.call('DEL', KEYS[7]) end
end
for i = 11, #KEYS, 2 do
  if redis.call('DECR', KEYS[i + 1]) <= 0 then redis.call('DEL', KEYS[i], KEYS[i + 1]) end
end
redis.call('HSET', KEYS[8], id, ARGV[4])
local ttl = tonumber(ARGV[5])
if redis.call('TTL', KEYS[8]) < ttl then redis.call('EXPIRE', KEYS[8], ttl) end
redis.call('ZADD', KEYS[9], ARGV[6], id)
return 1
`
