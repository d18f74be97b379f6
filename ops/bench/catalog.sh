#!/usr/bin/env bash
# Planning by the catalog at 10,000 and 100,000 objects whose ETags all differ (as other encryption makes them):
# plan wall and maximum resident set (ops/bench/catalog.py does the measuring). Arguments go to it, e.g.:
#   ops/bench/catalog.sh --objects 10000,100000
set -euo pipefail
cd "$(dirname "$0")/../.."
ops/install-deps.sh
swift build -c release --product s3backup >&2
exec python3 ops/bench/catalog.py --bin "$PWD/.build/release/s3backup" "$@"
