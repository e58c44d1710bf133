-- room_pass.lua: an admitted person's turn. It starts when the tick that let their ticket in
-- ran (room_tick.lua's stretches), whether or not they were there to see it, and lasts the
-- room's pass_seconds: a turn passed unused is not given again. Who took their turn is kept.
-- KEYS[1] {r:ID}:tickets, KEYS[2] {r:ID}:serving, KEYS[3] {r:ID}:passed (user -> first ask),
-- KEYS[4] {r:ID}:stretches. ARGV[1] the user. Returns {state, turn start}: 1 admitted (the
-- turn's start, unix seconds), 0 not admitted yet (or not in the room).
local t = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local serving = tonumber(redis.call('GET', KEYS[2]) or '0')
if t == 0 or t > serving then return {0, 0} end
local now = redis.call('TIME')[1]
redis.call('HSETNX', KEYS[3], ARGV[1], now)
local s = redis.call('ZRANGEBYSCORE', KEYS[4], t, '+inf', 'LIMIT', 0, 1)[1]
if not s then return {1, tonumber(now)} end -- let in before stretches were kept
return {1, math.floor(tonumber(string.match(s, ':(.*)$')))}
