#!/usr/bin/env bash
# Queue throughput on this machine: enqueue, and claim+complete per second with 1, 4 and 16 worker processes, one
# task per transaction and 100 per transaction, with 5,000 and 100,000 tasks in the queue, on a SQLite file and on
# a throwaway PostgreSQL cluster (Debian's server, initdb'ed in a temporary directory, stopped by its pid at exit).
# Prints Markdown tables.
#   BACKLOGS="5000 100000" PROCESSES="1 4 16" ops/bench/queue.sh    (SKIP_SQLITE=1: PostgreSQL only)
set -euo pipefail
cd "$(dirname "$0")/../.."
ops/install-deps.sh
swift build -c release --product queue-bench >&2
bench=(.build/release/queue-bench bench --backlogs ${BACKLOGS:-5000 100000} --processes ${PROCESSES:-1 4 16} --batches 1 100)

[[ -n "${SKIP_SQLITE:-}" ]] || "${bench[@]}" --directory "${TMPDIR:-/tmp}"

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
cluster=$(mktemp -d)
run_as_postgres=()
if [[ $(id -u) -eq 0 ]]; then  # initdb refuses root; setpriv executes in place, so $! is the postmaster's pid
  chown postgres: "$cluster"
  run_as_postgres=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
"${run_as_postgres[@]}" "$bin/initdb" -D "$cluster/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
# Durable as a production server is (fsync and synchronous_commit on), on a socket in the cluster's directory.
"${run_as_postgres[@]}" "$bin/postgres" -D "$cluster/data" -k "$cluster" -p 5439 -c listen_addresses= \
  -c max_connections=100 2>"$cluster/postgres.log" &
postmaster=$!
trap 'kill -INT $postmaster; wait $postmaster; rm -rf "$cluster"' EXIT
until "$bin/pg_isready" -q -h "$cluster" -p 5439 -U postgres; do sleep 0.1; done
echo
"${bench[@]}" --postgres "host=$cluster port=5439 dbname=postgres user=postgres"
