-- stock_load.lua: publishes a product's gate state computed from MySQL, without overwriting a
-- live counter (a reservation may have moved it since MySQL was read).
-- KEYS[1] {p:ID}:stock, KEYS[2] {p:ID}:meta, KEYS[3] {p:ID}:bought
-- ARGV[1] available units, ARGV[2] sale start (epoch, 0 = none), ARGV[3] per-user limit (0 = none),
-- ARGV[4..] user id, units pairs held by each user.
-- Returns 1 when anything was loaded, 0 when everything was there.
local loaded = 0
if redis.call('EXISTS', KEYS[2]) == 0 then
  for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
  redis.call('HSET', KEYS[2], 'starts', ARGV[2], 'limit', ARGV[3])
  loaded = 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then loaded = 1 end
return loaded
