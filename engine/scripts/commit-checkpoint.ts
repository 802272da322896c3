/**
 * commitCheckpoint: the only way a checkpoint changes. One atomic step writes the new record
 * (engine/checkpoint-record.ts), appends its audit entries, records the outbox of effects and
 * announces the change, or writes nothing at all.
 *
 * KEYS[1] checkpoint record         KEYS[5] index (all checkpoints)
 * KEYS[2] audit list                KEYS[6] index of the previous state ('' if none)
 * KEYS[3] outbox hash               KEYS[7] index of the new state
 * KEYS[4] outbox-by-time zset       KEYS[8] idempotency key ('' if none)
 *                                   KEYS[9] finished zset ('' unless this commit enters a
 *                                           terminal state)
 * KEYS[10 + 2i], KEYS[11 + 2i]      schema i and its reference count (only when ARGV[9] is
 *                                   given: creating, or rewriting a record of the old layout)
 *
 * ARGV[1]  expected version: '0' creates, '-1' appends audit only, n updates from n
 * ARGV[2]  expected audit head ('' for a new checkpoint)
 * ARGV[3]  new compact snapshot JSON ('' for audit-only: the stored one stays)
 * ARGV[4]  new state name
 * ARGV[5]  new audit head (hash of the last entry)
 * ARGV[6]  outbox field (`<id>|<version>`)
 * ARGV[7]  outbox entry JSON ('' for no effects)
 * ARGV[8]  now (ms)
 * ARGV[9]  compact request JSON (create, or rewriting an old-layout record; else '')
 * ARGV[10] idempotency record JSON (create only, '' if none)
 * ARGV[11] idempotency TTL seconds
 * ARGV[12] pub/sub channel
 * ARGV[13] checkpoint id
 * ARGV[14] publish command: PUBLISH on one Redis, SPUBLISH on a Cluster (per-shard channel in
 *          the script's slot; a classic PUBLISH would be broadcast over the whole cluster bus)
 * ARGV[15] the name that stands for "no key" ('' on one Redis; on a Cluster a name in the
 *          shard's slot, since every key must share the slot): the first line maps it to ''
 * ARGV[16] when the outbox entry falls due for the sweeper (ms): now, or later while the
 *          committing process makes first attempts itself (its lease)
 * ARGV[17 + i]                      schema i's JSON, for KEYS[10 + 2i]
 * the rest                          audit entry JSON, in order (at least one)
 *
 * Returns {1, version} on success, or a negative code from CommitStatus:
 * {-1, currentVersion} version moved on; {-2} unknown checkpoint; {-3, record} idempotency key
 * already used; {-4} audit head moved on.
 *
 * The record's header holds version, audit length and head, so the engine's load is one GET.
 * A schema is written when its count goes from 0 to 1 and removed by the archive removal
 * (remove-archived.ts) when it drops back, so unique schemas cannot accumulate.
 * A record written before this layout is a hash (`req`, `snap`, `ver`, `state`, `head`,
 * `upd`): GET answers WRONGTYPE, the script compares against the hash instead and replaces
 * it with a record built from ARGV[9] and ARGV[3] (the engine sends both for such a record,
 * audit-only appends included), so every old checkpoint is rewritten on its next change.
 * A checkpoint entering a terminal state is scored in KEYS[9] by the commit time (the
 * archiver's work list); NX keeps the first finish time.
 * Emits ARGV[14] (PUBLISH or SPUBLISH) on ARGV[12] with `{"id","state","version"}`, for audit-only appends too (same
 * state and version), so live views such as the dashboard timeline see views and resumes.
 */
export const COMMIT_CHECKPOINT_LUA = `
for i = 1, #KEYS do if KEYS[i] == ARGV[15] then KEYS[i] = '' end end
local expected = tonumber(ARGV[1])
local cpKey = KEYS[1]
local schemaCount = (#KEYS - 9) / 2
local firstEntry = 17 + schemaCount
local entryCount = #ARGV - firstEntry + 1

local function record(version, auditLength, request, snapshot)
  return '1|' .. version .. '|' .. auditLength .. '|' .. ARGV[5] .. '|' .. #request .. '|' .. request .. snapshot
end

local function countSchemas()
  for i = 0, schemaCount - 1 do
    if redis.call('INCR', KEYS[11 + 2 * i]) == 1 then redis.call('SET', KEYS[10 + 2 * i], ARGV[17 + i]) end
  end
end

local version
if expected == 0 then
  if KEYS[8] ~= '' then
    local existing = redis.call('GET', KEYS[8])
    if existing then return {-3, existing} end
  end
  version = 1
  if not redis.call('SET', cpKey, record(version, entryCount, ARGV[9], ARGV[3]), 'NX') then return {-1, '0'} end
  countSchemas()
  redis.call('ZADD', KEYS[5], 0, ARGV[13])
  if KEYS[8] ~= '' then redis.call('SET', KEYS[8], ARGV[10], 'EX', tonumber(ARGV[11])) end
else
  local current, auditLength, head, request, snapshot, rewrite
  local raw = redis.pcall('GET', cpKey)
  if type(raw) == 'table' then
    if not string.find(tostring(raw.err), 'WRONGTYPE', 1, true) then return redis.error_reply(tostring(raw.err)) end
    if ARGV[9] == '' or ARGV[3] == '' then return redis.error_reply('old-layout record ' .. ARGV[13] .. ' needs the full record to be rewritten') end
    local fields = redis.call('HMGET', cpKey, 'ver', 'head')
    current, head = tonumber(fields[1]), fields[2]
    auditLength = redis.call('LLEN', KEYS[2])
    request = ARGV[9]
    rewrite = true
  elseif raw then
    local v, n, h, bytes, at = string.match(raw, '^1|(%d+)|(%d+)|([^|]*)|(%d+)|()')
    if not v then return redis.error_reply('unknown record format for ' .. ARGV[13]) end
    current, auditLength, head = tonumber(v), tonumber(n), h
    request = string.sub(raw, at, at + tonumber(bytes) - 1)
    snapshot = string.sub(raw, at + tonumber(bytes))
  end
  if not current then return {-2} end
  if expected > 0 and current ~= expected then return {-1, current} end
  if head ~= ARGV[2] then return {-4} end
  if expected == -1 then version = current else version = expected + 1 end
  if ARGV[3] ~= '' then snapshot = ARGV[3] end
  if rewrite then countSchemas() end
  redis.call('SET', cpKey, record(version, auditLength + entryCount, request, snapshot))
end

if expected ~= -1 then
  if KEYS[6] ~= KEYS[7] then
    if KEYS[6] ~= '' then redis.call('ZREM', KEYS[6], ARGV[13]) end
    redis.call('ZADD', KEYS[7], 0, ARGV[13])
  end
  if KEYS[9] ~= '' then redis.call('ZADD', KEYS[9], 'NX', ARGV[8], ARGV[13]) end
end

redis.call('RPUSH', KEYS[2], unpack(ARGV, firstEntry))

if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[6], ARGV[7])
  redis.call('ZADD', KEYS[4], ARGV[16], ARGV[6])
end

redis.call(ARGV[14], ARGV[12], cjson.encode({id = ARGV[13], state = ARGV[4], version = version}))
return {1, version}
`

export enum CommitStatus {
  Ok = 1,
  VersionConflict = -1,
  NotFound = -2,
  IdempotencyHit = -3,
  AuditHeadConflict = -4,
}
