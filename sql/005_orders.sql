-- 005: likes, carts, orders with their items and history, payments, the transactional outbox,
-- consumer idempotency, shipments and notifications.
CREATE TABLE likes (
  user_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (user_id, product_id),
  KEY ix_likes_product (product_id),
  CONSTRAINT fk_likes_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_likes_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;

CREATE TABLE cart_items (
  user_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity INT NOT NULL,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (user_id, product_id),
  CONSTRAINT ck_cart_quantity CHECK (quantity > 0),
  CONSTRAINT fk_cart_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT fk_cart_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;

-- stock_applied: the order worker has taken the units out of products.stock (durable stock).
CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  status ENUM('pending_payment','paid','preparing','shipping','delivered','return_requested',
              'returned','payment_failed','expired','cancelled') NOT NULL DEFAULT 'pending_payment',
  amount BIGINT NOT NULL,
  discount BIGINT NOT NULL DEFAULT 0,
  total BIGINT NOT NULL,
  user_coupon_id BIGINT NULL,
  stock_applied TINYINT(1) NOT NULL DEFAULT 0,
  expires_at DATETIME NOT NULL,
  paid_at DATETIME NULL,
  delivered_at DATETIME NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY ix_orders_user (user_id, id),
  KEY ix_orders_due (status, expires_at),
  CONSTRAINT fk_orders_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;

CREATE TABLE order_items (
  order_id BIGINT NOT NULL,
  product_id BIGINT NOT NULL,
  quantity INT NOT NULL,
  unit_price BIGINT NOT NULL,
  PRIMARY KEY (order_id, product_id),
  CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (id),
  CONSTRAINT fk_order_items_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;

CREATE TABLE order_history (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  status VARCHAR(32) NOT NULL,
  at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY ix_order_history_order (order_id, id)
) ENGINE=InnoDB;

CREATE TABLE payments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  outcome ENUM('approved','declined','refunded') NOT NULL,
  amount BIGINT NOT NULL,
  card_last4 CHAR(4) NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY ix_payments_order (order_id)
) ENGINE=InnoDB;

-- Written in the same transaction as the change it announces; published_at is set once Kafka
-- acknowledged the event. The relay publishes what stays unacknowledged.
CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id CHAR(36) NOT NULL,
  topic VARCHAR(64) NOT NULL,
  msg_key VARCHAR(64) NOT NULL,
  payload TEXT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  published_at DATETIME NULL,
  UNIQUE KEY uq_outbox_event (event_id),
  KEY ix_outbox_pending (published_at, id)
) ENGINE=InnoDB;

-- Every consumer records what it applied, in the transaction that applied it.
CREATE TABLE processed_events (
  consumer VARCHAR(32) NOT NULL,
  event_id CHAR(36) NOT NULL,
  processed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (consumer, event_id)
) ENGINE=InnoDB;

CREATE TABLE shipments (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id BIGINT NOT NULL,
  tracking_number VARCHAR(32) NOT NULL,
  status ENUM('preparing','shipping','delivered','cancelled') NOT NULL DEFAULT 'preparing',
  due_at DATETIME NOT NULL,
  shipped_at DATETIME NULL,
  delivered_at DATETIME NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_shipments_order (order_id),
  KEY ix_shipments_due (status, due_at)
) ENGINE=InnoDB;

CREATE TABLE notifications (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  event_id CHAR(36) NOT NULL,
  kind VARCHAR(40) NOT NULL,
  message VARCHAR(500) NOT NULL,
  order_id BIGINT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY uq_notifications_event (event_id),
  KEY ix_notifications_user (user_id, id)
) ENGINE=InnoDB;

ALTER TABLE user_coupons ADD KEY ix_user_coupons_order (order_id);
