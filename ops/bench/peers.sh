#!/usr/bin/env bash
# s3backup run against aws s3 sync and rclone sync on one moto server, in one run: full sync, no-op resync and
# incremental resync, wall and CPU of client and server (../shared/bench/peers.py does the measuring).
#   OBJECTS=3000 ops/bench/peers.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ops/install-deps.sh
command -v rclone >/dev/null || { sudo_=""; [[ $(id -u) -eq 0 ]] || sudo_=sudo; $sudo_ apt-get install -y -qq rclone >/dev/null; }
swift build -c release --product s3backup >&2
peers=../shared/bench/peers.py
[[ -f $peers ]] || { echo "missing $peers (the shared benchmark script beside this checkout)" >&2; exit 1; }
python3 "$peers" --objects "${OBJECTS:-3000}" \
  --ours "$PWD/.build/release/s3backup run --source s3://{src} --backup s3://{dst} --db {db} --workers 1 --concurrency 16"
