-- Tasks finished per minute, per run, over the last hour.
-- sqlite3 -readonly -box QUEUE.db < sql/sqlite/queries/throughput.sql
SELECT run_id AS run, strftime('%Y-%m-%d %H:%M', finished_at / 1000, 'unixepoch') AS minute,
       sum(state = 'succeeded') AS succeeded, sum(state = 'dead') AS dead
FROM tasks
WHERE finished_at >= (julianday('now') - 2440587.5) * 86400000 - 3600000
GROUP BY run_id, minute
ORDER BY run_id, minute;
