-- Leases for claimed tasks, cancellation requests, per-task limits, and webhook deliveries.
ALTER TABLE tasks ADD COLUMN lease_owner TEXT;
ALTER TABLE tasks ADD COLUMN lease_expires_at TEXT;
ALTER TABLE tasks ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN timeout_seconds INTEGER;
CREATE INDEX tasks_queue ON tasks (agent, state, created_at, id);
CREATE INDEX tasks_created ON tasks (created_at, id);

CREATE TABLE webhook_deliveries (
    delivery_id   TEXT PRIMARY KEY,
    semantic_key  TEXT UNIQUE,
    event         TEXT NOT NULL,
    action        TEXT,
    repo          TEXT,
    received_at   TEXT NOT NULL,
    body          BLOB NOT NULL,
    task_id       TEXT REFERENCES tasks (id),
    outcome       TEXT
);
