-- 014: a waiting room retired a day after its start (docs/architecture.md, "Waiting rooms"):
-- it no longer guards its item nor admits anyone then, so the rooms worker keeps its final
-- counts here and removes its places from Redis, which would otherwise hold every room's
-- tickets for good. One room per item is the rule for rooms not retired: an item may get a new
-- room for a later sale once its last one retired.
ALTER TABLE rooms
  ADD COLUMN retired_at DATETIME NULL,
  ADD COLUMN final_counts TEXT NULL, -- JSON: waiting, admitted, prequeue, turns, used, left
  ADD COLUMN live_item_id BIGINT AS (IF(retired_at IS NULL, item_id, NULL)) PERSISTENT,
  ADD KEY ix_rooms_retire (retired_at, opens_at),
  ADD UNIQUE KEY uq_rooms_live_item (item_kind, live_item_id),
  DROP KEY uq_rooms_item,
  ADD KEY ix_rooms_item (item_kind, item_id);
