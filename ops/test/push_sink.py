#!/usr/bin/env python3
"""An HTTP server on a free loopback port that stands in for a Prometheus Pushgateway in tests: every request is
written to DIRECTORY as NNNN.json (method, path, content type, body) and answered 200 (or, with --refuse, 400).
Prints the port on the first line of stdout, then serves until its standard input closes.

usage: push_sink.py DIRECTORY [--refuse]
"""
import argparse, http.server, json, os, sys, threading

ap = argparse.ArgumentParser()
ap.add_argument("directory")
ap.add_argument("--refuse", action="store_true")
a = ap.parse_args()
os.makedirs(a.directory, exist_ok=True)
count = 0
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    def record(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with lock:
            count += 1
            path = os.path.join(a.directory, f"{count:04d}.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"method": self.command, "path": self.path, "type": self.headers.get("Content-Type"), "body": body}, f)
        os.rename(path + ".tmp", path)
        self.send_response(400 if a.refuse else 200)
        self.end_headers()
        self.wfile.write(b"pushed metrics are invalid" if a.refuse else b"")

    do_POST = do_PUT = record

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
sys.stdin.read()
server.shutdown()
