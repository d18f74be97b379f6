-- Dead tasks with their last error and each object failure recorded for them, attempt by attempt (earlier
-- rounds, before a `retry`, included; `s3backup failed` names each object once).
-- sqlite3 -readonly -box QUEUE.db < sql/sqlite/queries/dead-tasks.sql
SELECT t.id AS task, t.run_id AS run, t.kind, t.earlier_attempts + t.attempts AS attempts, t.last_error,
       f.attempt, f.subject AS object, f.error AS object_error, datetime(t.finished_at / 1000, 'unixepoch') AS died
FROM tasks t LEFT JOIN task_failures f ON f.task_id = t.id
WHERE t.state = 'dead'
ORDER BY t.id, f.rowid;
