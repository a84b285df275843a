"""userstore-http's webhooks (docs/events.md, "Webhooks") against a receiver
that validates every request with python3-twilio's RequestValidator
(webhook_receiver.py, its own process):

- PostWebhookTest: many REST writes over two Services, most with
  X-Twilio-Webhook-Enabled: true, some without, deletes marked as a
  client's (X-Userstore-Origin: client); the receiver is SIGKILLed mid-run
  and restarted while writes go on. Every expected event arrives, signed,
  in feed order per Service (X-Userstore-Sequence), at most one duplicate
  (the request in flight at the kill), and writes without the header send
  nothing.
- DurablePositionTest: with --data-dir the host is stopped (SIGTERM) and
  restarted mid-run; the delivered position file is checked.
- PreWebhookTest: the pre-event webhook judges client-origin writes only.

Run by ctest (python_test_webhooks); needs USERSTORE_HTTP_SERVER.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import requests

from host import ACCOUNT_SID, AUTH_TOKEN, Host, check

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
SERVICE_A = "IS" + "1" * 32
SERVICE_B = "IS" + "2" * 32
ENABLED = {"X-Twilio-Webhook-Enabled": "true"}
CLIENT = {"X-Userstore-Origin": "client"}
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """webhook_receiver.py on a fixed port, restartable."""

    def __init__(self, record, *extra):
        self.port = free_port()
        self.record = record
        self.extra = list(extra)
        self.proc = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def start(self):
        for _ in range(100):  # the port of a killed receiver may linger briefly
            self.proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "webhook_receiver.py"), str(self.port),
                 self.record, AUTH_TOKEN] + self.extra,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if self.proc.stdout.readline().strip() == "ready":
                return self
            self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()
            time.sleep(0.1)
        raise RuntimeError("the receiver did not start")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.proc is not None:
            self.proc.stdout.close()
            self.proc.stderr.close()
        self.proc = None

    def lines(self):
        if not os.path.exists(self.record):
            return []
        with open(self.record, encoding="utf-8") as f:
            return [json.loads(l) for l in f if l.endswith("\n")]


def wait_until(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Writer:
    """REST writes, and the post-event webhooks each should produce."""

    def __init__(self, host):
        self.session = requests.Session()
        self.session.auth = AUTH
        host.sessions.append(self.session)
        self.origin = host.origin
        self.expected = {SERVICE_A: [], SERVICE_B: []}  # (EventType, Identity)

    def _url(self, service, key=None):
        url = "%s/v2/Services/%s/Users" % (self.origin, service)
        return url if key is None else url + "/" + key

    def create(self, service, identity, enabled):
        r = self.session.post(self._url(service), data={"Identity": identity},
                              headers=ENABLED if enabled else {})
        check(r.status_code == 201, r.text)
        if enabled:
            self.expected[service].append(("onUserAdded", identity))

    def update(self, service, identity, name, enabled):
        r = self.session.post(self._url(service, identity), data={"FriendlyName": name},
                              headers=ENABLED if enabled else {})
        check(r.status_code == 200, r.text)
        if enabled:
            self.expected[service].append(("onUserUpdated", identity))

    def delete(self, service, identity, client):
        r = self.session.delete(self._url(service, identity), headers=CLIENT if client else {})
        check(r.status_code == 204, r.text)
        if client:
            self.expected[service].append(("onUserRemoved", identity))

    def batch(self, prefix, n):
        """n users per Service: create, update twice, delete some."""
        for i in range(n):
            for service in (SERVICE_A, SERVICE_B):
                identity = "%s-%d" % (prefix, i)
                self.create(service, identity, enabled=i % 5 != 0)
                self.update(service, identity, "first", enabled=i % 4 != 1)
                self.update(service, identity, "second", enabled=True)
                if i % 3 == 0:
                    self.delete(service, identity, client=i % 2 == 0)

    def count(self):
        return sum(len(v) for v in self.expected.values())


def by_service(lines):
    """Per Service, the valid records in arrival order."""
    out = {SERVICE_A: [], SERVICE_B: []}
    for line in lines:
        out.setdefault(line["params"].get("InstanceSid"), []).append(line)
    return out


class WebhookTestBase(unittest.TestCase):

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="userstore-webhooks-")
        self.receivers = []
        self.hosts = []

    def tearDown(self):
        for h in self.hosts:
            h.stop()
        for r in self.receivers:
            r.kill()
        self._tmp.cleanup()

    def receiver(self, *extra):
        r = Receiver(os.path.join(self._tmp.name, "record-%d.jsonl" % len(self.receivers)),
                     *extra)
        self.receivers.append(r)
        return r.start()

    def host(self, *args):
        h = Host("--service", SERVICE_A, "--service", SERVICE_B, "--extensions", "--log", "off",
                 *args).start()
        self.hosts.append(h)
        return h

    def assert_all_signed(self, lines):
        bad = [l for l in lines if not l["valid"]]
        self.assertEqual(bad, [], "requests whose X-Twilio-Signature did not validate")

    def assert_in_feed_order(self, received, expected, max_duplicates):
        """`received`: one Service's records in arrival order. Their
        sequences never go back except to resend, they name exactly the
        expected events, and at most `max_duplicates` are resent."""
        seen = {}
        order = []
        duplicates = 0
        last = 0
        for line in received:
            p = line["params"]
            seq = int(p["X-Userstore-Sequence"])
            if seq in seen:
                duplicates += 1
                self.assertEqual(seen[seq], (p["EventType"], p["Identity"]))
                continue
            self.assertGreater(seq, last, "an event arrived out of feed order")
            last = seq
            seen[seq] = (p["EventType"], p["Identity"])
            order.append(seen[seq])
        self.assertLessEqual(duplicates, max_duplicates)
        self.assertEqual(order, expected)
        return duplicates


class PostWebhookTest(WebhookTestBase):

    def test_every_event_arrives_signed_in_order_across_a_receiver_kill(self):
        receiver = self.receiver()
        h = self.host("--post-webhook-url", receiver.url)
        w = Writer(h)
        w.batch("a", 15)
        # Kill the receiver while deliveries are under way, keep writing,
        # restart it, keep writing.
        receiver.kill()
        w.batch("b", 15)
        # Restart once the sender has met the dead receiver (its log says so).
        self.assertTrue(wait_until(lambda: "receiver failing" in h.log()), h.log())
        receiver.start()
        w.batch("c", 15)
        self.assertTrue(wait_until(lambda: len({
            (l["params"]["InstanceSid"], l["params"]["X-Userstore-Sequence"])
            for l in receiver.lines()}) >= w.count()),
            "not every event arrived:\n" + h.log())
        time.sleep(0.5)  # nothing more should come; a late extra would fail below
        lines = receiver.lines()
        self.assert_all_signed(lines)
        per_service = by_service(lines)
        self.assertEqual(set(per_service), {SERVICE_A, SERVICE_B})
        duplicates = 0
        for service in (SERVICE_A, SERVICE_B):
            duplicates += self.assert_in_feed_order(per_service[service], w.expected[service], 1)
            dates = [l["params"]["DateUpdated"] for l in per_service[service]
                     if l["params"]["EventType"] != "onUserRemoved"]
            self.assertEqual(dates, sorted(dates))
        # One request at most is in flight when the receiver dies.
        self.assertLessEqual(duplicates, 1)
        # Twilio's parameters: Source and ClientIdentity by origin.
        for line in lines:
            p = line["params"]
            self.assertEqual(p["AccountSid"], ACCOUNT_SID)
            self.assertTrue(p["UserSid"].startswith("US"))
            if p["EventType"] == "onUserRemoved":
                self.assertEqual((p["Source"], p["ClientIdentity"]), ("SDK", p["Identity"]))
            else:
                self.assertEqual(p["Source"], "API")
                self.assertNotIn("ClientIdentity", p)
        # The failures were retried (RetryCount > 0 after the kill) and logged.
        self.assertTrue(any(int(l["params"]["RetryCount"]) > 0 for l in lines), h.log())
        self.assertIn("receiver failing", h.log())
        self.assertEqual(h.stop(), 0, h.log())

    def test_filter(self):
        receiver = self.receiver()
        h = self.host("--post-webhook-url", receiver.url, "--webhook-filter", "onUserAdded")
        w = Writer(h)
        w.batch("f", 4)
        expected = {s: [e for e in w.expected[s] if e[0] == "onUserAdded"] for s in w.expected}
        total = sum(len(v) for v in expected.values())
        self.assertTrue(wait_until(lambda: len(receiver.lines()) >= total))
        h.stop()  # joins the delivery thread: nothing comes after this
        lines = receiver.lines()
        self.assert_all_signed(lines)
        for service, received in by_service(lines).items():
            self.assert_in_feed_order(received, expected[service], 0)


class DurablePositionTest(WebhookTestBase):

    def position(self, data, service):
        path = os.path.join(data + ".webhooks", service + ".position")
        with open(path, encoding="utf-8") as f:
            return dict(line.split(" ") for line in f.read().split("\n") if line)

    def test_host_restart_keeps_the_delivered_position(self):
        receiver = self.receiver()
        data = os.path.join(self._tmp.name, "store")
        h = self.host("--data-dir", data, "--no-sync", "--post-webhook-url", receiver.url)
        w = Writer(h)
        w.batch("a", 10)
        # Stop mid-run: deliveries may still be pending.
        self.assertEqual(h.stop(), 0, h.log())
        first_run = receiver.lines()
        before = {s: self.position(data, s) for s in (SERVICE_A, SERVICE_B)}
        for service in (SERVICE_A, SERVICE_B):
            delivered = int(before[service]["delivered_position"])
            # Saved at the stop: every event up to the position was answered.
            seqs = {int(l["params"]["X-Userstore-Sequence"]) for l in first_run
                    if l["params"]["InstanceSid"] == service}
            # Nothing beyond the saved position but the one in flight.
            self.assertTrue(seqs.issubset(set(range(1, delivered + 2))), (seqs, delivered))
            self.assertLessEqual(delivered, int(before[service]["feed_position"]))
            self.assertEqual(int(before[service]["lost_events"]), 0)
        h2 = self.host("--data-dir", data, "--no-sync", "--post-webhook-url", receiver.url)
        w2 = Writer(h2)
        w2.batch("b", 10)
        # Positions survive the reopen (the durable feed): the saved position
        # is taken up, every event of both runs arrives, in order, at most one
        # resent.
        self.assertNotIn("the feed restarted", h2.log())
        expected = {s: w.expected[s] + w2.expected[s] for s in w.expected}
        total = sum(len(v) for v in expected.values())
        self.assertTrue(wait_until(lambda: len({
            (l["params"]["InstanceSid"], l["params"]["X-Userstore-Sequence"])
            for l in receiver.lines()}) >= total), h2.log())
        self.assertEqual(h2.stop(), 0, h2.log())
        lines = receiver.lines()
        self.assert_all_signed(lines)
        for service, received in by_service(lines).items():
            self.assert_in_feed_order(received, expected[service], 1)


class PreWebhookTest(WebhookTestBase):

    def post(self, h, path, data, headers):
        return requests.post("%s/v2/Services/%s/Users%s" % (h.origin, SERVICE_A, path),
                             data=data, headers=headers, auth=AUTH)

    def test_client_writes_are_judged(self):
        receiver = self.receiver("--deny", "deny", "--slow", "slow", "--slow-seconds", "3")
        h = self.host("--pre-webhook-url", receiver.url, "--webhook-timeout", "1")
        r = self.post(h, "", {"Identity": "deny-1"}, CLIENT)
        self.assertEqual((r.status_code, r.json()["code"]), (403, 50056), r.text)
        self.assertEqual(requests.get("%s/v2/Services/%s/Users/deny-1" % (h.origin, SERVICE_A),
                                      auth=AUTH).status_code, 404)
        r = self.post(h, "", {"Identity": "kim", "FriendlyName": "Kim"}, CLIENT)
        self.assertEqual(r.status_code, 201, r.text)
        r = self.post(h, "/kim", {"FriendlyName": "deny me"}, CLIENT)
        self.assertEqual((r.status_code, r.json()["code"]), (403, 50056), r.text)
        r = self.post(h, "/kim", {"FriendlyName": "Kimberly"}, CLIENT)
        self.assertEqual((r.status_code, r.json()["friendly_name"]), (200, "Kimberly"))
        # REST (server-origin) writes never ask.
        self.assertEqual(self.post(h, "", {"Identity": "deny-rest"}, ENABLED).status_code, 201)
        self.assertEqual(self.post(h, "/deny-rest", {"FriendlyName": "deny"}, {}).status_code, 200)
        # No answer within --webhook-timeout: allowed (the default, Twilio's).
        r = self.post(h, "", {"Identity": "slow-1"}, CLIENT)
        self.assertEqual(r.status_code, 201, r.text)
        self.assertIn("no answer", h.log())
        lines = receiver.lines()
        self.assert_all_signed(lines)
        asked = [(l["params"]["EventType"], l["params"]["Identity"]) for l in lines]
        self.assertEqual(asked, [("onUserAdd", "deny-1"), ("onUserAdd", "kim"),
                                 ("onUserUpdate", "kim"), ("onUserUpdate", "kim"),
                                 ("onUserAdd", "slow-1")])
        self.assertNotIn("UserSid", lines[0]["params"])
        kim = requests.get("%s/v2/Services/%s/Users/kim" % (h.origin, SERVICE_A), auth=AUTH)
        self.assertEqual(lines[2]["params"]["UserSid"], kim.json()["sid"])
        self.assertEqual(lines[2]["params"]["FriendlyName"], "deny me")
        self.assertEqual(lines[2]["params"]["Source"], "SDK")

    def test_timeout_can_reject(self):
        receiver = self.receiver("--slow", "slow", "--slow-seconds", "3")
        h = self.host("--pre-webhook-url", receiver.url, "--webhook-timeout", "1",
                      "--pre-webhook-on-timeout", "reject")
        r = self.post(h, "", {"Identity": "slow-2"}, CLIENT)
        self.assertEqual((r.status_code, r.json()["code"]), (403, 50056), r.text)
        self.assertEqual(requests.get("%s/v2/Services/%s/Users/slow-2" % (h.origin, SERVICE_A),
                                      auth=AUTH).status_code, 404)
        # An unreachable receiver is no answer too.
        receiver.kill()
        r = self.post(h, "", {"Identity": "other"}, CLIENT)
        self.assertEqual((r.status_code, r.json()["code"]), (403, 50056), r.text)


if __name__ == "__main__":
    unittest.main()
