#!/usr/bin/env bash
# Queue throughput on this machine: enqueue, and claim+complete per second with 1, 2 and 4 worker processes
# sharing one SQLite file, one task per transaction and 100 per transaction. Prints a Markdown table.
#   TASKS=100000 ops/bench/queue.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ops/install-deps.sh
swift build -c release --product queue-bench >&2
.build/release/queue-bench bench --tasks "${TASKS:-100000}" --processes 1 2 4 --batches 1 100 --directory "${TMPDIR:-/tmp}"
