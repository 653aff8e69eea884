-- A delivery whose processing fails is tried again with backoff, a bounded number of times: how often it was
-- attempted, the last error, when it may be tried next, and when it was given up (its outcome then says why).
ALTER TABLE webhook_deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN last_error TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN next_attempt_at TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN dead_at TEXT;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (received_at) WHERE outcome IS NULL;
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
