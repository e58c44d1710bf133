-- 010: password reset requests, queued alike for every address. The request answers after one
-- insert whether or not the address has an account; the mailer looks the address up afterwards
-- and mails a reset link only to an account, so neither the answer nor its timing tells which
-- emails exist. A request is marked handled in the transaction that queues its mail, and kept
-- (as mail_outbox rows are) for operators to inspect.
CREATE TABLE password_reset_requests (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  email VARCHAR(254) NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  handled_at DATETIME NULL,
  -- the mailer's one question: which requests wait
  KEY ix_reset_requests_waiting (handled_at, id),
  KEY ix_reset_requests_email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
