-- room_where.lua: where a person stands in a waiting room, in O(1): their ticket against the
-- highest ticket admitted, never a rank over everyone waiting.
-- KEYS[1] meta, KEYS[2] pre, KEYS[3] tickets, KEYS[4] issued, KEYS[5] serving, KEYS[6] left.
-- ARGV[1] user. Returns {state, ticket, serving, issued, waiting before the start, people
-- ahead who left}: state 1 a ticket, 0 in the pre-queue, -3 not in the room, -1 the room is not
-- loaded.
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, 0, 0, 0, 0} end
local serving = tonumber(redis.call('GET', KEYS[5]) or '0')
local issued = tonumber(redis.call('GET', KEYS[4]) or '0')
local t = redis.call('HGET', KEYS[3], ARGV[1])
if t then
  local gone = 0
  if tonumber(t) > serving + 1 then
    gone = redis.call('ZCOUNT', KEYS[6], '(' .. serving, '(' .. t)
  end
  return {1, tonumber(t), serving, issued, 0, gone}
end
local pre = redis.call('SCARD', KEYS[2])
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {0, 0, serving, issued, pre, 0} end
return {-3, 0, serving, issued, pre, 0}
