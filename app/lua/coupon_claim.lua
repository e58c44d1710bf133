-- coupon_claim.lua: the whole first-come decision for a batch of claims on one campaign, atomic
-- in one hash slot. A web worker sends the claims on a campaign that arrive together in one run.
-- KEYS[1] {c:ID}:meta   hash: total, starts, ends (epoch seconds); or missing=1 for no campaign
-- KEYS[2] {c:ID}:claimed set of user ids holding (or being issued) a coupon of the campaign
-- KEYS[3] {c:ID}:batches (optional) sorted set of "<batch id>:<user>" for each user a batch
--         admitted, scored by when the record lapses (BATCH_TTL seconds on): the batch's id
--         makes a re-send harmless. A run whose reply was lost with its connection is sent again
--         with the same id, and the users it had admitted are answered 0 again (not 3), so they
--         are told the truth; nothing is counted twice. Its member '~', scored +inf, keeps the
--         key in being (coupon_load.lua puts it there): while a Redis Cluster moves the slot to
--         another master, a script runs on whichever master holds all of its keys, and one whose
--         keys are partly missing is refused (TRYAGAIN) for the whole move, so no key of the
--         gate may be one that only exists sometimes.
-- ARGV    with KEYS[3]: the batch's id, then the user ids; without it, the user ids. The users
--         come in the order their claims arrived (a user may appear twice).
-- Returns {outcome, remaining} for each user in turn: 0 claimed, 1 not started, 2 ended,
-- 3 already claimed, 4 sold out, -1 not loaded (the caller loads it from MySQL), -2 no such
-- campaign. remaining is the count of coupons left after that user's claim.
local BATCH_TTL = 300
local batches = KEYS[3]
local batch = batches and ARGV[1]
local users = {}
for i = batches and 2 or 1, #ARGV do users[#users + 1] = ARGV[i] end
local out = {}
local function all(outcome, remaining)
  for i = 1, #users do
    out[2 * i - 1], out[2 * i] = outcome, remaining
  end
  return out
end
local m = redis.call('HMGET', KEYS[1], 'total', 'starts', 'ends', 'missing')
if m[4] then return all(-2, 0) end
if not m[1] then return all(-1, 0) end
local total, starts, ends = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
local taken = redis.call('SCARD', KEYS[2])
local now = tonumber(redis.call('TIME')[1])
local left = math.max(total - taken, 0)
if now < starts then return all(1, left) end
if now >= ends then return all(2, left) end
if batches then
  redis.call('ZREMRANGEBYSCORE', batches, '-inf', '(' .. now) -- lapsed records
  redis.call('ZADD', batches, 'NX', '+inf', '~')                -- a gate loaded before it kept one
end
local answered = {} -- users this run has answered 0 already: a second claim of theirs is 3
for i, user in ipairs(users) do
  local outcome = 4
  if answered[user] then
    outcome = 3
  elseif taken < total and redis.call('SADD', KEYS[2], user) == 1 then
    taken = taken + 1
    outcome = 0
    if batches then redis.call('ZADD', batches, now + BATCH_TTL, batch .. ':' .. user) end
  elseif batches and redis.call('ZSCORE', batches, batch .. ':' .. user) then
    outcome = 0 -- admitted by this very batch in a run whose reply was lost
  elseif redis.call('SISMEMBER', KEYS[2], user) == 1 then
    outcome = 3 -- already claimed wins over sold out, as for a claim alone
  end
  if outcome == 0 then answered[user] = true end
  out[2 * i - 1], out[2 * i] = outcome, math.max(total - taken, 0)
end
return out
