-- s3backup queue schema, version 5: the books. Run ids are never handed out twice, `retry` keeps the attempts
-- it gives back, every request retry is counted, and each failure row knows its attempt.
--
-- Migrations.apply runs this with foreign keys off (the pragma cannot change inside a transaction, so it goes
-- around it) and checks them before committing, as the table rebuild below needs.

-- Run ids: `INTEGER PRIMARY KEY` alone takes the largest id in the table + 1, so once `prune` had removed every
-- run the next one was "run 1" again, a number reports and mails had already used. AUTOINCREMENT takes the
-- largest id the table ever held (kept in sqlite_sequence) + 1. https://www.sqlite.org/autoinc.html
--
-- ALTER TABLE cannot add AUTOINCREMENT, so the table is rebuilt the way
-- https://www.sqlite.org/lang_altertable.html#otheralter prescribes: a new table with every column and
-- constraint of the old one (0001's, then 0002's planner lease), the rows copied with their ids, the old table
-- dropped (with foreign keys off that cannot cascade into tasks and plan_units, whose REFERENCES runs name the
-- new table once it takes the name), the new one renamed, and the old table's index made again.
CREATE TABLE runs_rebuilt (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    kind               TEXT    NOT NULL,              -- 'backup', 'restore', 'verify'
    source             TEXT    NOT NULL,              -- s3://bucket/prefix read from
    destination        TEXT    NOT NULL,              -- s3://bucket/prefix written to
    parameters         TEXT    NOT NULL DEFAULT '{}', -- the options the run was started with, JSON
    state              TEXT    NOT NULL DEFAULT 'planning'
                       CHECK (state IN ('planning', 'running', 'finished', 'cancelled')),
    note               TEXT,                          -- why the run is as it is ("deletes refused: …")
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    finished_at        INTEGER,
    planner            TEXT,                          -- the planner's lease (0002)
    planner_expires_at INTEGER,
    -- S3 requests of the run's tasks that failed and were tried again, and of those the throttled ones, added by
    -- workers as each task ends, whatever its outcome (a failed attempt's retries happened as much as a
    -- completed one's).
    request_retries    INTEGER NOT NULL DEFAULT 0 CHECK (request_retries >= 0),
    throttled_requests INTEGER NOT NULL DEFAULT 0 CHECK (throttled_requests >= 0)
) STRICT;
INSERT INTO runs_rebuilt (id, kind, source, destination, parameters, state, note, created_at, updated_at, finished_at,
                          planner, planner_expires_at)
SELECT id, kind, source, destination, parameters, state, note, created_at, updated_at, finished_at, planner,
       planner_expires_at
FROM runs;
DROP TABLE runs;
ALTER TABLE runs_rebuilt RENAME TO runs;
CREATE INDEX runs_by_location ON runs (source, destination, state);

-- Attempts of the task's earlier rounds: `retry` gives a dead task fresh attempts (`attempts` counts the current
-- round against max_attempts) and adds the used ones here, so the run's retries still count them.
ALTER TABLE tasks ADD COLUMN earlier_attempts INTEGER NOT NULL DEFAULT 0 CHECK (earlier_attempts >= 0);

-- The task's attempt, counting earlier rounds, in which the object failed: `failed` names each object once,
-- with the attempts it failed in, and only the objects that failed in the last attempt that recorded any.
-- NULL for failures recorded before version 5.
ALTER TABLE task_failures ADD COLUMN attempt INTEGER;

-- `failed` groups a task's failures by object and reads each object's last error: the index leads with the
-- task (as the one it replaces, which cascading deletes and `failed` use) and then the object.
DROP INDEX task_failures_by_task;
CREATE INDEX task_failures_by_task ON task_failures (task_id, subject);
