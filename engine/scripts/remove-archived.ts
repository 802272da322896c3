/**
 * removeArchived-10: takes one archived checkpoint out of Redis in one atomic step, but only
 * if it is still exactly what was archived (same version and audit head): a view or a
 * refusal appended after the archive line was written leaves it for the next pass, which
 * archives the longer audit.
 *
 * KEYS[1] checkpoint hash     KEYS[4] index of its state    KEYS[7] idempotency key ('' if none)
 * KEYS[2] audit list          KEYS[5] finished zset         KEYS[8] tombstone hash (per creation day)
 * KEYS[3] index               KEYS[6] outbox hash           KEYS[9] purge zset
 *                                                           KEYS[10] outbox-by-time zset
 *
 * ARGV[1] id   ARGV[2] archived version   ARGV[3] archived audit head   ARGV[4] archive file
 * ARGV[5] tombstone TTL seconds   ARGV[6] now (ms)
 * ARGV[7] the name that stands for "no key" ('' on one Redis, a name in the shard's slot on a
 *         Cluster; see Keys.none): the first line maps it to ''
 *
 * Returns 1 removed, 0 changed since archiving (kept), -1 already gone.
 * The idempotency record is removed only while it still names this checkpoint (the key may
 * have expired and been reused). Outbox fields `<id>|<v>` of every version go too. The id
 * joins the purge set, from which the archiver removes channel keys and jobs afterwards, so
 * a crash after this script still gets them removed.
 */
export const REMOVE_ARCHIVED_LUA = `
for i = 1, #KEYS do if KEYS[i] == ARGV[7] then KEYS[i] = '' end end
local id = ARGV[1]
local current = redis.call('HMGET', KEYS[1], 'ver', 'head')
if not current[1] then
  redis.call('ZREM', KEYS[5], id)
  return -1
end
if current[1] ~= ARGV[2] or current[2] ~= ARGV[3] then return 0 end

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
redis.call('HSET', KEYS[8], id, ARGV[4])
local ttl = tonumber(ARGV[5])
if redis.call('TTL', KEYS[8]) < ttl then redis.call('EXPIRE', KEYS[8], ttl) end
redis.call('ZADD', KEYS[9], ARGV[6], id)
return 1
`
