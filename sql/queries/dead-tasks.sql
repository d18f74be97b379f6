-- Dead tasks with their last error and each object failure recorded for them.
-- sqlite3 -readonly -box QUEUE.db < sql/queries/dead-tasks.sql
SELECT t.id AS task, t.run_id AS run, t.kind, t.attempts, t.last_error, f.subject AS object, f.error AS object_error,
       datetime(t.finished_at / 1000, 'unixepoch') AS died
FROM tasks t LEFT JOIN task_failures f ON f.task_id = t.id
WHERE t.state = 'dead'
ORDER BY t.id, f.rowid;
