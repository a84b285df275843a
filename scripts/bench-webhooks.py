#!/usr/bin/env python3
"""Webhook delivery throughput of userstore-http (docs/benchmarks.md,
"Webhook delivery"): N REST creates with X-Twilio-Webhook-Enabled: true
while the receiver is down, then the receiver (tests/python/
webhook_receiver.py: Python http.server, validating every signature with
python3-twilio) starts and the backlog drains; prints the events/s of the
drain (first to last receipt). A figure, not a test.

  /usr/bin/python3 scripts/bench-webhooks.py build/examples/http_server/userstore-http [N]
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "bench-token"
SERVICE = "IS" + "e" * 32


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        record = os.path.join(tmp, "record.jsonl")
        env = dict(os.environ, TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN=TOKEN)
        host = subprocess.Popen(
            [binary, "--port", "0", "--service", SERVICE, "--log", "off",
             "--post-webhook-url", "http://127.0.0.1:%d/hook" % port],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        origin = host.stdout.readline().split()[-1]
        session = requests.Session()
        session.auth = (ACCOUNT, TOKEN)
        start = time.monotonic()
        for i in range(n):
            r = session.post("%s/v2/Services/%s/Users" % (origin, SERVICE),
                             data={"Identity": "u%d" % i},
                             headers={"X-Twilio-Webhook-Enabled": "true"})
            assert r.status_code == 201, r.text
        writes = n / (time.monotonic() - start)
        # The sender backs off while the receiver is down (at most 30 s).
        receiver = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "tests/python/webhook_receiver.py"), str(port),
             record, TOKEN], stdout=subprocess.PIPE, text=True)
        assert receiver.stdout.readline().strip() == "ready"
        while True:
            with open(record, encoding="utf-8") if os.path.exists(record) else open(os.devnull) as f:
                lines = [json.loads(l) for l in f if l.endswith("\n")]
            if len({l["params"]["X-Userstore-Sequence"] for l in lines}) >= n:
                break
            time.sleep(0.1)
        assert all(l["valid"] for l in lines)
        times = [l["time"] for l in lines]
        rate = (len(lines) - 1) / (max(times) - min(times))
        print("writes: %d at %.0f/s; drain: %d events in %.2f s = %.0f events/s" %
              (n, writes, len(lines), max(times) - min(times), rate))
        receiver.send_signal(signal.SIGTERM)
        receiver.wait()
        host.send_signal(signal.SIGTERM)
        host.wait()


if __name__ == "__main__":
    main()
