-- Tasks being worked on: which worker (host:pid) holds each lease, for how much longer and when it last beat, on
-- the server's clock, the one leases are timed by.
-- psql "$S3BACKUP_DB" -f sql/postgres/queries/leases.sql
SELECT id AS task, run_id AS run, lease_owner AS worker, attempts,
       (lease_expires_at - extract(epoch FROM now()) * 1000) / 1000.0 AS seconds_left,
       (extract(epoch FROM now()) * 1000 - heartbeat_at) / 1000.0 AS seconds_since_heartbeat
FROM tasks
WHERE state = 'running'
ORDER BY lease_expires_at;
