-- s3backup queue schema, version 6: tasks that wait for S3 to retrieve archived objects.

-- The objects a parked task waits for: a copy task whose sources are being retrieved from GLACIER, DEEP_ARCHIVE or
-- an Intelligent-Tiering archive tier is given back as 'ready' with run_at at its next check (no lease is held
-- while S3 takes minutes to hours), and this count, so `status` and `restore --no-wait` can tell waiting from work.
-- NULL for a task that waits for nothing.
ALTER TABLE tasks ADD COLUMN waiting INTEGER CHECK (waiting > 0);
