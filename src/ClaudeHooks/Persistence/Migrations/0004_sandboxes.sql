-- Tasks run in sandboxes of their own: the service keeps each thread's transcript (restored into the next
-- sandbox of the thread before it resumes), and a task may name the ref whose CLAUDE.md guides it (a review: its
-- pull request's base branch).
ALTER TABLE tasks ADD COLUMN guidance_ref TEXT;

CREATE TABLE transcripts (
    agent        TEXT NOT NULL,
    repo         TEXT NOT NULL,
    thread       TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    project_dir  TEXT NOT NULL,
    data         BLOB NOT NULL,
    saved_at     TEXT NOT NULL,
    PRIMARY KEY (agent, repo, thread)
) WITHOUT ROWID;
