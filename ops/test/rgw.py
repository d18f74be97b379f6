#!/usr/bin/env python3
"""Runs a throwaway Ceph RADOS Gateway (radosgw 16.2) on a free loopback port for tests.

One monitor, one OSD that keeps its data in RAM (memstore) and radosgw's beast frontend on 127.0.0.1, all
under one temporary directory. It creates the test suite's S3 user (access key AKIDTEST, secret test-secret),
adds the AWS storage classes to the default placement and enables STS (GetSessionToken).

Prints the port on the first line of stdout once S3 requests work, then serves until its standard input
closes; then it stops its daemons by pid, removes its directory and exits. SIGTERM and SIGINT stop it the
same way. If the script itself is killed (kill -9), the daemons get SIGKILL from the kernel (PR_SET_PDEATHSIG)
and a small watchdog process removes the directory. If it cannot start, it says why on stderr (with the tail
of the daemon's log) and exits with status 1 without printing a port.

usage: rgw.py [--pids-file PATH] [--request-log] [--verbose]
  --pids-file PATH  once started, write the daemons' pids (mon,osd,radosgw) comma-separated to PATH
  --request-log     log one line per request in radosgw's log (debug rgw = 2: `req N ... s3:put_obj ...`)
                    and print that log's path as the second line of stdout
  --verbose         print the start's steps and their times on stderr

Needs the Debian packages radosgw, ceph-mon, ceph-osd and ceph-common.
"""
import argparse
import base64
import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

USER = "test"
ACCESS_KEY = "AKIDTEST"
SECRET_KEY = "test-secret"
STS_KEY = "s3backup-sts-key"  # rgw sts key: exactly 16 characters (an AES-128 key)
STORAGE_CLASSES = ["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR",
                   "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"]
MEMSTORE_BYTES = 4 << 30
START_TIMEOUT = 60.0  # seconds for the whole start
STEP_TIMEOUT = 30.0  # seconds for any one command or wait

PR_SET_PDEATHSIG = 1


class StartError(Exception):
    """The cluster did not start; the message says why."""


class Cluster:
    """The daemons of one throwaway cluster and the directory that holds everything they write."""

    def __init__(self, directory, request_log, verbose):
        self.dir = directory
        self.request_log = request_log
        self.verbose = verbose
        self.conf = os.path.join(directory, "ceph.conf")
        self.daemons = {}  # name -> Popen, in start order
        self.started = time.monotonic()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def log_path(self, name):
        return self.path("log", f"{name}.log")

    def note(self, message):
        if self.verbose:
            print(f"rgw.py: {time.monotonic() - self.started:6.2f} s  {message}", file=sys.stderr, flush=True)

    # --- configuration

    def write_conf(self, fsid, mon_ports, rgw_port):
        """Writes ceph.conf: auth none with crc on the wire, a one-OSD memstore cluster, fast paxos."""
        rgw_debug = 2 if self.request_log else 0
        mon_addr = f"[v2:127.0.0.1:{mon_ports[0]},v1:127.0.0.1:{mon_ports[1]}]"
        settings = {
            "global": {
                "fsid": fsid,
                "mon host": mon_addr,
                "mon initial members": "a",
                "public addr": "127.0.0.1",
                "cluster addr": "127.0.0.1",
                "ms bind ipv6": "false",
                # auth none needs crc modes: a mon client asking for secure mode gets -13 without a session key.
                "auth cluster required": "none",
                "auth service required": "none",
                "auth client required": "none",
                "ms mon client mode": "crc",
                "ms mon service mode": "crc",
                "ms mon cluster mode": "crc",
                "ms client mode": "crc",
                "ms service mode": "crc",
                "ms cluster mode": "crc",
                "run dir": self.path("run"),
                "admin socket": self.path("run", "$name.$pid.asok"),  # radosgw-admin runs two at a time
                "log file": self.path("log", "$name.log"),
                "keyring": self.path("keyring"),
                "log to stderr": "false",
                "err to stderr": "false",
                "log flush on exit": "false",
                # One OSD.
                "osd pool default size": "1",
                "osd pool default min size": "1",
                "mon allow pool size one": "true",
                "osd crush chooseleaf type": "0",
                "osd pool default pg num": "8",
                "osd pool default pgp num": "8",
                "osd pool default pg autoscale mode": "off",
                "mon max pg per osd": "1000",
                "mon warn on pool no redundancy": "false",
                # radosgw creates ~9 pools at its first start; the mon would batch each for 1 s.
                "paxos propose interval": "0.01",
                "paxos min wait": "0.01",
                "debug ms": "0",
                "debug mon": "0",
                "debug paxos": "0",
                "debug osd": "0",
                "debug monc": "0",
                "debug auth": "0",
                "debug rados": "0",
                "debug objecter": "0",
                "debug memstore": "0",
                "debug bluestore": "0",
                "debug rocksdb": "0",
                "debug filestore": "0",
                "debug journal": "0",
                "debug objclass": "0",
                "debug rgw": str(rgw_debug),
                "debug rgw sync": "0",
                "debug civetweb": "0",
                "debug asok": "0",
                "debug finisher": "0",
                "debug heartbeatmap": "0",
                "debug perfcounter": "0",
                "debug throttle": "0",
                "debug timer": "0",
                "debug context": "0",
                "debug crush": "0",
                "debug mgrc": "0",
                "debug prioritycache": "0",
            },
            "mon": {
                "mon data": self.path("mon"),
                "mon cluster log file": self.path("log", "cluster.log"),
            },
            "osd": {
                "osd data": self.path("osd"),
                "osd objectstore": "memstore",
                "memstore device bytes": str(MEMSTORE_BYTES),
                # Short PG logs: with the defaults a memstore OSD grows by ~1 GB in 20k small operations.
                "osd min pg log entries": "10",
                "osd max pg log entries": "100",
                "osd target pg log entries per osd": "1000",
                "osd pg log dups tracked": "100",
            },
            "client.rgw": {
                "rgw data": self.path("rgw"),
                "rgw frontends": f"beast endpoint=127.0.0.1:{rgw_port}",
                # Any LocationConstraint (us-west-2 ...) instead of only the zonegroup's name.
                "rgw relaxed region enforcement": "true",
                # Objects over 4 MiB leave tail objects in RAM until garbage collection.
                "rgw gc obj min wait": "5",
                "rgw gc processor period": "15",
                "rgw s3 auth use sts": "true",
                "rgw sts key": STS_KEY,
            },
        }
        with open(self.conf, "w") as file:
            for section, values in settings.items():
                file.write(f"[{section}]\n")
                file.writelines(f"{name} = {value}\n" for name, value in values.items())

    # --- processes

    def run(self, *command, stdin=None):
        """Runs a ceph tool to completion and returns its stdout."""
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=STEP_TIMEOUT,
                                preexec_fn=die_with_parent)
        if result.returncode != 0:
            raise StartError(f"{' '.join(command)} failed (status {result.returncode}): "
                             f"{(result.stderr or result.stdout).strip()[-2000:]}")
        return result.stdout

    def run_together(self, *commands, stdins=None):
        """Runs ceph tools at the same time and returns their stdouts."""
        stdins = stdins or [None] * len(commands)
        processes = [subprocess.Popen(command, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      preexec_fn=die_with_parent)
                     for command, stdin in zip(commands, stdins)]
        outputs = [process.communicate(stdin, timeout=STEP_TIMEOUT) for process, stdin in zip(processes, stdins)]
        for command, process, (stdout, stderr) in zip(commands, processes, outputs):
            if process.returncode != 0:
                raise StartError(f"{' '.join(command)} failed (status {process.returncode}): "
                                 f"{(stderr or stdout).strip()[-2000:]}")
        return [stdout for stdout, _ in outputs]

    def spawn(self, name, *command):
        """Starts a daemon in the foreground, in its own session, dying with this script."""
        output = open(self.log_path(f"{name}.out"), "ab")
        self.daemons[name] = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                              start_new_session=True, preexec_fn=die_with_parent)
        output.close()
        self.note(f"started {name} (pid {self.daemons[name].pid})")

    def check_alive(self, name):
        process = self.daemons[name]
        if process.poll() is not None:
            raise StartError(f"{name} exited with status {process.returncode}")

    def stop(self):
        """Kills the daemons by pid, radosgw first, and waits for them: the data is throwaway."""
        for name, process in reversed(list(self.daemons.items())):
            if process.poll() is None:
                process.kill()
            try:
                process.wait(timeout=STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"rgw.py: {name} (pid {process.pid}) did not exit", file=sys.stderr)
        self.daemons.clear()

    def stop_daemon(self, name):
        process = self.daemons.pop(name)
        process.kill()
        process.wait(timeout=STEP_TIMEOUT)

    # --- start

    def start(self):
        for folder in ("run", "log", "mon", "osd", "rgw"):
            os.mkdir(self.path(folder))
        fsid, osd_uuid = str(uuid.uuid4()), str(uuid.uuid4())
        mon_ports = free_ports(2)
        rgw_port = free_ports(1)[0]
        self.write_conf(fsid, mon_ports, rgw_port)
        self.start_mon(fsid, mon_ports)
        self.start_osd(osd_uuid)
        self.configure_rgw()
        self.start_rgw(rgw_port)
        self.note("ready")
        return rgw_port

    def start_mon(self, fsid, ports):
        keyring = self.path("keyring")
        self.run("ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
        self.run("ceph-authtool", keyring, "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *",
                 "--cap", "osd", "allow *", "--cap", "mds", "allow *", "--cap", "mgr", "allow *")
        monmap = self.path("monmap")
        self.run("monmaptool", "--create", "--fsid", fsid,
                 "--addv", "a", f"[v2:127.0.0.1:{ports[0]},v1:127.0.0.1:{ports[1]}]", monmap)
        self.run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring)
        self.note("mon created")
        self.spawn("mon", "ceph-mon", "-f", "-c", self.conf, "-i", "a")

    def start_osd(self, osd_uuid):
        osd_id = self.run("ceph", "-c", self.conf, "--connect-timeout", "20", "osd", "new", osd_uuid).strip()
        self.note(f"osd {osd_id} registered")
        self.run("ceph-osd", "-c", self.conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self.note("osd created")
        self.spawn("osd", "ceph-osd", "-f", "-c", self.conf, "-i", osd_id)

    def start_rgw(self, port):
        self.spawn("radosgw", "radosgw", "-f", "-c", self.conf, "-n", "client.rgw")
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            self.check_alive("radosgw")
            self.check_alive("osd")
            self.check_alive("mon")
            if http_ok(port):
                self.note("radosgw answers")
                return
            time.sleep(0.05)
        raise StartError(f"radosgw did not answer on port {port} within {STEP_TIMEOUT:.0f} s")

    def configure_rgw(self):
        """Creates the test user and adds the storage classes before radosgw's first start, so no restart.

        The first radosgw-admin also creates the default (realm-less) zone and zonegroup; the rest run in pairs."""
        admin = ("radosgw-admin", "-c", self.conf, "-n", "client.rgw")
        self.run(*admin, "metadata", "put", f"user:{USER}", stdin=json.dumps(user_metadata()))
        self.note("user created")
        zonegroup, zone = (json.loads(text) for text in self.run_together(admin + ("zonegroup", "get"),
                                                                           admin + ("zone", "get")))
        add_storage_classes(zonegroup, zone)
        self.run_together(admin + ("zonegroup", "set"), admin + ("zone", "set"),
                          stdins=(json.dumps(zonegroup), json.dumps(zone)))
        self.note("storage classes added")

    def log_tail(self):
        """The last lines of the logs of the daemon that failed (or of all of them)."""
        chunks = []
        for name in ("mon.a", "osd.0", "client.rgw", "mon.out", "osd.out", "radosgw.out"):
            try:
                with open(self.log_path(name), errors="replace") as file:
                    tail = file.read()[-1500:].strip()
            except OSError:
                continue
            if tail:
                chunks.append(f"--- {name}.log\n{tail}")
        return "\n".join(chunks)


def user_metadata():
    """The test user as `radosgw-admin metadata put` takes it: its S3 key and a user policy for STS.

    RGW allows GetSessionToken only to a user whose own (IAM) policy allows sts:GetSessionToken; the policy is
    the user's attribute user.rgw.user-policy, a Ceph-encoded map from policy name to policy document."""
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "sts:GetSessionToken", "Resource": "*"}]})
    policies = struct.pack("<I", 1) + ceph_string("sts") + ceph_string(policy)
    return {"key": f"user:{USER}", "data": {
        "user_id": USER, "display_name": USER, "email": "", "suspended": 0, "max_buckets": 1000,
        "keys": [{"user": USER, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}],
        "subusers": [], "swift_keys": [], "caps": [], "op_mask": "read, write, delete", "type": "rgw",
        "attrs": [{"key": "user.rgw.user-policy", "val": base64.b64encode(policies).decode()}]}}


def ceph_string(text):
    data = text.encode()
    return struct.pack("<I", len(data)) + data


def add_storage_classes(zonegroup, zone):
    """Adds STORAGE_CLASSES to the default placement of a zonegroup and zone as `radosgw-admin … get` shows them."""
    for target in zonegroup["placement_targets"]:
        if target["name"] == "default-placement":
            target["storage_classes"] = sorted(set(target.get("storage_classes", [])) | {"STANDARD", *STORAGE_CLASSES})
    for placement in zone["placement_pools"]:
        if placement["key"] == "default-placement":
            classes = placement["val"]["storage_classes"]
            data_pool = classes["STANDARD"]["data_pool"]
            for name in STORAGE_CLASSES:
                classes.setdefault(name, {"data_pool": data_pool})


def die_with_parent():
    """In a child before exec: have the kernel SIGKILL it when this script dies, however it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_ports(count):
    """Ports the kernel says are free on loopback now (held together so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def http_ok(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_watchdog(directory):
    """Forks a process that removes `directory` once this script is gone (even after kill -9).

    It waits on a pipe whose only writer is this script: the read returns when the script exits."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        os.setsid()
        os.close(write_end)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, read_end)
        os.closerange(read_end + 1, 1 << 16)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while os.read(read_end, 1):
            pass
        time.sleep(0.5)  # the daemons die on the same event; let them release their files first
        shutil.rmtree(directory, ignore_errors=True)
        os._exit(0)
    os.close(read_end)
    os.set_inheritable(write_end, False)
    return write_end


def wait_for_stdin_eof():
    while sys.stdin.buffer.read1(65536):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pids-file", help="write the daemons' pids, comma-separated, to this file")
    parser.add_argument("--request-log", action="store_true", help="log requests and print the log's path")
    parser.add_argument("--verbose", action="store_true", help="print the start's steps on stderr")
    options = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="s3backup-rgw-")
    start_watchdog(directory)
    cluster = Cluster(directory, options.request_log, options.verbose)

    def on_signal(number, frame):
        raise SystemExit(128 + number)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    status = 0
    try:
        try:
            port = cluster.start()
        except (StartError, OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
            print(f"rgw.py: the RADOS Gateway did not start: {error}\n{cluster.log_tail()}", file=sys.stderr)
            status = 1
        else:
            if options.pids_file:
                with open(options.pids_file, "w") as file:
                    file.write(",".join(str(cluster.daemons[name].pid) for name in ("mon", "osd", "radosgw")))
            print(port, flush=True)
            if options.request_log:
                print(cluster.log_path("client.rgw"), flush=True)
            wait_for_stdin_eof()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stopping = time.monotonic()
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
        cluster.note(f"stopped in {time.monotonic() - stopping:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
