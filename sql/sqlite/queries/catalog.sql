-- The catalog of copies: objects and bytes per source/backup pair, by how each pair was known equal ('copied' by
-- s3backup, or 'checksum': found equal and adopted), and when the last row of each was written.
-- sqlite3 -readonly -box QUEUE.db < sql/sqlite/queries/catalog.sql
SELECT pair, rule, count(*) AS objects, sum(size) AS bytes,
       strftime('%Y-%m-%d %H:%M:%S', max(recorded_at) / 1000, 'unixepoch') AS last_recorded
FROM catalog
GROUP BY pair, rule
ORDER BY pair, rule;
