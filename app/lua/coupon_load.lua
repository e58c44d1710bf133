-- coupon_load.lua: publishes a campaign read from MySQL, unless someone already did.
-- KEYS[1] {c:ID}:meta, KEYS[2] {c:ID}:claimed, KEYS[3] {c:ID}:batches (optional; see
-- coupon_claim.lua: its member '~' keeps it in being, whether or not the rest was there)
-- ARGV[1] total, ARGV[2] starts, ARGV[3] ends (epoch seconds), ARGV[4..] user ids already issued.
-- The claimed set is filled before the meta appears, so no claim is decided on a partial set.
-- Returns 1 when loaded, 0 when it was there already.
if KEYS[3] then redis.call('ZADD', KEYS[3], 'NX', '+inf', '~') end
if redis.call('HEXISTS', KEYS[1], 'total') == 1 then return 0 end
for i = 4, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'starts', ARGV[2], 'ends', ARGV[3])
return 1
