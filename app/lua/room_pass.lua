-- room_pass.lua: an admitted person's turn. The first time they ask after admission their turn
-- starts; a pass lasts from then. Their use of it, once per item: room_use.lua.
-- KEYS[1] {r:ID}:tickets, KEYS[2] {r:ID}:serving, KEYS[3] {r:ID}:passed (user -> turn start).
-- ARGV[1] the user. Returns {state, turn start}: 1 admitted (the turn's start, unix seconds),
-- 0 not admitted yet (or not in the room).
local t = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local serving = tonumber(redis.call('GET', KEYS[2]) or '0')
if t == 0 or t > serving then return {0, 0} end
redis.call('HSETNX', KEYS[3], ARGV[1], redis.call('TIME')[1])
return {1, tonumber(redis.call('HGET', KEYS[3], ARGV[1]))}
