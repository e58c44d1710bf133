-- room_arrive.lua: one arrival (a claim or a checkout) at the item of a room that turns itself
-- on when one second's arrivals pass its threshold.
-- KEYS[1] {r:ID}:meta (on: 1 once switched on; arrivals_at, arrivals: this second's count)
-- ARGV[1] the threshold. Returns 1 the room is on, 2 this arrival switched it on, 0 still off.
local m = redis.call('HMGET', KEYS[1], 'on', 'arrivals_at', 'arrivals')
if m[1] == '1' then return 1 end
local now = redis.call('TIME')[1]
local n = 1
if m[2] == now then n = tonumber(m[3]) + 1 end
if n > tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'on', '1')
  return 2
end
redis.call('HSET', KEYS[1], 'arrivals_at', now, 'arrivals', n)
return 0
