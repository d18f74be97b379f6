-- s3backup queue schema, version 3: fleet-wide backoff.

-- One row, read by every process of the host: when S3 answers one of them SlowDown, that process raises the
-- level and all of them space their requests out; the level decays by itself once the throttling stops.
CREATE TABLE throttle (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    level     INTEGER NOT NULL CHECK (level >= 0),
    raised_at INTEGER NOT NULL -- unix milliseconds
) STRICT;
