-- Forge work: one row per semantic event (so replays and hand-offs never queue twice), and the forge side of tasks.
CREATE TABLE forge_events (
    semantic_key  TEXT PRIMARY KEY,
    task_id       TEXT REFERENCES tasks (id),
    source        TEXT NOT NULL,
    created_at    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE forge_tasks (
    task_id              TEXT PRIMARY KEY REFERENCES tasks (id),
    repo                 TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    number               INTEGER NOT NULL,
    head_sha             TEXT,
    request              TEXT,
    pull_number          INTEGER,
    tracking_comment_id  INTEGER
) WITHOUT ROWID;
