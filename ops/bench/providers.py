#!/usr/bin/env python3
"""s3backup run against aws s3 sync and rclone sync on two servers, Ceph's RADOS Gateway and moto, in one run.

Per server: one primary seeded with --objects objects (peers.py's seed: small objects and a few single-part
ones of 1-8 MiB, plus --multipart objects of 8-20 MiB uploaded in 5, 6 or 8 MiB parts), then per tool a fresh
copy of it (src) and a fresh backup bucket (dst), and three phases: full sync, no-op resync, incremental resync
after peers.py's mutate() (1 % changed, 1 % deleted, 1 % added). Per tool and phase it prints wall, client CPU
(the tool and its children), server CPU (moto, or RGW's mon + osd + radosgw), the machine's other CPU (what
neither used: other programs on a shared machine), requests by kind (RGW's ops log; moto's request log) and
whether the backup then held the source's keys with the source's sizes. Then the ratios the targets name.

Each tool runs as a user would run it:
  aws s3 sync s3://SRC s3://DST --delete --only-show-errors
  rclone sync --checksum --fast-list --transfers 16 --checkers 16   (provider Other, as peers.py)
  s3backup run --source s3://SRC --backup s3://DST --db DB          (default flags; on RGW also --sse none:
        RGW 16.2 has no SSE-S3, and s3backup refuses copies it cannot confirm as encrypted)
s3backup's run logs go to a temporary directory through S3BACKUP_LOG_DIR (the same as --log-dir: where, not how).
--variant NAME=FLAGS adds s3backup runs with extra flags, marked non-default and left out of the ratios.

Request kinds: on RGW from its ops log (operation, method, query, bytes received: a part PUT with no body is
an UploadPartCopy). moto's log has no headers, so there a PUT of an object is "PutObject|CopyObject" and a part
PUT "UploadPart|UploadPartCopy". A phase's requests are those logged between two marker requests (a HEAD of a
missing key in the primary) sent just before the tool starts and just after it exits.

usage: providers.py [--servers rgw,moto] [--objects 3000] [--ours BINARY] [--variant NAME=FLAGS ...]
                    [--only aws,rclone,ours] [--timeout 900] [--json FILE]
Needs rclone, awscli, moto_server, boto3 and Ceph's radosgw/mon/osd (ops/bench/providers.sh installs them), and
../shared/bench/peers.py beside this checkout.
"""
import argparse, collections, json, os, random, re, resource, select, shutil, signal, socket, subprocess, sys
import tempfile, time, uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(HERE, "../../../shared/bench"))
import peers  # noqa: E402  (seeding, mutation, listing, server CPU: the same as the side-by-side benchmark)

TICK = os.sysconf("SC_CLK_TCK")
MOTO_LINE = re.compile(r'"([A-Z]+) (/[^ "]*) HTTP/[0-9.]+" (\d{3})')
MARK = "__providers-mark__"
LIST_PARAMS = {"list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type", "continuation-token",
               "start-after", "fetch-owner"}
PHASES = ("full", "noop", "incr")


# --- servers

class Server:
    """A running S3 server: endpoint, keys, the pids whose CPU is the server's, and its request log."""
    name = ""
    key = secret = ""
    pids = []
    log_path = ""

    def requests(self, lines):
        """(path, kind, status, bytes received, bytes sent) of each request in these lines of its log."""
        raise NotImplementedError


def wait_port(port, seconds, alive):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive():
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


class Moto(Server):
    name = "moto"
    key = secret = "test"

    def __init__(self, work):
        port = peers.free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self.log_path = f"{work}/moto.log"
        with open(self.log_path, "a") as sink:  # O_APPEND, as ceiling.py: moto's writes go to the end
            self.proc = subprocess.Popen(["moto_server", "-p", str(port)], stdin=subprocess.DEVNULL, stdout=sink,
                                         stderr=sink, start_new_session=True)
        if not wait_port(port, 30, lambda: self.proc.poll() is None):
            self.stop()
            raise RuntimeError(f"moto_server did not start: {tail(self.log_path)}")
        self.pids = [self.proc.pid]  # the pyenv shim execs python: the same pid

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass

    def requests(self, lines):
        out = []
        for line in lines:
            m = MOTO_LINE.search(line)
            if m:
                method, target, status = m.groups()
                path, _, query = target.partition("?")
                out.append((path, kind(method, path, query, None, None), int(status), 0, 0))
        return out


class RGW(Server):
    name = "rgw"
    key, secret = "AKIDTEST", "test-secret"

    def __init__(self, work):
        pids_file = f"{work}/rgw.pids"
        self.err_path = f"{work}/rgw.err"
        with open(self.err_path, "w") as err:
            # rgw.py serves until its stdin closes; stop() closes it. It kills its daemons if it dies.
            self.proc = subprocess.Popen([sys.executable, os.path.join(CHECKOUT, "ops/test/rgw.py"), "--pids-file",
                                          pids_file, "--request-log"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=err, bufsize=0)
        lines = read_lines(self.proc.stdout, 2, 90)
        if len(lines) < 2:
            self.stop()
            raise RuntimeError(f"rgw.py did not start: {tail(self.err_path)}")
        self.endpoint = f"http://127.0.0.1:{int(lines[0])}"
        self.log_path = lines[1].strip()
        self.pids = [int(p) for p in open(pids_file).read().split(",")]  # mon, osd, radosgw

    def stop(self):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # its daemons die with it (PR_SET_PDEATHSIG)
            self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()

    def requests(self, lines):
        out = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            method, _, rest = entry.get("uri", "").partition(" ")
            target = rest.rsplit(" HTTP/", 1)[0]
            path, _, query = target.partition("?")
            query = query.split("?")[0]  # RGW writes the query string twice
            out.append((path, kind(method, path, query, entry.get("operation"), int(entry.get("bytes_received", 0))),
                        int(entry.get("http_status") or 0), int(entry.get("bytes_received", 0)),
                        int(entry.get("bytes_sent", 0))))
        return out


def read_lines(stream, count, seconds):
    """Up to `count` lines from a pipe within `seconds` (fewer if it closes first)."""
    fd, data, deadline = stream.fileno(), b"", time.monotonic() + seconds
    while data.count(b"\n") < count:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return [line for line in data.decode(errors="replace").split("\n")[:count] if line.strip()]


def tail(path, n=1500):
    try:
        return open(path, errors="replace").read()[-n:]
    except OSError:
        return ""


def kind(method, path, query, op, received):
    """The S3 API name of a request, from its method, target and query (and on RGW its operation)."""
    obj = "/" in path.lstrip("/")
    params = {p.split("=")[0] for p in query.split("&") if p}
    if not obj:
        if method == "GET" and params <= LIST_PARAMS:
            return "ListObjectsV2" if "list-type" in params else "ListObjects"
        named = {("GET", "location"): "GetBucketLocation", ("GET", "versioning"): "GetBucketVersioning",
                 ("GET", "uploads"): "ListMultipartUploads", ("GET", "versions"): "ListObjectVersions",
                 ("GET", "lifecycle"): "GetBucketLifecycle", ("GET", "encryption"): "GetBucketEncryption",
                 ("POST", "delete"): "DeleteObjects"}
        for (m, p), name in named.items():
            if method == m and p in params:
                return name
        if method == "HEAD" and not params:
            return "HeadBucket"
        if method == "PUT" and not params:
            return "CreateBucket"
    else:
        if method == "HEAD":
            return "HeadObject?partNumber" if "partNumber" in params else "HeadObject"
        if method == "GET":
            for p, name in (("tagging", "GetObjectTagging"), ("attributes", "GetObjectAttributes"),
                            ("uploadId", "ListParts"), ("acl", "GetObjectAcl")):
                if p in params:
                    return name
            return "GetObject?partNumber" if "partNumber" in params else "GetObject"
        if method == "PUT":
            if "uploadId" in params:
                if op is None:
                    return "UploadPart|UploadPartCopy"
                return "UploadPartCopy" if received == 0 else "UploadPart"
            if "tagging" in params:
                return "PutObjectTagging"
            if not params:
                if op is None:
                    return "PutObject|CopyObject"
                return "CopyObject" if op == "copy_obj" else "PutObject"
        if method == "POST":
            if "uploads" in params:
                return "CreateMultipartUpload"
            if "uploadId" in params:
                return "CompleteMultipartUpload"
        if method == "DELETE":
            return "AbortMultipartUpload" if "uploadId" in params else "DeleteObject"
    return f"{method} {'object' if obj else 'bucket'}{'?' + '&'.join(sorted(params)) if params else ''}"


class RequestLog:
    """Reads a server's request log between marker requests: the requests made while a tool ran."""

    def __init__(self, server, s3, bucket):
        self.server, self.s3, self.bucket = server, s3, bucket
        self.offset = 0

    def mark(self):
        """Sends a marker request and returns the log's lines before it (since the last mark)."""
        key = f"{MARK}/{uuid.uuid4().hex}"
        try:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        except Exception:
            pass  # 404: it is only there to be logged
        deadline, lines = time.monotonic() + 30, []
        with open(self.server.log_path, "rb") as log:
            while True:
                log.seek(self.offset)
                data = log.read()
                complete = data[:data.rfind(b"\n") + 1]
                at = complete.find(key.encode())
                if at >= 0:
                    end = complete.find(b"\n", at) + 1
                    lines = complete[:complete.rfind(b"\n", 0, at) + 1].decode(errors="replace").splitlines()
                    self.offset += end
                    return [line for line in lines if MARK not in line]
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the marker request never reached {self.server.name}'s request log")
                time.sleep(0.05)


# --- seeding

def client(server, region="us-east-2"):
    return peers.client(server.endpoint, region, server.key, server.secret)


def make_bucket(server, name, region):
    client(server, region).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


def multipart_specs(count, rng):
    """(key, size, part size, body seed) of the multipart objects: 8-20 MiB in 5, 6 or 8 MiB parts."""
    return [(f"clients/{i:03d}/multipart/big-{i:04d}.bin", rng.randrange(8 << 20, 20 << 20),
             (5 << 20, 6 << 20, 8 << 20)[i % 3], rng.randrange(1 << 30)) for i in range(count)]


def upload_multipart(s3, bucket, spec):
    key, size, part_size, body_seed = spec
    body = random.Random(body_seed).randbytes(size)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/octet-stream",
                                        Metadata={"owner": "multipart"})["UploadId"]
    parts = []
    for number, start in enumerate(range(0, size, part_size), 1):
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number,
                              Body=body[start:start + part_size])["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})


def fill_source(s3, primary, src, small_keys, specs):
    """src = the primary: small objects by CopyObject (metadata kept), multipart ones uploaded again alike."""
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda k: s3.copy_object(Bucket=src, Key=k, CopySource={"Bucket": primary, "Key": k}),
                    small_keys))
        list(ex.map(lambda spec: upload_multipart(s3, src, spec), specs))


def compare(s3, src, dst):
    """'yes' when dst holds src's keys with src's sizes, else what differs; and how many ETags differ."""
    a, b = peers.listing(s3, src), peers.listing(s3, dst)
    missing = [k for k in a if k not in b]
    extra = [k for k in b if k not in a]
    size = [k for k in a if k in b and a[k][0] != b[k][0]]
    etag = sum(1 for k in a if k in b and a[k][1].strip('"') != b[k][1].strip('"'))
    if not (missing or extra or size):
        return "yes", etag
    return f"NO ({len(missing)} missing, {len(extra)} extra, {len(size)} size)", etag


# --- measuring

def machine_busy():
    """CPU seconds the whole machine spent not idle (all cores)."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


def run_phase(cmd, env, server, reqlog, timeout):
    reqlog.mark()
    s0, m0, r0, t0 = peers.server_cpu(server.pids), machine_busy(), resource.getrusage(resource.RUSAGE_CHILDREN), \
        time.monotonic()
    proc = subprocess.Popen(["bash", "-c", cmd], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        status = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        status = "timeout"
    wall = time.monotonic() - t0
    r1, m1, s1 = resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy(), peers.server_cpu(server.pids)
    try:  # nothing of the tool may outlive it
        os.killpg(proc.pid, signal.SIGKILL)
        print(f"  killed what was left of: {cmd[:80]}", file=sys.stderr)
    except ProcessLookupError:
        pass
    reqs = server.requests(reqlog.mark())
    cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    srv = s1 - s0
    if status != 0:
        print(f"  exit {status}: {cmd}\n  {output[-1500:]}", file=sys.stderr)
    return {"wall": wall, "cpu": cpu, "srv": srv, "other": max(0.0, (m1 - m0) - cpu - srv), "exit": status,
            "requests": len(reqs), "kinds": dict(collections.Counter(r[1] for r in reqs).most_common()),
            "errors": dict(collections.Counter(f"{r[1]} {r[2]}" for r in reqs if r[2] >= 400)),
            "mb_in": sum(r[3] for r in reqs) / 1e6, "mb_out": sum(r[4] for r in reqs) / 1e6,
            "samples": {k: paths[:3] for k, paths in samples(reqs).items()},
            "output": output[-400:]}


def samples(reqs):
    """The targets of each kind's requests (for --json: which objects got a HEAD)."""
    out = collections.defaultdict(list)
    for r in reqs:
        out[r[1]].append(r[0])
    return out


def bench_server(name, a, work):
    server = RGW(work) if name == "rgw" else Moto(work)
    try:
        return server_rows(server, a, work)
    finally:
        server.stop()


def server_rows(server, a, work):
    s3 = client(server)
    primary = "primary"
    make_bucket(server, primary, "us-east-2")
    rng = random.Random(a.seed)
    t = time.monotonic()
    small_keys = peers.seed(s3, primary, a.objects - a.multipart, rng)
    specs = multipart_specs(a.multipart, rng)
    with ThreadPoolExecutor(4) as ex:
        list(ex.map(lambda spec: upload_multipart(s3, primary, spec), specs))
    listing = peers.listing(s3, primary)
    multipart = sum(1 for _, etag in listing.values() if "-" in etag)
    big = sum(1 for size, etag in listing.values() if size >= 1 << 20 and "-" not in etag)
    seeded = (f"{len(listing)} objects, {sum(s for s, _ in listing.values()) / 1e6:.0f} MB: "
              f"{multipart} multipart (8-20 MiB, ETag -N), {big} single-part of 1-8 MiB; seeded in "
              f"{time.monotonic() - t:.0f} s")
    print(f"{server.name}: {server.endpoint}, {seeded}", file=sys.stderr)
    reqlog = RequestLog(server, s3, primary)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3BACKUP_"))}
    env.update(AWS_ACCESS_KEY_ID=server.key, AWS_SECRET_ACCESS_KEY=server.secret, AWS_REGION="us-east-2",
               AWS_DEFAULT_REGION="us-east-2", AWS_ENDPOINT_URL=server.endpoint, AWS_EC2_METADATA_DISABLED="true")
    with open(f"{work}/rclone.conf", "w") as f:
        f.write(f"[s3]\ntype = s3\nprovider = Other\naccess_key_id = {server.key}\nsecret_access_key = "
                f"{server.secret}\nendpoint = {server.endpoint}\nregion = us-east-2\n")
    ours = f"{a.ours} run --source s3://{{src}} --backup s3://{{dst}} --db {{db}}"
    if server.name == "rgw":
        ours += " --sse none"
    tools = [("aws-cli", f"aws --endpoint-url {server.endpoint} s3 sync s3://{{src}} s3://{{dst}} --delete "
                         "--only-show-errors", True),
             ("rclone", f"rclone --config {work}/rclone.conf sync s3:{{src}} s3:{{dst}} --checksum --fast-list "
                        "--transfers 16 --checkers 16", True),
             ("s3backup", ours, True)]
    tools = [t for t in tools if {"aws-cli": "aws", "rclone": "rclone", "s3backup": "ours"}[t[0]] in a.only]
    tools += [(f"s3backup {n}", f"{ours} {flags}", False) for n, flags in a.variant]
    rows = []
    for index, (tool, template, default) in enumerate(tools):
        src, dst = f"src-{index}", f"dst-{index}"
        make_bucket(server, src, "us-east-2")
        make_bucket(server, dst, "us-west-2")
        fill_source(s3, primary, src, small_keys, specs)
        logs = f"{work}/logs-{index}"
        os.makedirs(logs)
        tool_env = dict(env, S3BACKUP_LOG_DIR=logs)
        cmd = template.format(src=src, dst=dst, db=f"{work}/queue-{index}.db")
        keys = sorted(peers.listing(s3, src))
        row = {"tool": tool, "default": default, "command": cmd.replace(work, "$WORK")}
        for phase in PHASES:
            if phase == "incr":
                peers.mutate(s3, src, keys, random.Random(a.seed + 1))
            print(f"  {server.name} {tool} {phase}…", file=sys.stderr)
            result = run_phase(cmd, tool_env, server, reqlog, a.timeout)
            result["match"], result["etag_diff"] = compare(s3, src, dst)
            row[phase] = result
        rows.append(row)
    return {"server": server.name, "endpoint": server.endpoint, "seeded": seeded, "rows": rows}


# --- printing

def print_table(result, objects):
    name = result["server"]
    print(f"\n== {name} ({'mon+osd+radosgw' if name == 'rgw' else 'moto'} = srv): {result['seeded']}")
    if name == "rgw":
        print("   s3backup on RGW needs one flag a user must add: --sse none (RGW 16.2 has no SSE-S3; with the "
              "default --sse AES256 it refuses copies it cannot confirm as encrypted)")
    print("   seconds; cpu = client (tool + children); srv = server CPU; other = the rest of the machine's CPU; "
          "req/obj = requests / objects")
    width = max(22, *(len(r["tool"]) + 14 * (not r["default"]) for r in result["rows"]))
    head = f"{'tool':{width}} {'phase':5} {'wall':>7} {'cpu':>6} {'srv':>6} {'srv/w':>5} {'other':>6} {'req':>6} " \
           f"{'req/obj':>7}" + (f" {'MB in/out':>11}" if name == "rgw" else "") + "  match  requests by kind"
    print(head)
    for row in result["rows"]:
        label = row["tool"] + ("" if row["default"] else " (non-default)")
        for phase in PHASES:
            r = row[phase]
            kinds = ", ".join(f"{n} {k}" for k, n in r["kinds"].items())
            errs = ("; errors: " + ", ".join(f"{n}× {k}" for k, n in r["errors"].items())) if r["errors"] else ""
            status = "" if r["exit"] == 0 else f" exit {r['exit']}"
            etag = f" ({r['etag_diff']} ETag≠)" if r["etag_diff"] else ""
            mb = f" {r['mb_in']:5.0f}/{r['mb_out']:<5.0f}" if name == "rgw" else ""
            print(f"{label if phase == 'full' else '':{width}} {phase:5} {r['wall']:7.2f} {r['cpu']:6.2f} {r['srv']:6.2f} "
                  f"{r['srv'] / r['wall']:5.2f} {r['other']:6.2f} {r['requests']:6d} {r['requests'] / objects:7.3f}"
                  f"{mb}  {r['match']}{etag}{status}  {kinds}{errs}")


def print_ratios(result, objects):
    rows = {r["tool"]: r for r in result["rows"] if r["default"]}
    ours, aws, rclone = rows.get("s3backup"), rows.get("aws-cli"), rows.get("rclone")
    if not ours:
        return
    rgw = result["server"] == "rgw"
    print(f"   targets on {result['server']} (s3backup / peer, this run):")

    def line(what, value, limit, applies=True):
        verdict = ("PASS" if value <= limit else "MISS") if applies else "(target is for RGW)"
        print(f"     {what:44} {value:6.3f}  target <= {limit:.2f}  {verdict}")
    if aws:
        line("full wall / aws-cli's", ours["full"]["wall"] / aws["full"]["wall"], 0.5, rgw)
    if rclone:
        line("full wall / rclone's", ours["full"]["wall"] / rclone["full"]["wall"], 0.8, rgw)
        line("full client CPU per object / rclone's", ours["full"]["cpu"] / rclone["full"]["cpu"], 0.25)
    if aws:
        for phase in PHASES:
            line(f"{phase} requests per object / aws-cli's", ours[phase]["requests"] / max(1, aws[phase]["requests"]),
                 1.0)
    peers_ = [r for r in (aws, rclone) if r]
    for phase in ("noop", "incr"):
        if peers_:
            fastest = min(peers_, key=lambda r: r[phase]["wall"])
            line(f"{phase} wall / fastest peer's ({fastest['tool']} {fastest[phase]['wall']:.2f} s)",
                 ours[phase]["wall"] / fastest[phase]["wall"], 1.0)
    bad = [f"{r['tool']} {p}" for r in result["rows"] for p in PHASES if r[p]["match"] != "yes" or r[p]["exit"] != 0]
    print(f"     every phase matched and exited 0: {'yes' if not bad else 'NO: ' + ', '.join(bad)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", default="rgw,moto")
    ap.add_argument("--objects", type=int, default=3000)
    ap.add_argument("--multipart", type=int, default=6, help="multipart objects among --objects")
    ap.add_argument("--ours", default=os.path.join(CHECKOUT, ".build/release/s3backup"), help="the s3backup binary")
    ap.add_argument("--only", default="aws,rclone,ours")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=FLAGS",
                    help="also run s3backup with these extra flags (non-default), e.g. 'w1c16=--workers 1 "
                         "--concurrency 16'")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=900, help="seconds a tool's phase may take")
    ap.add_argument("--json", help="also write the results to this file")
    a = ap.parse_args()
    a.only = set(a.only.split(","))
    a.variant = [tuple(v.split("=", 1)) for v in a.variant]
    if not os.access(a.ours, os.X_OK):
        sys.exit(f"{a.ours} is not an executable (swift build -c release --product s3backup)")
    for tool in ("aws", "rclone", "moto_server"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (ops/bench/providers.sh installs it)")

    def stop(number, frame):
        raise SystemExit(128 + number)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stop)
    work = tempfile.mkdtemp(prefix="providers-")
    results = []
    try:
        print(f"objects={a.objects} ({a.multipart} multipart); s3backup = {a.ours}")
        for name in a.servers.split(","):
            server_work = os.path.join(work, name)
            os.makedirs(server_work)
            result = bench_server(name, a, server_work)
            results.append(result)
            print_table(result, a.objects)
            print_ratios(result, a.objects)
            sys.stdout.flush()
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"objects": a.objects, "ours": a.ours, "servers": results}, f, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
