-- room_move.lua: a waiting room follows its sale to a new start, unless it has opened already.
-- KEYS[1] {r:ID}:meta. ARGV[1] the new start, ARGV[2] the new pre-queue opening (epoch seconds).
-- A room that has shuffled its pre-queue (its start has come) keeps its start: returns 0. A room
-- Redis does not hold yet is loaded from MySQL later, with the new start: returns 1, as does a
-- room moved here.
if redis.call('HGET', KEYS[1], 'shuffled') == '1' then return 0 end
if redis.call('HEXISTS', KEYS[1], 'opens') == 1 then
  redis.call('HSET', KEYS[1], 'opens', ARGV[1], 'joins_from', ARGV[2])
end
return 1
