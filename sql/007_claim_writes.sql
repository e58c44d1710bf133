-- 007: cheaper durable claim writes. A claim event is one (campaign, user) pair, which
-- uq_user_coupons_claim already makes unique, so a redelivered event is refused by that key
-- alone. The unique key on the random event_id made every insert look up a random page of a
-- second unique index (InnoDB cannot defer unique checks); event_id stays as a plain column.
ALTER TABLE user_coupons DROP INDEX uq_user_coupons_event;
