-- Tasks of each run by state, newest run first.
-- sqlite3 -readonly -box QUEUE.db < sql/sqlite/queries/tasks-by-state.sql
SELECT r.id AS run, r.kind, r.state AS run_state, t.state AS task_state, count(t.id) AS tasks
FROM runs r LEFT JOIN tasks t ON t.run_id = r.id
GROUP BY r.id, t.state
ORDER BY r.id DESC, t.state;
