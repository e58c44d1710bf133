-- 011: product pictures. An admin's upload is re-encoded into files under $STATE_DIR/pictures
-- named <picture>-card.jpg and <picture>-large.jpg, which nginx serves; the row names them. A
-- new upload gets a new name (the product id and random hex), so a cached old picture is never
-- served for a new one. NULL: no picture (the pages show the initial-letter tile).
ALTER TABLE products ADD COLUMN picture VARCHAR(64) NULL;
