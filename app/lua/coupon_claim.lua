-- coupon_claim.lua: the whole first-come decision for one claim, atomic in one hash slot.
-- KEYS[1] {c:ID}:meta   hash: total, starts, ends (epoch seconds); or missing=1 for no campaign
-- KEYS[2] {c:ID}:claimed set of user ids holding (or being issued) a coupon of the campaign
-- ARGV[1] user id
-- Returns {outcome, remaining}: 0 claimed, 1 not started, 2 ended, 3 already claimed,
-- 4 sold out, -1 not loaded (the caller loads it from MySQL), -2 no such campaign.
local m = redis.call('HMGET', KEYS[1], 'total', 'starts', 'ends', 'missing')
if m[4] then return {-2, 0} end
if not m[1] then return {-1, 0} end
local total, starts, ends = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
local taken = redis.call('SCARD', KEYS[2])
local now = tonumber(redis.call('TIME')[1])
if now < starts then return {1, total - taken} end
if now >= ends then return {2, total - taken} end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return {3, total - taken} end
if taken >= total then return {4, 0} end
redis.call('SADD', KEYS[2], ARGV[1])
return {0, total - taken - 1}
