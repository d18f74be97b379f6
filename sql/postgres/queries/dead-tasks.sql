-- Dead tasks with their last error and each object failure recorded for them, attempt by attempt (earlier
-- rounds, before a `retry`, included; `s3backup failed` names each object once).
-- psql "$S3BACKUP_DB" -f sql/postgres/queries/dead-tasks.sql
SELECT t.id AS task, t.run_id AS run, t.kind, t.earlier_attempts + t.attempts AS attempts, t.last_error,
       f.attempt, f.subject AS object, f.error AS object_error, to_timestamp(t.finished_at / 1000.0) AS died
FROM tasks t LEFT JOIN task_failures f ON f.task_id = t.id
WHERE t.state = 'dead'
ORDER BY t.id, f.id;
