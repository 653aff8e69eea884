-- POST /task's Idempotency-Key: a retried submission finds the task its first try made instead of queuing another.
-- The body's SHA-256 tells a retry (same body) from a mistake (the key reused for another task). Rows older than
-- the retention window are pruned as new keys come in.
CREATE TABLE idempotency_keys (
    key         TEXT PRIMARY KEY,
    body_sha256 TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
