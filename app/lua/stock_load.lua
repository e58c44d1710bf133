-- stock_load.lua: publishes a product's gate state computed from MySQL, replacing whatever is
-- there (a stale counter is corrected). The caller holds the product's gate row exclusively, so
-- no reservation or release that MySQL has not seen is in flight.
-- KEYS[1] {p:ID}:stock, KEYS[2] {p:ID}:meta, KEYS[3] {p:ID}:bought, KEYS[4] {p:ID}:held
-- ARGV[1] available units, ARGV[2] sale start (epoch, 0 = none), ARGV[3] per-user limit (0 = none),
-- ARGV[4..] order id, user id, units triples for every order holding units (order id 0: its
-- units can no longer come back, they count only toward the user's limit).
-- Returns 1.
redis.call('DEL', KEYS[3], KEYS[4])
for i = 4, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[3], ARGV[i + 1], ARGV[i + 2])
  if ARGV[i] ~= '0' then redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 2]) end
end
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
redis.call('HSET', KEYS[2], 'starts', ARGV[2], 'limit', ARGV[3], 'run', run)
redis.call('SET', KEYS[1], ARGV[1])
return 1
