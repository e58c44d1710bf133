-- 009: events a consumer could not apply (the store refused them for good: a durable stock
-- guard that matched nothing, ...). They are parked here instead of blocking their partition,
-- shown to admins, and retried one at a time through the same handler. One row per consumer
-- and message: a redelivered message that is refused again updates its row.
CREATE TABLE parked_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  consumer VARCHAR(32) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  kpartition INT NOT NULL,
  koffset BIGINT NOT NULL,
  msg_key VARCHAR(255) NOT NULL DEFAULT '',
  payload MEDIUMTEXT NOT NULL,
  reason VARCHAR(512) NOT NULL,
  status ENUM('parked','resolved') NOT NULL DEFAULT 'parked',
  attempts INT NOT NULL DEFAULT 1,
  parked_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  retried_at DATETIME NULL,
  resolved_at DATETIME NULL,
  UNIQUE KEY uq_parked_message (consumer, topic, kpartition, koffset),
  KEY ix_parked_status (status, id)
) ENGINE=InnoDB;
