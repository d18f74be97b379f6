-- s3backup queue schema, version 4: copies made with another part layout than their source's.

-- A multipart object whose part layout the source's provider would not tell (HeadObject with partNumber and
-- GetObjectAttributes both unsupported) is copied with a part size of s3backup's choosing, so the copy's ETag
-- differs from the source's. One row per backup key of a source/backup pair remembers which two ETags belong
-- together, so the next night finds the object unchanged instead of copying it again. A row stands only while
-- both sides still list exactly these ETags and this size: any change on either side makes it moot.
CREATE TABLE relayouts (
    pair        TEXT    NOT NULL, -- "source -> backup", as RelayoutRecord.pair spells it
    key         TEXT    NOT NULL, -- relative to both prefixes
    size        INTEGER NOT NULL,
    source_etag TEXT    NOT NULL, -- the value between the quotes
    backup_etag TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL, -- unix milliseconds
    PRIMARY KEY (pair, key)
) STRICT, WITHOUT ROWID;
