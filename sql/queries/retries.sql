-- Tasks that needed more than one attempt, and why the last one failed.
-- sqlite3 -readonly -box QUEUE.db < sql/queries/retries.sql
SELECT id AS task, run_id AS run, kind, state, attempts, max_attempts, last_error
FROM tasks
WHERE attempts > 1
ORDER BY attempts DESC, id
LIMIT 100;
