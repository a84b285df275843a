"""A webhook receiver for the webhook tests (test_webhooks.py) and
scripts/bench-webhooks.py: an http.server on 127.0.0.1:PORT that checks
every request's X-Twilio-Signature with python3-twilio's
RequestValidator(auth token), and appends one JSON line per request to
RECORD: {"time": t, "valid": bool, "params": {...}}. A request whose
signature does not validate is recorded with "valid": false and answered
403. Otherwise the answer is 200, or 403 when --deny PREFIX starts the
Identity or FriendlyName, after --slow-seconds when --slow PREFIX starts
the Identity.

Run as its own process (so a test can SIGKILL it):
  python3 webhook_receiver.py PORT RECORD AUTH_TOKEN [--deny P] [--slow P]
      [--slow-seconds S]
It prints "ready" on stdout once it listens.
"""
import argparse
import json
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from twilio.request_validator import RequestValidator


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("record")
    parser.add_argument("auth_token")
    parser.add_argument("--deny", default=None)
    parser.add_argument("--slow", default=None)
    parser.add_argument("--slow-seconds", type=float, default=0.0)
    args = parser.parse_args()
    validator = RequestValidator(args.auth_token)
    # One write(2) per line: a SIGKILL loses no line that was written.
    record = os.open(args.record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
            params = dict(pairs)
            url = "http://127.0.0.1:%d%s" % (args.port, self.path)
            valid = (len(params) == len(pairs) and validator.validate(
                url, params, self.headers.get("X-Twilio-Signature", "")))
            line = json.dumps({"time": time.time(), "valid": valid, "path": self.path,
                               "params": params}) + "\n"
            os.write(record, line.encode("utf-8"))
            status = 200
            identity = params.get("Identity", "")
            if not valid:
                status = 403
            elif args.deny and (identity.startswith(args.deny) or
                                params.get("FriendlyName", "").startswith(args.deny)):
                status = 403
            elif args.slow and identity.startswith(args.slow):
                time.sleep(args.slow_seconds)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *unused):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
