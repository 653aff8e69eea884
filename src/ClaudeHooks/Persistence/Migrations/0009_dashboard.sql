-- Dashboard sessions: only a digest of each session cookie is kept, with the digest of the API token it was opened
-- with, so a rotated token ends every session opened with the old one. Sign-out deletes the row.
CREATE TABLE dashboard_sessions (
    id_hash     TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
