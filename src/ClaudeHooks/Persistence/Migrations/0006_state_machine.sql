-- One task state machine: which performer carries a task out (an agent run, the lead's merge), when a retried task
-- may be claimed again, and the exact commit a task must start from (a review: its pull request's head when the
-- review was requested). Forge writes are intents, recorded in the transaction of the transition that causes them
-- and carried out afterwards under an idempotency key, reconciled with the forge before any retry.
ALTER TABLE tasks ADD COLUMN performer TEXT NOT NULL DEFAULT 'agent';
ALTER TABLE tasks ADD COLUMN not_before TEXT;
ALTER TABLE tasks ADD COLUMN base_commit TEXT;

CREATE TABLE forge_intents (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    task_id     TEXT REFERENCES tasks (id),
    repo        TEXT NOT NULL,
    agent       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,
    result      TEXT,
    last_error  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX forge_intents_pending ON forge_intents (state, not_before, id);
CREATE INDEX forge_intents_task ON forge_intents (task_id, id);

-- The verdict a review task of the service posted, and the forge's id of that review: the lead merges on nothing else.
ALTER TABLE forge_tasks ADD COLUMN verdict TEXT;
ALTER TABLE forge_tasks ADD COLUMN review_id INTEGER;
