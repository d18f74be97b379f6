-- s3backup queue schema, version 1. Applied by the Queue module inside one transaction; PRAGMA user_version
-- records the version. Times are unix milliseconds written by the application (one host, one clock).

-- A run: one backup, restore or verify, from planning to its report.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL,                  -- 'backup', 'restore', 'verify'
    source      TEXT    NOT NULL,                  -- s3://bucket/prefix read from
    destination TEXT    NOT NULL,                  -- s3://bucket/prefix written to
    parameters  TEXT    NOT NULL DEFAULT '{}',     -- the options the run was started with, JSON
    state       TEXT    NOT NULL DEFAULT 'planning'
                CHECK (state IN ('planning', 'running', 'finished', 'cancelled')),
    note        TEXT,                              -- why the run is as it is ("deletes refused: …")
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;

-- A task: a bounded batch of work of one run (copy these objects, delete those keys).
CREATE TABLE tasks (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL,             -- 'copy', 'delete', …
    unique_key       TEXT    NOT NULL,             -- makes enqueue idempotent within a run
    payload          BLOB    NOT NULL,             -- the work, opaque to the queue
    state            TEXT    NOT NULL DEFAULT 'ready'
                     CHECK (state IN ('ready', 'running', 'succeeded', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0,   -- counted at claim, so a task that kills its worker dies
    max_attempts     INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at           INTEGER NOT NULL,             -- not before (backoff)
    lease_owner      TEXT,
    lease_token      INTEGER NOT NULL DEFAULT 0,   -- fencing token: +1 at every claim, never reset
    lease_expires_at INTEGER,
    heartbeat_at     INTEGER,
    last_error       TEXT,
    result           BLOB,                         -- what the worker reported on success
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    UNIQUE (run_id, unique_key),
    CHECK ((state = 'running') = (lease_expires_at IS NOT NULL))
) STRICT;

-- Claim: ready tasks due now, oldest first. Sweep: running tasks by lease expiry. Views: per run and state.
CREATE INDEX tasks_ready ON tasks (run_at, id) WHERE state = 'ready';
CREATE INDEX tasks_leased ON tasks (lease_expires_at) WHERE state = 'running';
CREATE INDEX tasks_by_run ON tasks (run_id, state, finished_at);

-- What failed inside a task (usually one object key each), so `s3backup failed` can name the objects.
CREATE TABLE task_failures (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    subject TEXT    NOT NULL,
    error   TEXT    NOT NULL,
    at      INTEGER NOT NULL
) STRICT;
CREATE INDEX task_failures_by_task ON task_failures (task_id);
