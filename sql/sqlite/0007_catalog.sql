-- s3backup queue schema, version 7: the catalog of copies.

-- For every object s3backup copied (or proved equal and adopted), one row per backup key of a source/backup pair:
-- the source as it was listed when copied and the copy that produced. An object is unchanged while its source
-- still lists with this size and ETag, and intact while the backup still lists with this ETag, whatever encryption
-- or part layout made the two ETags differ. Rows are written in the transaction that completes the copy task and
-- removed in the one that completes the delete task; a row outlives the run that wrote it for as long as the
-- backup holds the key. Version 4's records of copies with another part layout become the first rows.
CREATE TABLE catalog (
    pair            TEXT    NOT NULL, -- "source -> backup", as RunParameters.pair spells it
    key             TEXT    NOT NULL, -- relative to both prefixes
    size            INTEGER NOT NULL,
    source_etag     TEXT    NOT NULL, -- the value between the quotes
    source_version  TEXT,
    source_checksum TEXT,             -- "CRC64NVME:<base64>", the full-object checksum S3 keeps, when known
    backup_etag     TEXT    NOT NULL,
    backup_version  TEXT,
    rule            TEXT    NOT NULL, -- how the pair was known equal: 'copied' or 'checksum' (adopted)
    recorded_at     INTEGER NOT NULL, -- unix milliseconds
    PRIMARY KEY (pair, key)
) STRICT, WITHOUT ROWID;

INSERT INTO catalog (pair, key, size, source_etag, backup_etag, rule, recorded_at)
    SELECT pair, key, size, source_etag, backup_etag, 'copied', recorded_at FROM relayouts;
DROP TABLE relayouts;
