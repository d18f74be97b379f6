#!/usr/bin/env python3
"""A stand-in for the EC2 instance metadata service (IMDSv2) and the ECS/EKS container credentials endpoint, for
tests on loopback.

Prints its port on the first line of stdout, then serves until its standard input closes, so it dies with the test
process that started it.

Endpoints:
  PUT  /latest/api/token                               needs X-aws-ec2-metadata-token-ttl-seconds (1-21600)
  GET  /latest/meta-data/iam/security-credentials/     the role name        (401 without a valid token)
  GET  /latest/meta-data/iam/security-credentials/ROLE the role's credentials (401 without a valid token)
  GET  /ecs/<anything>                                 container credentials (401 unless Authorization matches
                                                       --authorization, when that is given)
  GET  /log                                            JSON list of the requests seen before: method, path, and
                                                       whether a token / Authorization header came with it

Credentials carry a counter in the key id (ASIASTANDIN1, ASIASTANDIN2, ...) shared by both endpoints, and expire
--expires-in seconds after they are issued.

usage: metadata_standin.py [--expires-in SECONDS] [--authorization TOKEN] [--role NAME]
"""
import argparse
import datetime
import json
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--expires-in", type=int, default=3600, help="credentials lifetime in seconds")
parser.add_argument("--authorization", default=None, help="the Authorization value the ECS endpoint demands")
parser.add_argument("--role", default="standin-role", help="the IAM role name IMDS reports")
options = parser.parse_args()

lock = threading.Lock()
state = {"counter": 0, "tokens": set(), "log": []}


def issue_credentials():
    with lock:
        state["counter"] += 1
        number = state["counter"]
    expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=options.expires_in)
    return {
        "Code": "Success",
        "LastUpdated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Type": "AWS-HMAC",
        "AccessKeyId": f"ASIASTANDIN{number}",
        "SecretAccessKey": f"standin-secret-{number}",
        "Token": f"standin-session-token-{number}",
        "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass  # stdout carries the port; keep stderr quiet too

    def record(self):
        if self.path == "/log":
            return
        entry = {
            "method": self.command,
            "path": self.path,
            "token": self.headers.get("X-aws-ec2-metadata-token") is not None,
            "authorization": self.headers.get("Authorization") is not None,
        }
        with lock:
            state["log"].append(entry)

    def reply(self, status, body, content_type="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def token_is_valid(self):
        token = self.headers.get("X-aws-ec2-metadata-token")
        with lock:
            return token is not None and token in state["tokens"]

    def do_PUT(self):
        self.record()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != "/latest/api/token":
            return self.reply(404, "not found")
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self.reply(400, "missing or invalid X-aws-ec2-metadata-token-ttl-seconds")
        token = "standin-imds-token-" + secrets.token_hex(8)
        with lock:
            state["tokens"].add(token)
        self.send_response(200)
        self.send_header("X-aws-ec2-metadata-token-ttl-seconds", ttl)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(token)))
        self.end_headers()
        self.wfile.write(token.encode())

    def do_GET(self):
        self.record()
        prefix = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/log":
            with lock:
                body = json.dumps(state["log"])
            return self.reply(200, body, "application/json")
        if self.path.startswith("/latest/"):
            if not self.token_is_valid():
                return self.reply(401, "")
            if self.path == prefix:
                return self.reply(200, options.role)
            if self.path == prefix + options.role:
                return self.reply(200, json.dumps(issue_credentials()), "application/json")
            return self.reply(404, "not found")
        if self.path.startswith("/ecs/"):
            if options.authorization is not None and self.headers.get("Authorization") != options.authorization:
                return self.reply(401, json.dumps({"message": "bad or missing Authorization"}), "application/json")
            credentials = issue_credentials()
            del credentials["Code"], credentials["LastUpdated"], credentials["Type"]
            return self.reply(200, json.dumps(credentials), "application/json")
        return self.reply(404, "not found")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(server.server_address[1], flush=True)
sys.stdin.read()
server.shutdown()
