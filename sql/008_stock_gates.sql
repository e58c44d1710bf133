-- 008: one gate row per product. Every transaction that changes whether an order holds units of
-- a product (checkout, expiry, cancel, declined payment, completed return) takes its products'
-- rows shared until it commits; the rebuild of a product's Redis counter takes its row
-- exclusively, so it reads MySQL only when no such change is in flight and none starts before
-- the counter and its reservation records are written. Rows are made when a counter is first
-- built (catalog_load_product); these are the products that exist already.
CREATE TABLE stock_gates (
  product_id BIGINT NOT NULL PRIMARY KEY,
  CONSTRAINT fk_stock_gates_product FOREIGN KEY (product_id) REFERENCES products (id) ON DELETE CASCADE
) ENGINE=InnoDB;

INSERT INTO stock_gates (product_id) SELECT id FROM products;
