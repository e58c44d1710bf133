-- stock_release.lua: gives back the units one order holds of one product (a declined, abandoned,
-- cancelled or returned order, or a checkout that did not commit). Idempotent per order: units
-- come back only when this run removed the order's record, so a repeat, or a release of an
-- order a rebuild from MySQL already counted as not holding units, gives nothing.
-- KEYS[1] {p:ID}:stock, KEYS[2] {p:ID}:bought, KEYS[3] {p:ID}:held; ARGV[1] order id, ARGV[2] user id
-- Returns the units given back (0: nothing was held for this order).
local n = redis.call('HGET', KEYS[3], ARGV[1])
if not n then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], n) end
if redis.call('HINCRBY', KEYS[2], ARGV[2], -tonumber(n)) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
return tonumber(n)
