-- lock_release.lua: releases a lock only for its owner (the token it was taken with), like
-- Redisson's unlock: a holder whose lease ran out never frees someone else's lock.
-- KEYS[1] the lock; ARGV[1] the owner's token. Returns 1 released, 0 not the owner.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
