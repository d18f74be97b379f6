#!/usr/bin/env python3
"""Planning by the catalog at scale: a primary and a backup whose every object has the same size and another ETag
(as SSE-KMS on either side makes them), with a catalog row for each, planned with `s3backup plan --dryrun --db`.
Prints, per size, the planner's wall and CPU seconds, its maximum resident set and what it found; the rows are read a
window of 1,000 at a time, so memory should not grow with the bucket.

usage: catalog.py --bin .build/release/s3backup [--objects 10000,100000]
"""
import argparse, glob, os, re, socket, sqlite3, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def start_moto(port):
    server = subprocess.Popen(["moto_server", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit("moto_server did not start")


def seed(s3, bucket, count, marker):
    def put(index):
        s3.put_object(Bucket=bucket, Key=f"clients/{index % 97:03d}/file-{index:07d}.bin", Body=f"{marker}{index:09d}".encode())
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


def listing(s3, bucket):
    objects = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            objects[item["Key"]] = (item["Size"], item["ETag"].strip('"'))
    return objects


def catalogue(db, pair, source, backup):
    """A queue at the latest schema (the migrations in sql/) whose catalog has a row for every key of both sides."""
    connection = sqlite3.connect(db)
    migrations = sorted(glob.glob(os.path.join(HERE, "..", "..", "sql", "[0-9]*.sql")))
    for path in migrations:
        connection.executescript(open(path).read())
    connection.execute(f"PRAGMA user_version = {len(migrations)}")
    connection.executemany(
        "INSERT INTO catalog (pair, key, size, source_etag, backup_etag, rule, recorded_at) VALUES (?, ?, ?, ?, ?, 'copied', 0)",
        [(pair, key, size, etag, backup[key][1]) for key, (size, etag) in source.items()])
    connection.commit()
    connection.close()


def plan(binary, endpoint, src, dst, db):
    environment = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                       AWS_REGION="us-east-1")
    started = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "maxrss_kib=%M cpu=%U+%S", binary, "plan", "--dryrun", "--source", f"s3://{src}",
                           "--backup", f"s3://{dst}", "--db", db], capture_output=True, text=True, env=environment)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"plan failed: {done.stderr}")
    rss = int(re.search(r"maxrss_kib=(\d+)", done.stderr).group(1))
    user, system = re.search(r"cpu=([\d.]+)\+([\d.]+)", done.stderr).groups()
    summary = next(line for line in done.stdout.splitlines() if line.startswith("source "))
    return wall, float(user) + float(system), rss, summary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--objects", default="10000,100000")
    arguments = parser.parse_args()
    port = free_port()
    server = start_moto(port)
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test", config=Config(max_pool_connections=32))
    try:
        print("| objects | plan wall s | plan cpu s | max RSS KiB | found |")
        print("|---:|---:|---:|---:|---|")
        for count in [int(n) for n in arguments.objects.split(",")]:
            src, dst = f"primary-{count}", f"backup-{count}"
            for bucket in (src, dst):
                s3.create_bucket(Bucket=bucket)
            # The same size on both sides, other bytes: other ETags, as other encryption gives.
            seed(s3, src, count, "p")
            seed(s3, dst, count, "b")
            with tempfile.TemporaryDirectory() as directory:
                db = os.path.join(directory, "queue.db")
                catalogue(db, f"s3://{src}/ -> s3://{dst}/", listing(s3, src), listing(s3, dst))
                wall, cpu, rss, summary = plan(arguments.bin, endpoint, src, dst, db)
            print(f"| {count:,} | {wall:.2f} | {cpu:.2f} | {rss:,} | {summary} |", flush=True)
    finally:
        os.killpg(server.pid, 15)


if __name__ == "__main__":
    sys.exit(main())
