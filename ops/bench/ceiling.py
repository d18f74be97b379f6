#!/usr/bin/env python3
"""What bounds a full sync on the emulator: aws s3 sync and s3backup run, alternating, each into a fresh bucket
on one moto server that logs every request. Per run it prints wall, client CPU, moto's CPU, how busy moto was
(its CPU over the wall) and the requests by kind, then the fastest any client can be when it sends aws-cli's
requests: aws-cli's wall over moto's CPU for them.

usage: ceiling.py --ours BINARY [--objects 3000] [--rounds 2]
Needs moto_server, awscli and boto3 (ops/install-deps.sh), and ../shared/bench/peers.py beside this checkout.
"""
import argparse, collections, os, random, re, resource, shutil, signal, socket, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/bench"))
import peers  # noqa: E402  (seeding, buckets, free ports: the same as the side-by-side benchmark)

REQUEST = re.compile(r'"([A-Z]+) /([^/?" ]+)(/[^?" ]*)?(\?[^" ]*)? HTTP')


def moto_cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def kinds(lines):
    """Requests by method, object or bucket, and query parameter names (moto logs one line per request)."""
    counts = collections.Counter()
    for line in lines:
        match = REQUEST.search(line)
        if not match:
            continue
        method, _, key, query = match.groups()
        params = sorted(p.split("=")[0] for p in (query or "?")[1:].split("&") if p and not p.startswith("continuation"))
        counts[f"{method} {'object' if key else 'bucket'}{'?' + '&'.join(params) if params else ''}"] += 1
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True, help="the s3backup binary")
    ap.add_argument("--objects", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    port = peers.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    work = tempfile.mkdtemp(prefix="ceiling-")
    path = f"{work}/moto.log"
    with open(path, "a") as sink:  # O_APPEND: moto's writes never land where this script reads from
        moto = subprocess.Popen(["moto_server", "-p", str(port)], stdout=sink, stderr=sink, start_new_session=True)
    log = open(path)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit("moto_server did not start")
        s3 = peers.client(endpoint)
        peers.make_bucket(s3, "primary", "us-east-2")
        peers.seed(s3, "primary", a.objects, random.Random(7))
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-2",
                   AWS_REGION="us-east-2", AWS_ENDPOINT_URL=endpoint, AWS_EC2_METADATA_DISABLED="true")
        tools = {
            "aws": "aws --endpoint-url {endpoint} s3 sync s3://primary s3://{dst} --delete --only-show-errors",
            "ours": a.ours + " run --source s3://primary --backup s3://{dst} --db {work}/{dst}.db --workers 1 --concurrency 16",
        }
        print(f"objects={a.objects}; seconds; srv = moto CPU (user+sys); busy = srv / wall")
        print(f"{'tool':5} {'wall':>7} {'cpu':>6} {'srv':>6} {'busy':>5} {'ms/req':>6}  requests")
        ceilings = []
        for round_ in range(a.rounds):
            for name, template in tools.items():
                dst = f"ceiling-{name}-{round_}"
                peers.make_bucket(s3, dst, "us-west-2")
                start = os.path.getsize(path)
                u0, s0 = moto_cpu(moto.pid); r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.time()
                done = subprocess.run(["bash", "-c", template.format(endpoint=endpoint, dst=dst, work=work)], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                wall = time.time() - t0; r1 = resource.getrusage(resource.RUSAGE_CHILDREN); u1, s1 = moto_cpu(moto.pid)
                if done.returncode != 0:
                    sys.exit(f"{name} failed ({done.returncode}):\n{done.stdout[-800:]}")
                cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
                srv = u1 - u0 + s1 - s0
                log.seek(start); counts = kinds(log.readlines())
                total = sum(counts.values())
                print(f"{name:5} {wall:7.2f} {cpu:6.2f} {srv:6.2f} {srv / wall:5.0%} {1000 * srv / total:6.2f}  {total}: "
                      + ", ".join(f"{n} {k}" for k, n in counts.most_common()))
                if name == "aws":
                    ceilings.append(wall / srv)
        print("fastest possible full sync with aws-cli's requests: "
              + ", ".join(f"{x:.2f}x" for x in ceilings) + " aws-cli's speed (aws-cli's wall over moto's CPU for its requests)")
    finally:
        os.killpg(moto.pid, signal.SIGTERM)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
