#!/usr/bin/env bash
# s3backup run (default flags) against aws s3 sync --delete and rclone sync --checksum --fast-list on Ceph RGW and
# on moto, in one run: full sync, no-op and incremental resync; wall, client and server CPU, requests by kind
# (ops/bench/providers.py does the measuring). Arguments go to it, e.g.:
#   ops/bench/providers.sh --servers rgw,moto --objects 3000
set -euo pipefail
cd "$(dirname "$0")/../.."
ops/install-deps.sh   # moto, boto3 and Ceph's RGW
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
command -v rclone >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone >/dev/null
command -v aws >/dev/null || python3 -m pip install --quiet awscli
swift build -c release --product s3backup >&2
exec python3 ops/bench/providers.py "$@"
