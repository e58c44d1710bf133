-- stock_reserve.lua: takes units of one product for one order, atomic in the product's slot.
-- KEYS[1] {p:ID}:stock   units not reserved or sold
-- KEYS[2] {p:ID}:meta    hash: starts (epoch seconds, 0 = no sale time), limit (0 = none),
--                        run (the run_id of the Redis server the gate was built in)
-- KEYS[3] {p:ID}:bought  hash: user id -> units held by that user (reserved or paid)
-- KEYS[4] {p:ID}:held    hash: order id -> units, one record per order whose units can come back
-- ARGV[1] user id, ARGV[2] units, ARGV[3] order id
-- Returns {outcome, stock left}: 0 reserved (or reserved already for this order: a replay takes
-- nothing twice), 1 sold out, 2 sale not started, 3 per-user limit, -1 not loaded or built in
-- another Redis server (restarted from a file that may lack its last writes, or a promoted
-- replica): the caller rebuilds it from MySQL.
local stock = redis.call('GET', KEYS[1])
local m = redis.call('HMGET', KEYS[2], 'starts', 'limit', 'run')
if not stock or not m[1] then return {-1, 0} end
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if m[3] ~= run then return {-1, 0} end
stock = tonumber(stock)
if redis.call('HEXISTS', KEYS[4], ARGV[3]) == 1 then return {0, stock} end
local n = tonumber(ARGV[2])
local now = tonumber(redis.call('TIME')[1])
if tonumber(m[1]) > now then return {2, stock} end
local limit = tonumber(m[2])
if limit > 0 then
  local held = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
  if held + n > limit then return {3, stock} end
end
if stock < n then return {1, stock} end
redis.call('DECRBY', KEYS[1], n)
-- Held units are counted even without a limit, so that a limit set later counts them too.
redis.call('HINCRBY', KEYS[3], ARGV[1], n)
redis.call('HSET', KEYS[4], ARGV[3], n)
return {0, stock - n}
