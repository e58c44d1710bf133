-- 006: the concurrency lab (`firstcome bench strategies`): the textbook strategies run on
-- these tables, which deliberately have no unique key, so that a strategy that fails shows it
-- (oversold campaigns, users holding two).
CREATE TABLE lab_campaigns (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  strategy VARCHAR(40) NOT NULL,
  total INT NOT NULL,
  issued INT NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB;

CREATE TABLE lab_issues (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  campaign_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY ix_lab_issues (campaign_id, user_id)
) ENGINE=InnoDB;
