-- 013: a waiting room that turns itself on, and one an admin turns off (docs/architecture.md,
-- "Waiting rooms"). A room with a threshold guards its item only once one second's arrivals (its
-- claims or checkouts) passed it; switched_on_at records when. An admin may turn any room off
-- (its item is then not guarded; the places are kept) and on again.
ALTER TABLE rooms
  ADD COLUMN threshold INT NOT NULL DEFAULT 0 AFTER prequeue_seconds, -- 0: on from its making
  ADD COLUMN switched_on_at DATETIME NULL AFTER threshold,
  ADD COLUMN turned_off TINYINT NOT NULL DEFAULT 0 AFTER switched_on_at;
