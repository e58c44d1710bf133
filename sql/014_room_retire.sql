-- 014: a waiting room retired a day after its start (docs/architecture.md, "Waiting rooms"):
-- it no longer guards its item nor admits anyone then, so the rooms worker keeps its final
-- counts here and removes its places from Redis, which would otherwise hold every room's
-- tickets for good.
ALTER TABLE rooms
  ADD COLUMN retired_at DATETIME NULL,
  ADD COLUMN final_counts TEXT NULL, -- JSON: waiting, admitted, prequeue, turns, used, left
  ADD KEY ix_rooms_retire (retired_at, opens_at);
