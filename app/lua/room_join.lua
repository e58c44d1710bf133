-- room_join.lua: one place per person in a waiting room.
-- KEYS[1] {r:ID}:meta (joins_from: unix seconds; shuffled: 1 once the pre-queue is shuffled)
-- KEYS[2] {r:ID}:pre (the pre-queue: users, unordered until the start)
-- KEYS[3] {r:ID}:tickets (user -> ticket), KEYS[4] {r:ID}:issued (the last ticket given)
-- ARGV[1] the user. Returns {state, ticket}: 1 and the user's ticket (given now or before),
-- 0 in the pre-queue (no ticket until the start), -1 the room is not loaded, -2 too early, -3
-- the room has opened but its pre-queue is not shuffled yet (room_tick.lua does it: the caller
-- runs it and asks again, so that nobody who came after the start is shuffled in with those
-- who came before).
local t = redis.call('HGET', KEYS[3], ARGV[1])
if t then return {1, tonumber(t)} end
local m = redis.call('HMGET', KEYS[1], 'joins_from', 'shuffled', 'opens')
if not m[1] or not m[3] then return {-1, 0} end
if m[2] ~= '1' then
  if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {0, 0} end
  local now = tonumber(redis.call('TIME')[1])
  if now >= tonumber(m[3]) then return {-3, 0} end
  if now < tonumber(m[1]) then return {-2, 0} end
  redis.call('SADD', KEYS[2], ARGV[1])
  return {0, 0}
end
local n = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[3], ARGV[1], n)
return {1, n}
