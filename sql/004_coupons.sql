-- 004: issued coupons. The unique (coupon_id, user_id) key makes "one per user" MySQL's own rule,
-- and coupons.issued (CHECK issued <= total_quantity, raised only by a conditional UPDATE) makes
-- "never more than the total" one too, whatever Redis says.
CREATE TABLE user_coupons (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  coupon_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  status ENUM('available','used') NOT NULL DEFAULT 'available',
  order_id BIGINT NULL,
  event_id CHAR(36) NULL,
  claimed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  used_at DATETIME NULL,
  UNIQUE KEY uq_user_coupons_claim (coupon_id, user_id),
  UNIQUE KEY uq_user_coupons_event (event_id),
  KEY ix_user_coupons_user (user_id),
  CONSTRAINT fk_user_coupons_coupon FOREIGN KEY (coupon_id) REFERENCES coupons (id),
  CONSTRAINT fk_user_coupons_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
