-- s3backup queue schema, version 9: Object Lock.

-- The retain-until date (unix milliseconds) the catalog row's backup version was locked to, as s3backup set or
-- extended it; NULL where none is known (not locked, or copied before version 9). A run extends the locks of rows
-- that come due (LockPolicy.needsExtension) and records the new date here.
ALTER TABLE catalog ADD COLUMN retain_until INTEGER;

-- The delete markers s3backup's mirror deletes placed in a backup, by the version id S3 gave each: the tamper report
-- (verify) names every other delete marker as placed by someone else. Rows stay for as long as the queue does.
CREATE TABLE delete_markers (
    pair      TEXT    NOT NULL, -- "source -> backup", as RunParameters.pair spells it
    key       TEXT    NOT NULL, -- relative to both prefixes
    version   TEXT    NOT NULL, -- the marker's version id
    placed_at INTEGER NOT NULL, -- unix milliseconds
    PRIMARY KEY (pair, key, version)
) STRICT, WITHOUT ROWID;

-- When this queue began recording the delete markers it places (the moment this migration ran): the tamper report
-- judges only the markers placed since, as an older one may be s3backup's own from before.
CREATE TABLE delete_markers_since (
    since INTEGER NOT NULL -- unix milliseconds
) STRICT;
INSERT INTO delete_markers_since VALUES (unixepoch() * 1000);
