/*
 * Lua scripts of the Redis gate. Every key of one stock row shares the hash tag {sku:warehouse},
 * so each script touches one cluster slot; sku and warehouse are lower-cased (rowKeys). Keys of a row:
 *   inv:{sku:wh}             hash, field `available`: units the gate may still hand out
 *   inv:{sku:wh}:r           hash freezeId -> "<qty>:<reservedAtMs>": reservations held in Redis (R)
 *   inv:{sku:wh}:lock        set while reconciliation resets the row (reserves wait)
 *   inv:{sku:wh}:f:<freeze>  the freeze record: "R:<qty>" reserved, "C" committed, "X" released
 * Freeze records are the Redis fence: a repeated reserve or release is a no-op and a reserve
 * after its release is refused. They outlive any transaction deadline (TTL from config).
 */

/** KEYS: stock, index, lock, freeze. ARGV: qty, ttlSec, freezeId, nowMs. Returns {code, available}. */
export const RESERVE_LUA = `
local f = redis.call('GET', KEYS[4])
if f then
  local s = string.sub(f, 1, 1)
  if s == 'X' then return {-2, 0} end
  return {1, 0}
end
if redis.call('EXISTS', KEYS[3]) == 1 then return {-3, 0} end
local a = redis.call('HGET', KEYS[1], 'available')
if not a then return {-1, 0} end
a = tonumber(a)
local n = tonumber(ARGV[1])
if a < n then return {0, a} end
redis.call('HINCRBY', KEYS[1], 'available', -n)
redis.call('SET', KEYS[4], 'R:' .. n, 'EX', ARGV[2])
redis.call('HSET', KEYS[2], ARGV[3], n .. ':' .. ARGV[4])
return {1, a - n}
`;

/** KEYS: stock, index, freeze. ARGV: freezeId, ttlSec. Returns the units given back (0 if none). */
export const RELEASE_LUA = `
local f = redis.call('GET', KEYS[3])
if not f then
  redis.call('SET', KEYS[3], 'X', 'EX', ARGV[2])
  return 0
end
if string.sub(f, 1, 1) ~= 'R' then return 0 end
local n = tonumber(string.sub(f, 3))
if redis.call('HEXISTS', KEYS[1], 'available') == 1 then
  redis.call('HINCRBY', KEYS[1], 'available', n)
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], 'X', 'EX', ARGV[2])
return n
`;

/** KEYS: index, freeze. ARGV: freezeId, ttlSec. The units left for good: available is unchanged. */
export const COMMIT_LUA = `
local f = redis.call('GET', KEYS[2])
if f and string.sub(f, 1, 1) == 'X' then return 0 end
redis.call('SET', KEYS[2], 'C', 'EX', ARGV[2])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;

/**
 * Reconciliation, step 1. KEYS: lock, index. ARGV: token, lockMs.
 * Takes the row's lock (reserves now wait) and returns {1, id1, v1, id2, v2, ...}; {0} if busy.
 */
export const SNAPSHOT_LUA = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local out = {1}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all do out[#out + 1] = all[i] end
return out
`;

/**
 * Reconciliation, step 3 (after the MySQL read of step 2).
 * KEYS: stock, index, lock, then one freeze key per snapshot entry, then one per adopted freeze.
 * ARGV: token, mysqlAvailable, ttlSec, entryCount, nowMs, then per entry: freezeId, mysqlState,
 * qty, then per adopted freeze: freezeId, qty.
 * mysqlState is the entry's freeze state in the MySQL snapshot: A (absent), F, C or R, or D
 * (absent and never to be frozen: its transaction is cancelling or cancelled or never began).
 * Adopted freezes are FROZEN in the snapshot but unknown to the index (frozen while Redis was
 * down or passed by): Redis starts holding them, so their later release gives the units back.
 * Returns {1, hadValue, previous, new, releasing, adopted} or {-1} when the lock was lost (nothing
 * changed). Two parts of new - previous are work in flight, not drift: `releasing`, units released
 * in MySQL whose own Redis release has not run yet (it will, as a no-op now); `adopted`, units of
 * adopted freezes, which the gate let through to MySQL (Redis down, row busy) without holding them.
 * The reasoning is in reconciler.ts.
 */
export const APPLY_LUA = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return {-1} end
local e = tonumber(ARGV[2])
local ttl = ARGV[3]
local ne = tonumber(ARGV[4])
local now = ARGV[5]
local releasing = 0
local adopted = 0
for i = 1, ne do
  local k = KEYS[3 + i]
  local j = 6 + (i - 1) * 3
  local id, ms, n = ARGV[j], ARGV[j + 1], tonumber(ARGV[j + 2])
  local f = redis.call('GET', k)
  if not f then
    f = 'R:' .. n
    redis.call('SET', k, f, 'EX', ttl)
  end
  local s = string.sub(f, 1, 1)
  if s == 'X' then
    if ms == 'F' then e = e + n end
  elseif ms == 'R' or (ms == 'D' and s == 'R') then
    if ms == 'R' then releasing = releasing + n end
    redis.call('SET', k, 'X', 'EX', ttl)
    redis.call('HDEL', KEYS[2], id)
  elseif ms == 'C' then
    redis.call('SET', k, 'C', 'EX', ttl)
    redis.call('HDEL', KEYS[2], id)
  elseif ms == 'A' or ms == 'D' then
    e = e - n
  end
end
local base = 6 + ne * 3
for i = 4 + ne, #KEYS do
  local j = base + (i - 4 - ne) * 2
  local id, n = ARGV[j], tonumber(ARGV[j + 1])
  local f = redis.call('GET', KEYS[i])
  if not f then
    redis.call('SET', KEYS[i], 'R:' .. n, 'EX', ttl)
    redis.call('HSET', KEYS[2], id, n .. ':' .. now)
    adopted = adopted + n
  elseif string.sub(f, 1, 1) == 'X' then
    e = e + n
  end
end
local prev = redis.call('HGET', KEYS[1], 'available')
redis.call('HSET', KEYS[1], 'available', e)
redis.call('DEL', KEYS[3])
if prev then return {1, 1, tonumber(prev), e, releasing, adopted} end
return {1, 0, 0, e, releasing, adopted}
`;

/** KEYS: lock. ARGV: token. */
export const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
