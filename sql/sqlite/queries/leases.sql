-- Tasks being worked on: who holds each lease, for how much longer, and when it last beat.
-- sqlite3 -readonly -box QUEUE.db < sql/sqlite/queries/leases.sql
SELECT id AS task, run_id AS run, lease_owner AS worker, attempts,
       (lease_expires_at - (julianday('now') - 2440587.5) * 86400000) / 1000.0 AS seconds_left,
       ((julianday('now') - 2440587.5) * 86400000 - heartbeat_at) / 1000.0 AS seconds_since_heartbeat
FROM tasks
WHERE state = 'running'
ORDER BY lease_expires_at;
