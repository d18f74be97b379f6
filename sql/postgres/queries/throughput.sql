-- Tasks finished per minute, per run, over the last hour (the server's clock).
-- psql "$S3BACKUP_DB" -f sql/postgres/queries/throughput.sql
SELECT run_id AS run, date_trunc('minute', to_timestamp(finished_at / 1000.0)) AS minute,
       count(*) FILTER (WHERE state = 'succeeded') AS succeeded, count(*) FILTER (WHERE state = 'dead') AS dead
FROM tasks
WHERE finished_at >= extract(epoch FROM now()) * 1000 - 3600000
GROUP BY run_id, minute
ORDER BY run_id, minute;
