#!/usr/bin/env python3
"""An SMTP server on a free loopback port for tests (aiosmtpd). Every message it accepts is written to
DIRECTORY as NNNN.eml, with the envelope in NNNN.json. Prints the port on the first line of stdout, then serves
until its standard input closes.

usage: smtp_sink.py DIRECTORY [--user NAME --password SECRET] [--refuse]
  --user/--password  require AUTH (PLAIN/LOGIN, allowed without TLS on loopback)
  --refuse           answer every RCPT with 550 (a server that refuses the mail)
"""
import argparse, json, os, socket, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

ap = argparse.ArgumentParser()
ap.add_argument("directory")
ap.add_argument("--user")
ap.add_argument("--password")
ap.add_argument("--refuse", action="store_true")
a = ap.parse_args()
os.makedirs(a.directory, exist_ok=True)


class Sink:
    count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if a.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        base = os.path.join(a.directory, f"{Sink.count:04d}")
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "auth": session.authenticated}, f)
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = a.user is not None and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password
    return AuthResult(success=ok)


s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
kwargs = {"hostname": "127.0.0.1", "port": port}
if a.user:
    kwargs.update(authenticator=authenticator, auth_require_tls=False, auth_required=True)
controller = Controller(Sink(), **kwargs)
controller.start()
print(port, flush=True)
sys.stdin.read()
controller.stop()
