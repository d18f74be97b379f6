-- Object Lock (see sql/sqlite/0009_locks.sql): the lock each catalog row's backup version holds, and the delete
-- markers s3backup placed.
ALTER TABLE catalog ADD COLUMN retain_until bigint;

CREATE TABLE delete_markers (
    pair      text   COLLATE "C" NOT NULL,
    key       text   COLLATE "C" NOT NULL,
    version   text   NOT NULL,
    placed_at bigint NOT NULL,
    PRIMARY KEY (pair, key, version)
);

CREATE TABLE delete_markers_since (
    since bigint NOT NULL
);
INSERT INTO delete_markers_since VALUES ((extract(epoch FROM now()) * 1000)::bigint);
