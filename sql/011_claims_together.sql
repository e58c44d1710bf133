-- 011: sync-mode claims written together. The winners a web worker holds on one campaign are
-- issued by one CALL: one round trip, so that the campaign row's lock is held only while the
-- server works (the counter raised, the rows inserted, the commit), not across the client's
-- round trips. The same two guards as coupon_issue: the counter never passes the total, and
-- the (coupon, user) key refuses a second coupon; either refusal writes nothing.
-- p_users is a JSON array of user ids. The result, read only after COMMIT: (id, user_id) of
-- every row written, so that rows in the answer are stored rows; none when the room was short.
-- A duplicate key (1062) or any other error rolls back and is signalled again to the caller.
-- Written for MariaDB and MySQL 8 alike (production runs MySQL 8; see docker-compose.yaml).
DROP PROCEDURE IF EXISTS coupon_issue_many;
DELIMITER //
CREATE PROCEDURE coupon_issue_many(IN p_coupon BIGINT, IN p_users TEXT)
MODIFIES SQL DATA
BEGIN
  DECLARE k INT DEFAULT JSON_LENGTH(p_users);
  DECLARE EXIT HANDLER FOR SQLEXCEPTION
  BEGIN
    ROLLBACK;
    RESIGNAL;
  END;
  START TRANSACTION;
  UPDATE coupons SET issued = issued + k WHERE id = p_coupon AND issued + k <= total_quantity;
  IF ROW_COUNT() = 1 THEN
    INSERT INTO user_coupons (coupon_id, user_id)
      SELECT p_coupon, j.user_id
      FROM JSON_TABLE(p_users, '$[*]' COLUMNS (user_id BIGINT PATH '$')) AS j;
    COMMIT;
    SELECT uc.id, uc.user_id
      FROM JSON_TABLE(p_users, '$[*]' COLUMNS (user_id BIGINT PATH '$')) AS j
      JOIN user_coupons uc ON uc.coupon_id = p_coupon AND uc.user_id = j.user_id;
  ELSE
    ROLLBACK;
    SELECT 0 AS id, 0 AS user_id FROM DUAL WHERE FALSE;
  END IF;
END//
DELIMITER ;
