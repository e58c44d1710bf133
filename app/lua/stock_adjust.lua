-- stock_adjust.lua: an admin's change of stock, applied to the live counter atomically with the
-- reservations: a cut larger than the units not reserved is refused, never taken below zero.
-- KEYS[1] {p:ID}:stock; ARGV[1] the change (negative: a cut).
-- Returns 1 when the counter moved, -1 when the cut is refused, -2 when the counter is missing
-- (a status, never the counter itself, which a lost-and-rebuilt gate can leave below zero).
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local d = tonumber(ARGV[1])
if d < 0 and tonumber(redis.call('GET', KEYS[1])) + d < 0 then return -1 end
redis.call('INCRBY', KEYS[1], d)
return 1
