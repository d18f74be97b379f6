#!/usr/bin/env python3
"""Runs moto's S3 emulator (with STS, IAM and IMDS on the same port) on a free loopback port for tests.

Prints the port on the first line of stdout, then serves until its standard input closes, so the server dies
with the test process that started it, however that process ends (kill -9 included).

usage: emulator.py [NAME=VALUE ...]    settings for moto, e.g. INITIAL_NO_AUTH_ACTION_COUNT=0; EMULATOR_HOST=ADDRESS
                                      listens on ADDRESS instead of 127.0.0.1 (the hosts test's namespaces reach it)
"""
import logging
import os
import sys

for setting in sys.argv[1:]:
    name, _, value = setting.partition("=")
    os.environ[name] = value

from moto.server import ThreadedMotoServer  # noqa: E402  (settings must be in the environment first)

logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request on the tests' stderr
server = ThreadedMotoServer(ip_address=os.environ.get("EMULATOR_HOST", "127.0.0.1"), port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
