#!/usr/bin/env bash
# A real backup on this machine, no AWS account needed: starts a local S3 emulator (moto) on loopback, fills a
# "primary" bucket with a few hundred client files (awkward names and a multipart object included), runs `setup`
# (versioning, lifecycle), backs the primary up to the "backup" bucket in another region with `s3backup run` and
# two workers, changes a few files and runs again, reports (text and HTML), runs the `verify` drill, then damages
# a prefix of the primary and restores it as it was after the first night (point in time). The emulator stops
# with the script; what it wrote stays in one temporary directory, printed at the end.
#   S3BACKUP_BINARY=path  use that binary instead of building the release one (the test does)
set -euo pipefail
cd "$(dirname "$0")/.."
ops/install-deps.sh
if [[ -n ${S3BACKUP_BINARY:-} ]]; then
  bin=$S3BACKUP_BINARY
else
  swift build -c release --product s3backup >&2
  bin=$PWD/.build/release/s3backup
fi
work=$(mktemp -d -t s3backup-demo-XXXXXX)

# The emulator lives until its standard input closes: when this script ends.
exec 3> >(python3 ops/test/emulator.py > "$work/port")
for _ in $(seq 100); do [[ -s $work/port ]] && break; sleep 0.1; done
endpoint="http://127.0.0.1:$(cat "$work/port")"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_ENDPOINT_URL=$endpoint AWS_EC2_METADATA_DISABLED=true

python3 - "$endpoint" <<'PY'
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-2", aws_access_key_id="demo", aws_secret_access_key="demo")
s3.create_bucket(Bucket="primary", CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-west-2", aws_access_key_id="demo", aws_secret_access_key="demo") \
    .create_bucket(Bucket="backup", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
kinds = ["audio", "images", "journal", "vision"]
for i in range(400):
    s3.put_object(Bucket="primary", Key=f"clients/{i % 12:03d}/{kinds[i % 4]}/file-{i:04d}.bin", Body=f"client data {i}".encode() * 20,
                  ContentType="application/octet-stream", Metadata={"client": f"c{i % 12}"})
for key in ["clients/007/notes/a file with spaces.txt", "clients/007/notes/100% done+final.txt", "clients/007/notes/café.txt",
            "clients/007/notes/emoji 😀.txt", "clients/007//double-slash.txt", "clients/007/notes/./dot.txt"]:
    s3.put_object(Bucket="primary", Key=key, Body=b"awkward", ContentType="text/plain", Tagging="kind=awkward")
up = s3.create_multipart_upload(Bucket="primary", Key="clients/000/vision/scan.raw", ContentType="image/x-raw")
parts = [{"PartNumber": n, "ETag": s3.upload_part(Bucket="primary", Key="clients/000/vision/scan.raw", UploadId=up["UploadId"],
          PartNumber=n, Body=bytes([n]) * (5 << 20 if n < 3 else 1000))["ETag"]} for n in (1, 2, 3)]
s3.complete_multipart_upload(Bucket="primary", Key="clients/000/vision/scan.raw", UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
print("primary: 407 objects in s3://primary (us-east-2), empty s3://backup (us-west-2)")
PY

echo; echo "== s3backup setup (versioning on both, lifecycle policy on the backup)"
"$bin" setup --source s3://primary --backup s3://backup

echo; echo "== s3backup run (first night)"
"$bin" run --source s3://primary --backup s3://backup --db "$work/queue.db" --workers 2 --log-dir "$work/logs" || true
sleep 1.5
first_night=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
sleep 1.5

python3 - "$endpoint" <<'PY'
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-2", aws_access_key_id="demo", aws_secret_access_key="demo")
s3.put_object(Bucket="primary", Key="clients/001/images/file-0001.bin", Body=b"edited")
s3.put_object(Bucket="primary", Key="clients/012/audio/new.bin", Body=b"new file")
s3.delete_object(Bucket="primary", Key="clients/002/journal/file-0002.bin")
print("\nchanged one file, added one, deleted one")
PY

echo; echo "== s3backup run (next night, metrics for Prometheus in $work/s3backup.prom)"
"$bin" run --source s3://primary --backup s3://backup --db "$work/queue.db" --workers 2 --log-dir "$work/logs" \
  --metrics-file "$work/s3backup.prom" || true
grep -E '^s3backup_last_run_(success|objects)' "$work/s3backup.prom" || true
echo; echo "== s3backup status"
"$bin" status --db "$work/queue.db"
echo; echo "== s3backup report (lists both buckets again and compares them)"
"$bin" report --db "$work/queue.db" --html "$work/report.html" || true
echo; echo "== s3backup verify (the recovery drill: every key, 50 random bodies)"
"$bin" verify --source s3://primary --backup s3://backup --sample 50 --db "$work/queue.db" || true
echo; echo "== s3backup history (one line per run; --html draws the nights)"
"$bin" history --db "$work/queue.db" --html "$work/history.html" || true
echo; echo "== s3backup report --since 1d (the weekly summary: runs, drills, costs)"
"$bin" report --db "$work/queue.db" --since 1d || true

python3 - "$endpoint" <<'PY'
import boto3, sys
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-2", aws_access_key_id="demo", aws_secret_access_key="demo")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="primary", Prefix="clients/001/")["Contents"]]
for key in keys[:5]:
    s3.put_object(Bucket="primary", Key=key, Body=b"ransomware was here")
print(f"\ndamaged {min(5, len(keys))} objects under clients/001/ in the primary")
PY

echo; echo "== s3backup restore --prefix clients/001/ --as-of $first_night (the first night's state of that prefix)"
"$bin" restore --from s3://backup --to s3://primary --db "$work/queue.db" --prefix clients/001/ --as-of "$first_night" \
  --yes --workers 2 --log-dir "$work/logs" || true

echo; echo "demo done: backup holds $("$bin" ls s3://backup | wc -l) objects; queue $work/queue.db; logs $work/logs; report $work/report.html"
