-- Tasks that needed more than one attempt (earlier rounds, before a `retry`, included), and why the last one failed.
-- sqlite3 -readonly -box QUEUE.db < sql/sqlite/queries/retries.sql
SELECT id AS task, run_id AS run, kind, state, earlier_attempts + attempts AS attempts, attempts AS this_round,
       max_attempts, last_error
FROM tasks
WHERE earlier_attempts + attempts > 1
ORDER BY earlier_attempts + attempts DESC, id
LIMIT 100;
