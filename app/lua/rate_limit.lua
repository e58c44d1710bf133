-- rate_limit.lua: one fixed-window counter.
-- KEYS[1] the counter; ARGV[1] window in seconds. Returns {count, seconds left in the window}.
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
