-- 012: waiting rooms in front of a sale (docs/architecture.md, "Waiting rooms"). A room holds
-- the people who want a product's flash sale or a coupon event when more arrive than the shop
-- should serve at once: those who join before the sale opens are shuffled at its start, those
-- after queue in arrival order, and the rooms worker admits them at `rate` a second. The room's
-- settings and timed transitions live here; the places live in Redis.
CREATE TABLE rooms (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  item_kind ENUM('product', 'campaign') NOT NULL,
  item_id BIGINT NOT NULL,
  rate INT NOT NULL,             -- people admitted a second
  pass_seconds INT NOT NULL,     -- how long an admitted person's pass lasts
  prequeue_seconds INT NOT NULL, -- how long before the start people may join
  opens_at DATETIME NOT NULL,    -- the sale's start: the item's, when the room was made
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_rooms_item (item_kind, item_id),
  KEY ix_rooms_opens (opens_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
