-- stock_adjust.lua: an admin's change of stock, applied to the live counter atomically with the
-- reservations: a cut larger than the units not reserved is refused, never taken below zero.
-- KEYS[1] {p:ID}:stock; ARGV[1] the change (negative: a cut).
-- Returns the new counter, or -1 when the cut is refused, or -2 when the counter is missing.
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
local d = tonumber(ARGV[1])
if d < 0 and tonumber(redis.call('GET', KEYS[1])) + d < 0 then return -1 end
return redis.call('INCRBY', KEYS[1], d)
