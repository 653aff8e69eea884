-- Budgets: what each task spent per UTC day, as the gateway measured it from the usage of every model response
-- (priced by the gateway's table; the CLI's own total_cost_usd stays in the outcome), so daily caps per agent and per
-- repository hold while tasks run. A queued task a cap holds names the cap, and when it frees, once.
CREATE TABLE task_spend (
    task_id                TEXT NOT NULL REFERENCES tasks (id),
    day                    TEXT NOT NULL,
    agent                  TEXT NOT NULL,
    repo_key               TEXT NOT NULL,
    usd                    REAL NOT NULL DEFAULT 0,
    requests               INTEGER NOT NULL DEFAULT 0,
    input_tokens           INTEGER NOT NULL DEFAULT 0,
    output_tokens          INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, day)
) WITHOUT ROWID;
CREATE INDEX task_spend_agent ON task_spend (day, agent);
CREATE INDEX task_spend_repo ON task_spend (day, repo_key);

ALTER TABLE tasks ADD COLUMN budget_hold TEXT;
ALTER TABLE tasks ADD COLUMN budget_hold_key TEXT;
ALTER TABLE tasks ADD COLUMN budget_hold_until TEXT;
