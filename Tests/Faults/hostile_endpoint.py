#!/usr/bin/env python3
"""A hostile or broken HTTP endpoint for the S3 client's guard-rail tests: answers that are too deep, too large or
too slow, and a recorder that counts every request it gets (as a proxy that must not be used, or a server that must
not be reached).

Prints its loopback port (a free one, chosen by the system) on the first line of stdout, then serves until it is
killed or its standard input closes.

What a request gets depends on the first path segment (the bucket, for an S3 client on a path-style endpoint):
  HEAD anything        200, x-amz-bucket-region: us-east-1 (the client's region lookup)
  GET /deep-N...       200, an XML document N elements deep (<a><a>...</a></a>)
  GET /huge-N...       200, Content-Length N, N bytes of spaces
  GET /chunked-N...    200, chunked, N bytes of spaces without a length
  GET /trickle-N...    200, Content-Length N, one byte a second
  GET /paced-N-R...    200, Content-Length N, sent at about R bytes a second
  PUT /latest/api/token  200, an IMDSv2 session token holding a control character ("s3cr3t\x01token")
  GET /__stats         JSON: requests (every request but this one) and their request lines, and bytes of body each
                       GET above managed to send before it ended or the client went away
  anything else        502 "recorded" (a proxy's answer, or a server's that should not have been asked)
"""
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
state = {"requests": [], "sent": {}}
BLOCK = b" " * (1 << 20)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass  # stdout carries the port

    def record(self):
        with lock:
            state["requests"].append(self.requestline)

    def count(self, sent):
        with lock:
            state["sent"][self.requestline] = sent

    def head(self, status, length=None, chunked=False, extra=()):
        self.send_response(status)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def mode(self):
        path = self.path.split("?", 1)[0]
        segment = path.lstrip("/").split("/", 1)[0]
        name, _, rest = segment.partition("-")
        return name, [int(part) for part in rest.split("-") if part.isdigit()]

    def do_HEAD(self):
        self.record()
        self.head(200, 0, extra=[("x-amz-bucket-region", "us-east-1")])

    def do_GET(self):
        if self.path == "/__stats":
            with lock:
                body = json.dumps(state).encode()
            self.head(200, len(body), extra=[("Content-Type", "application/json")])
            self.wfile.write(body)
            return
        self.record()
        name, numbers = self.mode()
        sent = 0
        try:
            if name == "deep" and numbers:
                body = b"<a>" * numbers[0] + b"</a>" * numbers[0]
                self.head(200, len(body), extra=[("Content-Type", "application/xml")])
                self.wfile.write(body)
                sent = len(body)
            elif name == "huge" and numbers:
                self.head(200, numbers[0])
                while sent < numbers[0]:
                    block = BLOCK[: numbers[0] - sent]
                    self.wfile.write(block)
                    sent += len(block)
            elif name == "chunked" and numbers:
                self.head(200, chunked=True)
                while sent < numbers[0]:
                    block = BLOCK[: numbers[0] - sent]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                    sent += len(block)
                self.wfile.write(b"0\r\n\r\n")
            elif name == "trickle" and numbers:
                self.head(200, numbers[0])
                while sent < numbers[0]:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    sent += 1
                    time.sleep(1)
            elif name == "paced" and len(numbers) == 2:
                total, rate = numbers
                self.head(200, total)
                step = max(1, rate // 10)
                while sent < total:
                    block = BLOCK[: min(step, total - sent)]
                    self.wfile.write(block)
                    self.wfile.flush()
                    sent += len(block)
                    time.sleep(0.1)
            else:
                body = b"recorded"
                self.head(502, len(body))
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        self.count(sent)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.do_GET()
        self.record()
        body = b"s3cr3t\x01token"
        self.head(200, len(body))
        self.wfile.write(body)

    do_POST = do_DELETE = do_GET


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # until the test process closes it or goes away


main()
