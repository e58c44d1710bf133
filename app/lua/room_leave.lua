-- room_leave.lua: a person leaves a waiting room. Their place is given up: a ticket not yet
-- admitted joins the left set, which the admissions skip (room_tick.lua), so the next person
-- does not wait for someone who is gone; a pre-queue place is simply dropped.
-- KEYS[1] {r:ID}:pre, KEYS[2] {r:ID}:tickets, KEYS[3] {r:ID}:serving, KEYS[4] {r:ID}:left.
-- ARGV[1] the user. Returns 1 when a place was given up, 0 when there was none (or it had been
-- admitted already: a turn is not given back).
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then return 1 end
local t = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if t == 0 or t <= tonumber(redis.call('GET', KEYS[3]) or '0') then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[4], t, t)
return 1
