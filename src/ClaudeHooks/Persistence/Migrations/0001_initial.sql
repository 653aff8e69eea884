-- Tasks, their history and events, and Claude Code sessions per conversation thread.
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    agent       TEXT NOT NULL,
    repo        TEXT NOT NULL,
    base_ref    TEXT,
    thread      TEXT NOT NULL,
    prompt      TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempt     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    outcome     TEXT
);
CREATE INDEX tasks_state_agent ON tasks (state, agent, created_at);

CREATE TABLE task_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    at          TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX task_history_task ON task_history (task_id, id);

CREATE TABLE task_events (
    task_id     TEXT NOT NULL REFERENCES tasks (id),
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;

CREATE TABLE sessions (
    agent       TEXT NOT NULL,
    repo        TEXT NOT NULL,
    thread      TEXT NOT NULL,
    session_id  TEXT NOT NULL,
    worktree    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (agent, repo, thread)
) WITHOUT ROWID;
