-- stock_release.lua: gives units of one product back (a declined, abandoned, cancelled or
-- returned order). Callers run it once per order: a guarded MySQL status change decides who.
-- KEYS[1] {p:ID}:stock, KEYS[2] {p:ID}:bought; ARGV[1] user id, ARGV[2] units
-- Returns the stock after the release, or -1 when the counter is missing (then MySQL, rebuilt
-- from, already counts these units as free).
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local s = redis.call('INCRBY', KEYS[1], ARGV[2])
local held = redis.call('HINCRBY', KEYS[2], ARGV[1], -tonumber(ARGV[2]))
if held <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return s
