#!/usr/bin/env bash
# Installs what building and testing s3backup needs, and only what is missing:
#   system: libcurl (OpenSSL flavour), libcrypto, libsqlite3 and libpq headers and pkg-config (Debian/Ubuntu packages),
#   Debian's PostgreSQL server (the tests initdb throwaway clusters), libfaketime (a host whose clock is wrong) and
#   iproute2 (hosts as network namespaces);
#   Python: moto's S3 emulator with its server extras, boto3 (the reference client the tests compare with) and
#   aiosmtpd (the SMTP server the mail tests send to); Debian's chromium (renders the HTML report in a test) and
#   logrotate (rotates with the shipped file in a test);
#   Ceph's RADOS Gateway with a monitor and an OSD (a production S3 the tests start on loopback: ops/test/rgw.py);
#   Prometheus's promtool and node_exporter (the metrics file as they read it, the alert rules as they test them).
set -euo pipefail

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

if ! pkg-config --exists libcurl libcrypto sqlite3 2>/dev/null; then
  echo "installing system libraries (libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config)…" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcurl4-openssl-dev libssl-dev libsqlite3-dev pkg-config >/dev/null
fi

if ! pkg-config --exists libpq 2>/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "installing PostgreSQL (libpq-dev to build the queue's PostgreSQL adapter; the server for the throwaway clusters the tests start)…" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libpq-dev postgresql >/dev/null
fi

if ! ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || ! command -v ip >/dev/null; then
  echo "installing libfaketime and iproute2 (a worker whose host clock is wrong; hosts as network namespaces)…" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libfaketime iproute2 >/dev/null
fi

if ! [[ -x /usr/sbin/logrotate ]]; then
  echo "installing logrotate (a test rotates with the shipped ops/logrotate file)…" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq logrotate >/dev/null
fi

if ! command -v chromium >/dev/null; then
  echo "installing chromium (the HTML report test renders the page headless)…" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

if ! command -v radosgw >/dev/null || ! command -v ceph-mon >/dev/null || ! command -v ceph-osd >/dev/null \
    || ! command -v radosgw-admin >/dev/null || ! command -v monmaptool >/dev/null; then
  echo "installing Ceph's RADOS Gateway (radosgw ceph-mon ceph-osd ceph-common: the RGW lane of the integration tests)…" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common >/dev/null
fi

if ! command -v promtool >/dev/null || ! command -v prometheus-node-exporter >/dev/null; then
  echo "installing promtool and node_exporter (prometheus prometheus-node-exporter: the metrics tests)…" >&2
  as_root apt-get update -qq
  # Installing starts nothing where there is no init system; where there is one, the services stay off.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-node-exporter >/dev/null
  if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    as_root systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
  fi
fi

if ! python3 -c 'import moto.server, flask, flask_cors, boto3, aiosmtpd' 2>/dev/null; then
  echo "installing the S3 emulator (moto[server]), boto3 and the SMTP test server (aiosmtpd)…" >&2
  python3 -m pip install --quiet 'moto[server]' boto3 aiosmtpd
fi
