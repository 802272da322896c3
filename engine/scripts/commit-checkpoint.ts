/**
 * commitCheckpoint-9: the only way a checkpoint changes. One atomic step writes the new
 * snapshot, appends one audit entry, records the outbox of effects and announces the change,
 * or writes nothing at all.
 *
 * KEYS[1] checkpoint hash          KEYS[5] index (all checkpoints)
 * KEYS[2] audit list               KEYS[6] index of the previous state ('' if none)
 * KEYS[3] outbox hash              KEYS[7] index of the new state
 * KEYS[4] outbox-by-time zset      KEYS[8] idempotency key ('' if none)
 *                                  KEYS[9] finished zset ('' unless this commit enters a
 *                                          terminal state)
 *
 * ARGV[1]  expected version: '0' creates, '-1' appends audit only, n updates from n
 * ARGV[2]  expected audit head hash ('' for a new checkpoint)
 * ARGV[3]  new snapshot JSON ('' for audit-only)
 * ARGV[4]  new state name
 * ARGV[5]  audit entry JSON
 * ARGV[6]  new audit head hash
 * ARGV[7]  outbox field (`<id>|<version>`)
 * ARGV[8]  outbox entry JSON ('' for no effects)
 * ARGV[9]  now (ms)
 * ARGV[10] request JSON (create only)
 * ARGV[11] idempotency record JSON (create only, '' if none)
 * ARGV[12] idempotency TTL seconds
 * ARGV[13] pub/sub channel
 * ARGV[14] checkpoint id
 * ARGV[15] publish command: PUBLISH on one Redis, SPUBLISH on a Cluster (per-shard channel in
 *          the script's slot; a classic PUBLISH would be broadcast over the whole cluster bus)
 * ARGV[16] the name that stands for "no key" ('' on one Redis; on a Cluster a name in the
 *          shard's slot, since every key must share the slot): the first line maps it to ''
 *
 * Returns {1, version} on success, or a negative code from CommitStatus:
 * {-1, currentVersion} version moved on; {-2} unknown checkpoint; {-3, record} idempotency key
 * already used; {-4} audit head moved on.
 * KEYS[9] (added for retention) is the one change the archiver needed: a checkpoint entering a
 * terminal state is scored by the commit time (ARGV[9]) in the same atomic step, so the
 * archiver pages through `ZRANGEBYSCORE finished -inf <cutoff>` and can never miss one. NX
 * keeps the first finish time should a terminal state ever be re-entered.
 * Emits ARGV[15] (PUBLISH or SPUBLISH) on ARGV[13] with `{"id","state","version"}`, for audit-only appends too (same
 * state and version), so live views such as the dashboard timeline see views and resumes.
 */
export const COMMIT_CHECKPOINT_LUA = `
for i = 1, #KEYS do if KEYS[i] == ARGV[16] then KEYS[i] = '' end end
local expected = tonumber(ARGV[1])
local cpKey = KEYS[1]

if expected == 0 then
  if KEYS[8] ~= '' then
    local existing = redis.call('GET', KEYS[8])
    if existing then return {-3, existing} end
  end
  if redis.call('EXISTS', cpKey) == 1 then return {-1, redis.call('HGET', cpKey, 'ver')} end
else
  local current = redis.call('HMGET', cpKey, 'ver', 'head', 'state')
  if not current[1] then return {-2} end
  if expected > 0 and tonumber(current[1]) ~= expected then return {-1, current[1]} end
  if current[2] ~= ARGV[2] then return {-4} end
end

local version
if expected == -1 then
  version = tonumber(redis.call('HGET', cpKey, 'ver'))
  redis.call('HSET', cpKey, 'head', ARGV[6])
else
  version = expected + 1
  redis.call('HSET', cpKey, 'snap', ARGV[3], 'ver', version, 'state', ARGV[4], 'head', ARGV[6], 'upd', ARGV[9])
  if expected == 0 then
    redis.call('HSET', cpKey, 'req', ARGV[10])
    redis.call('ZADD', KEYS[5], 0, ARGV[14])
    if KEYS[8] ~= '' then redis.call('SET', KEYS[8], ARGV[11], 'EX', tonumber(ARGV[12])) end
  end
  if KEYS[6] ~= KEYS[7] then
    if KEYS[6] ~= '' then redis.call('ZREM', KEYS[6], ARGV[14]) end
    redis.call('ZADD', KEYS[7], 0, ARGV[14])
  end
  if KEYS[9] ~= '' then redis.call('ZADD', KEYS[9], 'NX', ARGV[9], ARGV[14]) end
end

redis.call('RPUSH', KEYS[2], ARGV[5])

if ARGV[8] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[7], ARGV[8])
  redis.call('ZADD', KEYS[4], ARGV[9], ARGV[7])
end

redis.call(ARGV[15], ARGV[13], cjson.encode({id = ARGV[14], state = ARGV[4], version = version}))
return {1, version}
`

export enum CommitStatus {
  Ok = 1,
  VersionConflict = -1,
  NotFound = -2,
  IdempotencyHit = -3,
  AuditHeadConflict = -4,
}
