#!/usr/bin/env bash
# Installs s3backup for the nightly job: the release binary in /usr/local/bin, the example config in
# /etc/s3backup/ (an existing config is never overwritten), the systemd units in /etc/systemd/system, the
# logrotate file, and an s3backup system user owning /var/lib/s3backup and /var/log/s3backup. Run as root.
#   ops/install.sh            then: edit /etc/s3backup/s3backup.toml; systemctl enable --now s3backup.timer
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "run ops/install.sh as root (it writes /usr/local/bin and /etc)" >&2; exit 1; }
ops/install-deps.sh
swift build -c release --product s3backup >&2

install -m 0755 .build/release/s3backup /usr/local/bin/s3backup
install -d -m 0750 /etc/s3backup
if [[ -e /etc/s3backup/s3backup.toml ]]; then
  echo "kept the existing /etc/s3backup/s3backup.toml (the example is /etc/s3backup/s3backup.toml.example)"
else
  install -m 0640 ops/s3backup.toml.example /etc/s3backup/s3backup.toml
fi
install -m 0644 ops/s3backup.toml.example /etc/s3backup/s3backup.toml.example
install -m 0644 ops/lifecycle-policy.json /etc/s3backup/lifecycle-policy.json
if [[ -d /etc/systemd/system ]]; then
  install -m 0644 ops/systemd/s3backup.service ops/systemd/s3backup.timer ops/systemd/s3backup-worker@.service /etc/systemd/system/
  command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null || true
fi
[[ -d /etc/logrotate.d ]] && install -m 0644 ops/logrotate/s3backup /etc/logrotate.d/s3backup
id s3backup >/dev/null 2>&1 || useradd --system --home-dir /var/lib/s3backup --shell /usr/sbin/nologin s3backup
install -d -o s3backup -g s3backup -m 0750 /var/lib/s3backup /var/log/s3backup
chgrp s3backup /etc/s3backup /etc/s3backup/s3backup.toml
echo "installed $(/usr/local/bin/s3backup --version)"
echo "next: edit /etc/s3backup/s3backup.toml, check it with: s3backup config check; then: systemctl enable --now s3backup.timer (or use ops/cron/s3backup)"
