-- The catalog of copies: objects and bytes per source/backup pair, by how each pair was known equal ('copied' by
-- s3backup, or 'checksum': found equal and adopted), and when the last row of each was written.
-- psql "$S3BACKUP_DB" -f sql/postgres/queries/catalog.sql
SELECT pair, rule, count(*) AS objects, sum(size) AS bytes, to_timestamp(max(recorded_at) / 1000.0) AS last_recorded
FROM catalog
GROUP BY pair, rule
ORDER BY pair, rule;
