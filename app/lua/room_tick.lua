-- room_tick.lua: a waiting room's clock, run by the rooms worker a few times a second.
-- At the start (once): the pre-queue is shuffled into tickets 1..P. Then people are admitted
-- at the room's rate: `serving` (the highest ticket admitted) moves on by the time passed
-- times the rate, never past the last ticket given; a credit of at most one second's worth is
-- kept, so a quiet room, or a worker that stalled, does not admit a burst later.
-- Tickets of people who left (room_leave.lua) are passed over: they take no admission.
-- KEYS[1] meta (opens, rate, shuffled, clock, credit), KEYS[2] pre, KEYS[3] tickets,
-- KEYS[4] issued, KEYS[5] serving, KEYS[6] left, KEYS[7] stretches (each tick's last ticket
-- admitted, scored by it, with the time). ARGV[1] a random seed for the shuffle; ARGV[2] and
-- ARGV[3] (the rooms worker's, from MySQL) the start and the pre-queue's opening, which a room
-- not yet shuffled takes when Redis holds others (its sale moved and Redis missed it).
-- Returns {state, serving, admitted now}: state 1 running, 0 not open yet, -1 not loaded.
local m = redis.call('HMGET', KEYS[1], 'opens', 'rate', 'shuffled', 'clock', 'credit')
if not m[1] then return {-1, 0, 0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if m[3] ~= '1' then
  if ARGV[2] and m[1] ~= ARGV[2] then
    redis.call('HSET', KEYS[1], 'opens', ARGV[2], 'joins_from', ARGV[3])
    m[1] = ARGV[2]
  end
  if now < tonumber(m[1]) then return {0, 0, 0} end
  local pre = redis.call('SMEMBERS', KEYS[2])
  math.randomseed(tonumber(ARGV[1]))
  for i = #pre, 2, -1 do
    local j = math.random(i)
    pre[i], pre[j] = pre[j], pre[i]
  end
  for i = 1, #pre, 500 do
    local args = {}
    for k = i, math.min(i + 499, #pre) do
      args[#args + 1] = pre[k]
      args[#args + 1] = k
    end
    redis.call('HSET', KEYS[3], unpack(args))
  end
  redis.call('SET', KEYS[4], #pre)
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'shuffled', '1')
  m[4], m[5] = nil, '0'
end
local rate = tonumber(m[2])
local last = tonumber(m[4]) or now
-- at most one second's worth: a tick late by minutes (a stalled worker) lets no crowd through
local credit = math.min((tonumber(m[5]) or 0) + (now - last) * rate, math.max(rate, 1))
local serving = tonumber(redis.call('GET', KEYS[5]) or '0')
local issued = tonumber(redis.call('GET', KEYS[4]) or '0')
local add = math.floor(credit)
if add > issued - serving then add = issued - serving end
if add < 0 then add = 0 end
credit = math.min(credit - add, rate)
-- Each left ticket in the stretch admitted now lets one more through, until none is left in it.
local target = serving + add
local skipped = redis.call('ZCOUNT', KEYS[6], '(' .. serving, target)
local from = target
while skipped > 0 and target < issued do
  target = math.min(target + skipped, issued)
  skipped = redis.call('ZCOUNT', KEYS[6], '(' .. from, target)
  from = target
end
if target > serving then -- when this stretch of tickets was let in: their turns start now
  redis.call('ZADD', KEYS[7], target, target .. ':' .. string.format('%.3f', now))
end
serving = target
redis.call('SET', KEYS[5], serving)
redis.call('HSET', KEYS[1], 'clock', string.format('%.6f', now), 'credit', string.format('%.6f', credit))
return {1, serving, add}
