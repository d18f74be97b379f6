-- s3backup queue schema on PostgreSQL, version 2: the S3 requests of each run by operation, for the cost estimate
-- of its report, and when each running task was claimed, for `status --watch`. Every attempt counts (S3 bills a request whether or not it is tried again); workers and planners
-- add theirs as they go, so a row grows by upsert. The run's rows go with it when it is pruned.
CREATE TABLE run_requests (
    run_id    bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    operation text   NOT NULL,              -- the S3 API name: ListObjectsV2, CopyObject, …
    sent      bigint NOT NULL CHECK (sent >= 0),
    PRIMARY KEY (run_id, operation)
);

-- When the task's lease was taken (NULL for tasks claimed before version 2): what a worker holds since when.
ALTER TABLE tasks ADD COLUMN claimed_at bigint;
