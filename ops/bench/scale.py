#!/usr/bin/env python3
"""Planning at scale against the synthetic S3 (ops/bench/synthetic_s3.py): for each object count, a first night
(an empty backup) and a normal night (a backup 99 % equal: 0.5 % missing, 0.25 % changed, 0.25 % extra), planned
with `plan --dryrun` and with `plan --db` (a SQLite queue), then `cancel` and `prune` of that run. s3backup's
default flags (prefix splitting on). Prints one Markdown table: wall, s3backup's CPU, its peak RSS, the synthetic
server's CPU and requests, objects diffed per second, tasks, queue bytes (and per object), prune time and the file
after. Measure the server alone first: synthetic_s3.py's own pages per second are printed on the first line.

usage: ops/bench/scale.py [--objects 1000000 10000000] [--binary .build/release/s3backup]
"""
import argparse
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Server:
    """synthetic_s3.py with `buckets`, stopped (and its request count read) by `stop`."""

    def __init__(self, *buckets):
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "synthetic_s3.py"), *buckets],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.process.stdout.readline())
        self.started = self.cpu()

    def cpu(self):
        fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        used = self.cpu() - self.started
        self.process.stdin.close()
        requests = int(self.process.stdout.read().split()[-1])
        self.process.wait()
        return used, requests


def timed(arguments, environment):
    """Runs a command to its end; returns (wall s, stdout)."""
    started = time.monotonic()
    process = subprocess.Popen(arguments, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    wall = time.monotonic() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(arguments[:2])} exited {process.returncode}: {err[-2000:]}")
    return wall, out


def child_usage(before):
    """CPU seconds and peak RSS (MiB) of the children that ended since `before`."""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, after.ru_maxrss / 1024


def measure(binary, objects, night, dryrun):
    backup = "dst=0" if night == "first" else f"dst={objects}:missing=50,changed=25,extra=25"
    server = Server(f"src={objects}", backup)
    environment = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{server.port}", AWS_ACCESS_KEY_ID="bench",
                       AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
    directory = tempfile.mkdtemp(prefix="s3backup-scale-")
    database = os.path.join(directory, "queue.db")
    command = [binary, "plan", "--source", "s3://src", "--backup", "s3://dst"] + (["--dryrun"] if dryrun else ["--db", database])
    # A fresh process for the RSS: ru_maxrss of RUSAGE_CHILDREN is the largest child so far, so each measurement
    # runs in a child of its own.
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, _ = timed(command, environment)
        cpu, rss = child_usage(before)
        os.write(writer, f"{wall} {cpu} {rss}".encode())
        os._exit(0)
    os.close(writer)
    wall, cpu, rss = (float(x) for x in os.read(reader, 200).split())
    os.close(reader)
    os.waitpid(pid, 0)
    server_cpu, requests = server.stop()
    row = {"objects": objects, "night": night, "mode": "dry run" if dryrun else "plan --db", "wall": wall, "cpu": cpu,
           "rss": rss, "server_cpu": server_cpu, "requests": requests, "rate": objects / wall}
    if not dryrun:
        with sqlite3.connect(database) as db:
            row["tasks"] = db.execute("SELECT count(*) FROM tasks").fetchone()[0]
            run = db.execute("SELECT max(id) FROM runs").fetchone()[0]
        row["bytes"] = sum(os.path.getsize(database + s) for s in ("", "-wal") if os.path.exists(database + s))
        subprocess.run([binary, "cancel", "--db", database, "--run", str(run)], env=environment, check=True,
                       stdout=subprocess.DEVNULL)
        started = time.monotonic()
        subprocess.run([binary, "prune", "--db", database, "--older-than-days", "0"], env=environment, check=True,
                       stdout=subprocess.DEVNULL)
        row["prune"] = time.monotonic() - started
        row["after"] = os.path.getsize(database)
    subprocess.run(["rm", "-rf", directory])
    return row


def server_alone(objects):
    """Keys per second the synthetic server lists to a client that does nothing else (300 pages)."""
    import http.client
    server = Server(f"src={objects}")
    connection = http.client.HTTPConnection("127.0.0.1", server.port)
    token, keys, started = None, 0, time.monotonic()
    for _ in range(300):
        connection.request("GET", "/src?list-type=2" + (f"&continuation-token={token}" if token else ""))
        body = connection.getresponse().read().decode()
        keys += body.count("<Contents>")
        found = re.search(r"<NextContinuationToken>(.*?)</NextContinuationToken>", body)
        if not found:
            break
        token = found.group(1)
    wall = time.monotonic() - started
    cpu, _ = server.stop()
    return keys / wall, keys / cpu


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--binary", default=".build/release/s3backup")
    options = parser.parse_args()
    alone, per_cpu = server_alone(max(options.objects))
    print(f"synthetic server alone: {alone:,.0f} keys/s listed, {per_cpu:,.0f} keys per server CPU second\n")
    print("| objects | night | mode | wall s | CPU s | peak RSS MiB | server CPU s | requests | objects/s | tasks | "
          "queue bytes | bytes/object | prune s | file after |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for objects in options.objects:
        for night in ("first", "normal"):
            for dryrun in (True, False):
                row = measure(options.binary, objects, night, dryrun)
                queue = ("", "", "", "", "") if dryrun else (
                    f"{row['tasks']:,}", f"{row['bytes']:,}", f"{row['bytes'] / objects:.0f}", f"{row['prune']:.2f}",
                    f"{row['after']:,}")
                print(f"| {objects:,} | {night} | {row['mode']} | {row['wall']:.2f} | {row['cpu']:.2f} | {row['rss']:.0f} | "
                      f"{row['server_cpu']:.2f} | {row['requests']:,} | {row['rate']:,.0f} | " + " | ".join(queue) + " |",
                      flush=True)


if __name__ == "__main__":
    main()
