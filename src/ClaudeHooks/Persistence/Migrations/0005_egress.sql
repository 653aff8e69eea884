-- Every request a sandbox sends out through the gateway, allowed or denied, with the rule that decided it.
-- Paths never carry a query string; old rows go after service.egress_retention.
CREATE TABLE egress (
    id           INTEGER PRIMARY KEY,
    time         TEXT NOT NULL,
    task_id      TEXT,
    agent        TEXT NOT NULL,
    route        TEXT NOT NULL,
    host         TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    status       INTEGER NOT NULL,
    bytes_in     INTEGER NOT NULL,
    bytes_out    INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    decision     TEXT NOT NULL CHECK (decision IN ('allowed', 'denied')),
    rule         TEXT NOT NULL
);
CREATE INDEX egress_time ON egress (time);
CREATE INDEX egress_agent ON egress (agent, id);
CREATE INDEX egress_task ON egress (task_id, id);
CREATE INDEX egress_decision ON egress (decision, id);
