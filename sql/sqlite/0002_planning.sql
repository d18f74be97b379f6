-- s3backup queue schema, version 2: resumable planning.

-- The planner's lease on a run: one planner at a time; a dead planner's lease expires and another takes over.
ALTER TABLE runs ADD COLUMN planner TEXT;
ALTER TABLE runs ADD COLUMN planner_expires_at INTEGER;

-- The units (prefixes) a run's key space was split into, and what the planner found in each (JSON, NULL while
-- still to plan), so an interrupted plan resumes with the same split and only the units still to do.
CREATE TABLE plan_units (
    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    unit        TEXT    NOT NULL,
    summary     TEXT,
    finished_at INTEGER,
    PRIMARY KEY (run_id, unit)
) STRICT;

-- The unit a task was planned in, so re-planning a unit after a crash first removes that unit's unclaimed tasks
-- (stale deletes must never outlive the plan that made them).
ALTER TABLE tasks ADD COLUMN unit TEXT;
CREATE INDEX tasks_by_unit ON tasks (run_id, unit) WHERE state = 'ready';

-- Finding the unfinished run of a source and destination.
CREATE INDEX runs_by_location ON runs (source, destination, state);
