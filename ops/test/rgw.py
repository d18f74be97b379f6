#!/usr/bin/env python3
"""Runs a throwaway Ceph RADOS Gateway (radosgw 16.2) on a free loopback port for tests.

One monitor, one OSD that keeps its data in RAM (memstore) and radosgw's beast frontend on 127.0.0.1, all
under one temporary directory, so several can run side by side. It creates the test suite's S3 user (access
key AKIDTEST, secret test-secret, with a user policy that allows STS GetSessionToken), adds the AWS storage
classes to the default placement, enables STS and accepts any LocationConstraint.

Prints the port on the first line of stdout once S3 requests work, then serves until its standard input
closes; then it kills its daemons by pid, removes its directory and exits. SIGTERM, SIGINT and SIGHUP stop it
the same way. If the script itself is killed (kill -9), the kernel kills the daemons (PR_SET_PDEATHSIG) and a
small watchdog process removes the directory. If it cannot start, it says why on stderr (with the tail of the
daemons' logs) and exits with status 1 without printing a port.

usage: rgw.py [--pids-file PATH] [--request-log] [--verbose]
  --pids-file PATH  once started, write the daemons' pids (mon,osd,radosgw), comma-separated, to PATH
  --request-log     write radosgw's ops log, one JSON object a line and a line a request, for instance
                    {"bucket":"b","operation":"copy_obj","uri":"PUT /b/k HTTP/1.1","http_status":"200",
                    "bytes_received":0,...}, and print its path as the second line of stdout. Operations are
                    RGW's names: put_obj (PutObject, UploadPart and UploadPartCopy alike), copy_obj, get_obj
                    (GET and HEAD), delete_obj, multi_object_delete, list_bucket, init_multipart,
                    complete_multipart, ... STS calls are not logged. Costs radosgw next to no CPU, where
                    `debug rgw = 2` (18 lines a request) costs it ~30 % more per request.
  --verbose         print the start's steps and their times on stderr

Where it differs from AWS, RGW 16.2 as configured here: a PutObject with x-amz-server-side-encryption over
plain HTTP is 400 InvalidRequest (`rgw crypt require ssl`), CopyObject ignores that header; a bad session
token is 403 InvalidAccessKeyId.

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
import threading
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
START_TIMEOUT = 25.0  # seconds; the tests' harness waits 30 s for the port
RGW_PORT_ATTEMPTS = 3  # a free port can be taken between our probe and radosgw's bind

# Every subsystem these daemons log from, at level 0 for the file and for the in-memory ring (which would
# otherwise format messages up to level 5 that nobody reads).
QUIET_SUBSYSTEMS = ["ms", "mon", "paxos", "osd", "filestore", "bluestore", "rocksdb", "journal", "objclass",
                    "monc", "auth", "rados", "objecter", "rgw", "rgw sync", "asok", "finisher", "heartbeatmap",
                    "perfcounter", "throttle", "timer", "context", "crush", "mgrc", "prioritycache", "optracker",
                    "crypto", "tp", "reserver", "bdev"]

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class StartError(Exception):
    """The cluster did not start; the message says why, `culprit` names the daemon at fault if known."""

    def __init__(self, message, culprit=None):
        super().__init__(message)
        self.culprit = culprit


class Cluster:
    """The daemons of one throwaway cluster and the directory that holds everything they write."""

    def __init__(self, directory, request_log, verbose):
        self.dir = directory
        self.request_log = request_log
        self.verbose = verbose
        self.conf = self.path("ceph.conf")
        self.daemons = {}  # name -> Popen, in start order
        self.started = time.monotonic()
        self.deadline = self.started + START_TIMEOUT
        self.port = None

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def log_path(self, name):
        return self.path("log", f"{name}.log")

    def remaining(self):
        """Seconds left of the start's time; every wait and command is bounded by it."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise StartError(f"the start took more than {START_TIMEOUT:.0f} s")
        return left

    def note(self, message):
        if self.verbose:
            print(f"rgw.py: {time.monotonic() - self.started:5.2f} s  {message}", file=sys.stderr, flush=True)

    # --- start

    def start(self):
        """Starts the mon, the OSD and radosgw; returns radosgw's port."""
        for folder in ("run", "log", "mon", "osd", "rgw"):
            os.mkdir(self.path(folder))
        fsid, osd_uuid = str(uuid.uuid4()), str(uuid.uuid4())
        mon_ports = free_ports(2)
        self.write_conf(fsid, mon_ports)
        self.start_mon(fsid, mon_ports)
        self.start_osd(osd_uuid)
        self.configure_rgw()
        self.start_rgw()
        self.note("ready")
        return self.port

    def write_conf(self, fsid, mon_ports):
        """Writes ceph.conf: auth none with crc on the wire, one memstore OSD, fast paxos, quiet logs."""
        quiet = {f"debug {name}": "0" for name in QUIET_SUBSYSTEMS}
        settings = {
            "global": {
                "fsid": fsid,
                "mon host": f"[v2:127.0.0.1:{mon_ports[0]},v1:127.0.0.1:{mon_ports[1]}]",
                "mon initial members": "a",
                "public addr": "127.0.0.1",
                "cluster addr": "127.0.0.1",
                "ms bind ipv6": "false",
                # With auth none a client asking for secure mode gets -13 (no session key): crc everywhere.
                "auth cluster required": "none",
                "auth service required": "none",
                "auth client required": "none",
                **{f"ms {kind} mode": "crc" for kind in ("mon client", "mon service", "mon cluster", "client",
                                                         "service", "cluster")},
                "run dir": self.path("run"),
                "admin socket": self.path("run", "$name.$pid.asok"),  # radosgw-admin runs two at a time
                "log file": self.path("log", "$name.log"),
                "keyring": self.path("keyring"),
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
                # RGW creates ~9 pools at its first start, each an osdmap epoch the mon would batch for 1 s.
                "paxos propose interval": "0.01",
                "paxos min wait": "0.01",
                **quiet,
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
                # Any LocationConstraint (us-west-2 ...), not only the zonegroup's name "default".
                "rgw relaxed region enforcement": "true",
                # Objects over 4 MiB leave tail objects in RAM until garbage collection frees them.
                "rgw gc obj min wait": "5",
                "rgw gc processor period": "15",
                "rgw s3 auth use sts": "true",
                "rgw sts key": STS_KEY,
                # Local keys first: with STS first a wrong secret or an unknown key is 403 AccessDenied instead
                # of SignatureDoesNotMatch or InvalidAccessKeyId (and a bad session token InvalidAccessKeyId).
                "rgw s3 auth order": "local, sts",
                "rgw enable ops log": "true" if self.request_log else "false",
                "rgw ops log rados": "false",
                "rgw ops log socket path": self.path("run", "ops-log.sock") if self.request_log else "",
            },
        }
        with open(self.conf, "w") as file:
            for section, values in settings.items():
                file.write(f"[{section}]\n")
                file.writelines(f"{name} = {value}\n" for name, value in values.items())

    def start_mon(self, fsid, ports):
        keyring, monmap = self.path("keyring"), self.path("monmap")
        self.run("ceph-authtool", "--create-keyring", keyring, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *")
        self.run("ceph-authtool", keyring, "--gen-key", "-n", "client.admin", "--cap", "mon", "allow *",
                 "--cap", "osd", "allow *", "--cap", "mgr", "allow *")
        self.run("monmaptool", "--create", "--fsid", fsid,
                 "--addv", "a", f"[v2:127.0.0.1:{ports[0]},v1:127.0.0.1:{ports[1]}]", monmap)
        self.run("ceph-mon", "-c", self.conf, "--mkfs", "-i", "a", "--monmap", monmap, "--keyring", keyring)
        self.spawn("mon", "ceph-mon", "-f", "-c", self.conf, "-i", "a")

    def start_osd(self, osd_uuid):
        timeout = str(max(1, int(self.remaining())))
        osd_id = self.run("ceph", "-c", self.conf, "--connect-timeout", timeout, "osd", "new", osd_uuid).strip()
        self.run("ceph-osd", "-c", self.conf, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid)
        self.spawn("osd", "ceph-osd", "-f", "-c", self.conf, "-i", osd_id)

    def configure_rgw(self):
        """Creates the test user and adds the storage classes before radosgw's first start, so no restart.

        The first radosgw-admin also creates the default realm-less zonegroup and zone; the others run in pairs.
        It may run before the OSD is up: its requests then wait for the objecter's next tick (5 s by default)
        to ask for a newer osdmap, hence the short tick."""
        admin = ("radosgw-admin", "-c", self.conf, "-n", "client.rgw", "--log-file", self.log_path("radosgw-admin"),
                 "--objecter-tick-interval=0.1")
        self.run(*admin, "metadata", "put", f"user:{USER}", stdin=json.dumps(user_metadata()))
        zonegroup, zone = map(json.loads, self.run_together(admin + ("zonegroup", "get"), admin + ("zone", "get")))
        add_storage_classes(zonegroup, zone)
        self.run_together(admin + ("zonegroup", "set"), admin + ("zone", "set"),
                          stdins=(json.dumps(zonegroup), json.dumps(zone)))

    def start_rgw(self):
        for attempt in range(1, RGW_PORT_ATTEMPTS + 1):
            port = free_ports(1)[0]
            self.spawn("radosgw", "radosgw", "-f", "-c", self.conf, "-n", "client.rgw",
                       f"--rgw-frontends=beast endpoint=127.0.0.1:{port}")
            try:
                self.wait_until_answering(port)
            except StartError:
                if self.daemons["radosgw"].poll() is None or attempt == RGW_PORT_ATTEMPTS:
                    raise
                self.daemons.pop("radosgw")  # it exited: most likely the port was taken meanwhile
                continue
            self.port = port
            return

    def wait_until_answering(self, port):
        while True:
            for name in self.daemons:
                if self.daemons[name].poll() is not None:
                    raise StartError(f"{name} exited with status {self.daemons[name].returncode}", culprit=name)
            if http_ok(port, timeout=min(2.0, self.remaining())):
                self.note(f"radosgw answers on port {port}")
                return
            time.sleep(0.05)

    # --- processes

    def run(self, *command, stdin=None):
        """Runs a ceph tool to completion and returns its stdout."""
        return self.run_together(command, stdins=[stdin])[0]

    def run_together(self, *commands, stdins=None):
        """Runs ceph tools at the same time and returns their stdouts; any failure fails the start."""
        stdins = stdins or [None] * len(commands)
        processes = []
        try:
            for command, stdin in zip(commands, stdins):
                processes.append(subprocess.Popen(
                    command, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=die_with_parent()))
            outputs = [process.communicate(stdin, timeout=self.remaining())
                       for process, stdin in zip(processes, stdins)]
        except subprocess.TimeoutExpired as timeout:
            raise StartError(f"{' '.join(timeout.cmd)} did not finish in time", culprit="tools") from None
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        for command, process, (stdout, stderr) in zip(commands, processes, outputs):
            if process.returncode != 0:
                raise StartError(f"{' '.join(command)} failed (status {process.returncode}): "
                                 f"{(stderr or stdout).strip()[-2000:]}", culprit="tools")
        self.note(" and ".join(" ".join(command[:1] + command[-2:]) for command in commands))
        return [stdout for stdout, _ in outputs]

    def spawn(self, name, *command):
        """Starts a daemon in the foreground and in its own session; the kernel kills it if this script dies."""
        with open(self.log_path(f"{name}.out"), "ab") as output:
            self.daemons[name] = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output,
                                                  start_new_session=True, preexec_fn=die_with_parent())
        self.note(f"started {name} (pid {self.daemons[name].pid})")

    def pids(self):
        return [self.daemons[name].pid for name in ("mon", "osd", "radosgw")]

    def stop(self):
        """Kills the daemons, radosgw first, and reaps them. SIGKILL: the data is throwaway, and radosgw takes
        seconds to exit on SIGTERM."""
        for name, process in reversed(list(self.daemons.items())):
            if process.poll() is None:
                process.kill()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"rgw.py: {name} (pid {process.pid}) did not exit after SIGKILL", file=sys.stderr)
        self.daemons.clear()

    def start_ops_log(self):
        """Connects to radosgw's ops log socket and copies its entries to a file, one a line; returns its path."""
        path = self.log_path("ops")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        while True:
            try:
                sock.connect(self.path("run", "ops-log.sock"))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.remaining()
                time.sleep(0.05)
        threading.Thread(target=copy_ops_log, args=(sock, path), daemon=True).start()
        return path

    def log_tail(self, culprit=None):
        """The last lines of the logs, those of the daemon that failed (`mon`, `osd`, `radosgw`) first."""
        logs = {"mon": ["mon.out", "mon.a"], "osd": ["osd.out", "osd.0"], "radosgw": ["radosgw.out", "client.rgw"],
                "tools": ["radosgw-admin"]}
        names = logs.pop(culprit, []) + [name for group in logs.values() for name in group]
        chunks = []
        for name in names:
            try:
                with open(self.log_path(name), errors="replace") as file:
                    tail = file.read()[-1200:].strip()
            except OSError:
                continue
            if tail:
                chunks.append(f"--- {self.log_path(name)}\n{tail}")
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
    """Adds STORAGE_CLASSES to the default placement of a zonegroup and a zone as `radosgw-admin … get` shows
    them; every class stores its data in the STANDARD class's pool."""
    for target in zonegroup["placement_targets"]:
        if target["name"] == "default-placement":
            target["storage_classes"] = sorted({"STANDARD", *target.get("storage_classes", []), *STORAGE_CLASSES})
    for placement in zone["placement_pools"]:
        if placement["key"] == "default-placement":
            classes = placement["val"]["storage_classes"]
            for name in STORAGE_CLASSES:
                classes.setdefault(name, {"data_pool": classes["STANDARD"]["data_pool"]})


def copy_ops_log(sock, path):
    """radosgw sends `[` and then `{...},\\n` per request; writes each object as a line of its own."""
    with sock, open(path, "wb", buffering=0) as out:
        pending = b""
        while data := sock.recv(1 << 16):
            *lines, pending = (pending + data).split(b"\n")
            if lines:
                out.write(b"".join(line.lstrip(b"[").rstrip(b",") + b"\n" for line in lines))


def die_with_parent():
    """A preexec_fn that has the kernel SIGKILL the child when this script dies, however it dies."""
    parent = os.getpid()

    def preexec():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the script died before the prctl
            os._exit(1)
    return preexec


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


def http_ok(port, timeout):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_watchdog(directory):
    """Forks a process that removes `directory` once this script is gone, even after kill -9.

    It reads a pipe whose only writer is this script, so the read returns when the script exits."""
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        try:
            os.setsid()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # hold none of the caller's pipes open
                os.dup2(null, fd)
            os.closerange(3, read_end)
            os.closerange(read_end + 1, 1 << 16)
            while os.read(read_end, 1):
                pass
            if os.path.isdir(directory):
                time.sleep(0.5)  # the daemons die on the same event; let them go first
                shutil.rmtree(directory, ignore_errors=True)
        finally:
            os._exit(0)
    os.close(read_end)
    return write_end


def write_pids(path, pids):
    with open(f"{path}.tmp", "w") as file:
        file.write(",".join(map(str, pids)))
    os.replace(f"{path}.tmp", path)


def wait_for_stdin_eof():
    while sys.stdin.buffer.read1(1 << 16):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pids-file", help="write the daemons' pids (mon,osd,radosgw), comma-separated, here")
    parser.add_argument("--request-log", action="store_true", help="write the ops log and print its path")
    parser.add_argument("--verbose", action="store_true", help="print the start's steps on stderr")
    options = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="s3backup-rgw-")
    start_watchdog(directory)
    cluster = Cluster(directory, options.request_log, options.verbose)

    def stop_on_signal(number, frame):
        raise SystemExit(128 + number)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, stop_on_signal)
    status = 0
    try:
        try:
            port = cluster.start()
            ops_log = cluster.start_ops_log() if options.request_log else None
        except (StartError, OSError, subprocess.SubprocessError, ValueError, KeyError) as error:
            culprit = getattr(error, "culprit", None)
            print(f"rgw.py: the RADOS Gateway did not start: {error}\n{cluster.log_tail(culprit)}", file=sys.stderr)
            status = 1
        else:
            if options.pids_file:
                write_pids(options.pids_file, cluster.pids())
            print(port, flush=True)
            if ops_log:
                print(ops_log, flush=True)
            wait_for_stdin_eof()
    finally:
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)
        stopping = time.monotonic()
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
        cluster.note(f"stopped in {time.monotonic() - stopping:.2f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
