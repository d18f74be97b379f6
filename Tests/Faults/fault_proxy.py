#!/usr/bin/env python3
"""A fault-injecting S3 proxy for tests: forwards to an S3 endpoint (moto) and breaks a share of the exchanges
the ways S3 and networks break them.

Prints its loopback port on the first line of stdout, then serves until its standard input closes.

usage: fault_proxy.py UPSTREAM_URL [--seed N] [--stall-seconds S] [--aws-etags] [FAULT=RATE ...]

--aws-etags plays what AWS does and moto does not (moto gives every object the MD5 of its body as ETag, and keeps
checksums without checking them): an object written through the proxy with SSE-KMS (asked, or its bucket's default
encryption) gets an ETag that is not its MD5, different for each object and version, in every answer that names it
(writes, HeadObject, GetObject, listings), and `If-Match` headers are translated back; an upload whose
`x-amz-checksum-*` does not match its body is refused with 400 BadDigest, as S3 does.

Faults (RATE is the share of the requests the fault applies to, 0 to 1):
  slowdown      503 SlowDown, not forwarded
  internal      500 InternalError, not forwarded
  error200      forwarded, then a 200 whose body is an <Error> (CopyObject, UploadPartCopy, CompleteMultipartUpload)
  reset-before  the connection reset before any response byte, not forwarded
  reset-mid     forwarded, then the connection reset in the middle of the response body (responses with a body)
  stall         nothing sent for --stall-seconds (default 30), then the connection closed, not forwarded
  truncate      forwarded, the full Content-Length announced, half the body sent, the connection closed (GetObject)
  bad-etag      forwarded, the ETag header replaced by a wrong one (PutObject, UploadPart)
  expired-token 400 ExpiredToken, as S3 answers a request signed with an expired session token, not forwarded
  tamper-path   forwarded with a byte added to the path after it was signed, as a man in the middle would
  tamper-body   forwarded with the body's last byte changed after it was signed (requests with a body)

While it runs, HTTP on the same port controls it (bucket names cannot start with "_", so these never reach S3):
  GET /__proxy/set?slowdown=0.1&only=poison/   replace every rate (unnamed ones become 0); `only` limits faults
                                                to request paths containing that text
  GET /__proxy/stats                            JSON: requests, faults injected by kind, RestoreObject requests by
                                                "/bucket/key?versionId=…", and each forwarded or
                                                faulted request's start time (seconds since the proxy started)
"""
import base64
import hashlib
import html
import http.client
import http.server
import json
import random
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse
import zlib

FAULTS = ["slowdown", "internal", "error200", "reset-before", "reset-mid", "stall", "truncate", "bad-etag",
          "expired-token", "tamper-path", "tamper-body"]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


class State:
    """The rates, the random source and the counts, shared by the handler threads."""

    def __init__(self, upstream, seed, stall_seconds, rates):
        self.upstream = upstream
        self.random = random.Random(seed)
        self.stall_seconds = stall_seconds
        self.rates = rates
        self.only = ""
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.requests = 0
        self.injected = {fault: 0 for fault in FAULTS}
        self.times = []
        self.restores = {}
        self.aws_etags = None  # an AwsETags when --aws-etags

    def choose(self, candidates, path):
        """Draws a fault among those that apply to this request, or None."""
        with self.lock:
            self.requests += 1
            self.times.append(round(time.monotonic() - self.started, 4))
            if self.only and self.only not in urllib.parse.unquote(path):
                return None
            for fault in candidates:
                if self.random.random() < self.rates.get(fault, 0.0):
                    self.injected[fault] += 1
                    return fault
        return None


def crc_table(polynomial, width):
    table = []
    for index in range(256):
        value = index
        for _ in range(8):
            value = (value >> 1) ^ polynomial if value & 1 else value >> 1
        table.append(value)
    return table, (1 << width) - 1


CRC32C = crc_table(0x82F63B78, 32)
CRC64NVME = crc_table(0x9A6C9329AC4BC9B5, 64)


def reflected_crc(body, spec, size):
    table, mask = spec
    crc = mask
    for byte in body:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return (crc ^ mask).to_bytes(size, "big")


CHECKSUMS = {
    "crc32": lambda body: zlib.crc32(body).to_bytes(4, "big"),
    "crc32c": lambda body: reflected_crc(body, CRC32C, 4),
    "crc64nvme": lambda body: reflected_crc(body, CRC64NVME, 8),
    "sha1": lambda body: hashlib.sha1(body).digest(),
    "sha256": lambda body: hashlib.sha256(body).digest(),
}


class AwsETags:
    """Which objects were written with SSE-KMS, and the ETags AWS would give them."""

    def __init__(self):
        self.kms_buckets = set()
        self.uploads = {}  # upload id → written with SSE-KMS
        self.kms = {}  # (bucket, key, version) → the ETag AWS would give it
        self.latest = {}  # (bucket, key) → the version written last through the proxy
        self.original = {}  # an ETag given → the one moto knows

    def is_kms(self, bucket, headers):
        asked = headers.get("x-amz-server-side-encryption")
        return asked.startswith("aws:kms") if asked else bucket in self.kms_buckets

    def written(self, bucket, key, version, etag, kms):
        version = version or "null"
        self.latest[(bucket, key)] = version
        if not kms:
            self.kms.pop((bucket, key, version), None)
            return etag
        plain = etag.strip('"')
        suffix = plain[plain.index("-"):] if "-" in plain else ""
        given = hashlib.md5(f"kms|{bucket}|{key}|{version}|{plain}".encode()).hexdigest() + suffix
        self.kms[(bucket, key, version)] = given
        self.original[given] = plain
        return f'"{given}"'

    def told(self, bucket, key, version, etag):
        given = self.kms.get((bucket, key, version or self.latest.get((bucket, key), "null")))
        return f'"{given}"' if given else etag

    def back(self, etag):
        plain = etag.strip('"')
        return f'"{self.original[plain]}"' if plain in self.original else etag


def replace_etags(xml, block, told):
    """Each `block` element of a listing with its ETag as `told(key, version, etag)` says."""
    def one(match):
        text = match.group(0)
        key = re.search(r"<Key>(.*?)</Key>", text, re.S)
        version = re.search(r"<VersionId>(.*?)</VersionId>", text, re.S)
        etag = re.search(r"<ETag>(.*?)</ETag>", text, re.S)
        if not key or not etag:
            return text
        given = told(html.unescape(key.group(1)), html.unescape(version.group(1)) if version else None,
                     html.unescape(etag.group(1)))
        return text[:etag.start(1)] + html.escape(given, quote=True) + text[etag.end(1):]
    return re.sub(rf"<{block}>.*?</{block}>", one, xml, flags=re.S)


def parse_rates(pairs):
    rates = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name not in FAULTS:
            raise SystemExit(f"unknown fault {name!r}; faults are {', '.join(FAULTS)}")
        rates[name] = float(value)
    return rates


def error_body(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f"<RequestId>fault-proxy</RequestId></Error>").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set before serving

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def handle_any(self):
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path.startswith("/__proxy/"):
            return self.control(parsed)
        body = self.read_body()
        if not self.body_is_whole(body):
            # As S3 does: an upload cut short stores nothing.
            self.close_connection = True
            return
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        if self.method_is("POST") and "restore" in query:
            # RestoreObject requests by object and version, so a test can tell one was never asked twice.
            asked = urllib.parse.unquote(parsed.path) + "?versionId=" + query.get("versionId", [""])[0]
            with self.state.lock:
                self.state.restores[asked] = self.state.restores.get(asked, 0) + 1
        segments = [s for s in parsed.path.split("/") if s]
        has_key = len(segments) > 1
        copy = self.method_is("PUT") and "x-amz-copy-source" in self.headers
        aws = self.state.aws_etags
        candidates = ["slowdown", "internal", "reset-before", "stall", "expired-token", "tamper-path"]
        if body:
            candidates.append("tamper-body")
        if copy or (self.method_is("POST") and "uploadId" in query):
            candidates.append("error200")
        if self.method_is("PUT") and not copy and has_key:
            candidates.append("bad-etag")
        if self.method_is("GET"):
            candidates.append("reset-mid")
            if has_key and not (set(query) - {"versionId", "partNumber"}):
                candidates.append("truncate")
        fault = self.state.choose(candidates, parsed.path)
        if aws:
            for name in ("If-Match", "x-amz-copy-source-if-match"):
                if name in self.headers:
                    value = aws.back(self.headers[name])
                    del self.headers[name]
                    self.headers[name] = value

        if fault == "slowdown":
            return self.reply(503, error_body("SlowDown", "Please reduce your request rate."))
        if fault == "internal":
            return self.reply(500, error_body("InternalError", "We encountered an internal error. Please try again."))
        if fault == "expired-token":
            return self.reply(400, error_body("ExpiredToken", "The provided token has expired."))
        if fault == "reset-before":
            return self.reset()
        if fault == "stall":
            time.sleep(self.state.stall_seconds)
            self.close_connection = True
            return

        path = self.path
        if fault == "tamper-path":
            path = urllib.parse.urlunsplit(parsed._replace(path=parsed.path + "x"))
        if fault == "tamper-body":
            body = body[:-1] + bytes([body[-1] ^ 1])
        if aws and self.method_is("PUT") and has_key and not copy:
            # As S3 does, on the body as it arrived (a tampered one too).
            for name, compute in CHECKSUMS.items():
                sent = self.headers.get(f"x-amz-checksum-{name}")
                if sent is not None and base64.b64encode(compute(body)).decode() != sent:
                    return self.reply(400, error_body("BadDigest", f"The {name.upper()} you specified did not match the "
                                                                   "calculated checksum."))
        status, headers, payload = self.forward(path, body)
        if aws and 200 <= status < 300:
            headers, payload = self.as_aws(aws, parsed, segments, query, copy, headers, payload, body)
        if fault == "error200" and status == 200:
            return self.reply(200, error_body("InternalError", "We encountered an internal error. Please try again."))
        if fault == "bad-etag":
            headers = [(n, '"00000000000000000000000000000000"' if n.lower() == "etag" else v) for n, v in headers]
        send_whole = not self.method_is("HEAD")
        if fault in ("reset-mid", "truncate") and len(payload) < 2:
            fault = None  # nothing to cut: this exchange goes through whole
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        # A HEAD announces the object's length; a body rewritten with other ETags may have changed its own.
        self.send_header("Content-Length", headers_value(headers, "content-length", "0") if self.method_is("HEAD")
                         else str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if not send_whole:
            return
        if fault == "reset-mid":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            return self.reset()
        if fault == "truncate":
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            return
        self.wfile.write(payload)

    def as_aws(self, aws, parsed, segments, query, copy, headers, payload, body):
        """The answer with the ETags AWS would give objects written with SSE-KMS; learns what each write did."""
        bucket = urllib.parse.unquote(segments[0]) if segments else ""
        key = urllib.parse.unquote("/".join(parsed.path.split("/")[2:])) if len(segments) > 1 else None
        named = {n.lower(): v for n, v in headers}
        version = named.get("x-amz-version-id")
        with self.state.lock:
            if key is None:
                if self.method_is("PUT") and "encryption" in query:
                    (aws.kms_buckets.add if b"aws:kms" in body else aws.kms_buckets.discard)(bucket)
                elif self.method_is("DELETE") and "encryption" in query:
                    aws.kms_buckets.discard(bucket)
                elif self.method_is("GET") and ("list-type" in query or "versions" in query):
                    block = "Version" if "versions" in query else "Contents"
                    text = replace_etags(payload.decode(), block, lambda k, v, e: aws.told(bucket, k, v, e))
                    payload = text.encode()
                return headers, payload
            kms = aws.is_kms(bucket, self.headers)
            if self.method_is("POST") and "uploads" in query:
                upload = re.search(rb"<UploadId>(.*?)</UploadId>", payload)
                if upload:
                    aws.uploads[upload.group(1).decode()] = kms
            elif self.method_is("POST") and "uploadId" in query:
                kms = aws.uploads.get(query["uploadId"][0], False)
                payload = re.sub(rb"<ETag>(.*?)</ETag>", lambda m: b"<ETag>" + html.escape(aws.written(
                    bucket, key, version, html.unescape(m.group(1).decode()), kms)).encode() + b"</ETag>", payload)
            elif copy:
                payload = re.sub(rb"<ETag>(.*?)</ETag>", lambda m: b"<ETag>" + html.escape(aws.written(
                    bucket, key, version, html.unescape(m.group(1).decode()), kms)).encode() + b"</ETag>", payload)
            elif self.method_is("PUT") and not (set(query) - {"versionId"}):
                headers = [(n, aws.written(bucket, key, version, v, kms) if n.lower() == "etag" else v) for n, v in headers]
            elif self.method_is("GET") or self.method_is("HEAD"):
                if not (set(query) - {"versionId", "partNumber"}):
                    version = query.get("versionId", [version])[0]
                    given = aws.told(bucket, key, version, named.get("etag", ""))
                    if given != named.get("etag"):
                        headers = [(n, v) for n, v in headers if n.lower() not in ("etag", "x-amz-server-side-encryption")]
                        headers += [("ETag", given), ("x-amz-server-side-encryption", "aws:kms")]
        return headers, payload

    def method_is(self, method):
        return self.command == method

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(length) if length else b""

    def body_is_whole(self, body):
        """Whether the request's body arrived whole (a client that gave up mid-upload sends less)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return True
        return len(body) == int(self.headers.get("Content-Length", "0") or 0)

    def forward(self, path, body):
        upstream = urllib.parse.urlsplit(self.state.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=120)
        headers = {n: v for n, v in self.headers.items() if n.lower() not in HOP_BY_HOP and n.lower() != "expect"}
        headers["Content-Length"] = str(len(body))
        connection.request(self.command, path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response.status, response.getheaders(), payload

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if not self.method_is("HEAD"):
            self.wfile.write(body)

    def reset(self):
        """Closes with RST instead of FIN (SO_LINGER with a zero timeout)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def control(self, parsed):
        if parsed.path == "/__proxy/set":
            settings = dict(urllib.parse.parse_qsl(parsed.query))
            only = settings.pop("only", "")
            rates = parse_rates(f"{k}={v}" for k, v in settings.items())
            with self.state.lock:
                self.state.rates = rates
                self.state.only = only
            body = b"{}"
        elif parsed.path == "/__proxy/stats":
            with self.state.lock:
                body = json.dumps({"requests": self.state.requests, "injected": self.state.injected,
                                   "times": self.state.times, "restores": self.state.restores}).encode()
        else:
            return self.reply(404, b"unknown control path")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.wfile.write(body)


def headers_value(headers, name, default):
    for header, value in headers:
        if header.lower() == name:
            return value
    return default


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    arguments = sys.argv[1:]
    if not arguments:
        raise SystemExit(__doc__)
    upstream, options = arguments[0], arguments[1:]
    seed, stall, pairs, aws = 1, 30.0, [], None
    while options:
        option = options.pop(0)
        if option == "--seed":
            seed = int(options.pop(0))
        elif option == "--stall-seconds":
            stall = float(options.pop(0))
        elif option == "--aws-etags":
            aws = AwsETags()
        else:
            pairs.append(option)
    Handler.state = State(upstream, seed, stall, parse_rates(pairs))
    Handler.state.aws_etags = aws
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
