"""The example host with a durable store (userstore-http --data-dir): users,
Services, roles and page tokens survive a restart of the host; one host per
directory; the store's account is kept; --sync / --no-sync.

Each test uses its own temporary directory. Run by ctest
(python_test_durable_host); needs USERSTORE_HTTP_SERVER.
"""
import json
import os
import re
import subprocess
import tempfile
import unittest
import urllib.parse

import requests
from twilio.base.exceptions import TwilioRestException

import host
from host import (ACCOUNT_SID, AUTH_TOKEN, ROLE_SID, SERVICE_SID, Host,
                  RewritingHttpClient)

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
TWILIO_BASE = "https://chat.twilio.com/v2"


def opened_lines(log):
    """(directory, users) of each "opened DIR: N users in S s" log line."""
    return [(m.group(1), int(m.group(2))) for m in re.finditer(
        r"^userstore-http: opened (.+): (\d+) users in \d+\.\d\d s", log, re.M)]


def fields(user):
    """What a client sees of a user, minus presence (runtime state)."""
    return {k: getattr(user, k) for k in (
        "sid", "account_sid", "service_sid", "role_sid", "identity", "attributes",
        "friendly_name", "joined_channels_count", "date_created", "date_updated",
        "links", "url")}


class DurableHostTest(unittest.TestCase):

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="userstore-http-durable-")
        self.data = os.path.join(self._tmp.name, "store")
        self.hosts = []

    def tearDown(self):
        for h in self.hosts:
            h.stop()
        self._tmp.cleanup()

    def start(self, *args):
        h = Host("--data-dir", self.data, *args).start()
        self.hosts.append(h)
        return h

    def stop(self, h):
        self.assertEqual(h.stop(), 0, h.log())

    def run_host(self, *args):
        env = dict(os.environ, TWILIO_ACCOUNT_SID=ACCOUNT_SID, TWILIO_AUTH_TOKEN=AUTH_TOKEN)
        return subprocess.run([host.server_binary(), "--port", "0"] + list(args),
                              env=env, capture_output=True, text=True, timeout=60)

    def test_users_and_page_tokens_survive_a_restart(self):
        # Twilio's URLs in responses (--base-url) and a client that sends
        # them to whichever host runs now: a page fetched before the restart
        # has a next_page_url that still works after it.
        args = ["--service", SERVICE_SID, "--role", ROLE_SID, "--base-url", TWILIO_BASE]
        first = self.start(*args)
        http = RewritingHttpClient(first.origin)
        client = host.Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
        users = client.chat.v2.services(SERVICE_SID).users
        alice = users.create(identity="alice", role_sid=ROLE_SID,
                             attributes='{"team":"red"}', friendly_name="Alice")
        odd = users.create(identity="a b+c@d/é#")
        created = [users.create(identity="u%d" % i) for i in range(5)]
        bob = users(created[0].sid).update(friendly_name="Bob")
        page = users.page(page_size=4)  # alice, odd, u0, u1
        self.assertEqual([u.identity for u in page], ["alice", "a b+c@d/é#", "u0", "u1"])
        self.assertIsNotNone(page.next_page_url)
        self.assertTrue(users(created[2].sid).delete())  # u2: after the page
        http.session.close()
        self.stop(first)
        self.assertEqual(opened_lines(first.log()), [(self.data, 0)])

        second = self.start(*args)
        http.origin = second.origin
        self.assertEqual(opened_lines(second.log()), [(self.data, 6)])
        self.assertEqual(fields(users("alice").fetch()), fields(alice))
        self.assertEqual(fields(users(alice.sid).fetch()), fields(alice))
        self.assertEqual(fields(users(urllib.parse.quote(odd.identity, safe="")).fetch()),
                         fields(odd))
        self.assertEqual(users("u0").fetch().friendly_name, "Bob")
        self.assertEqual(fields(users("u0").fetch()), fields(bob))
        with self.assertRaises(TwilioRestException) as raised:
            users("u2").fetch()
        self.assertEqual((raised.exception.status, raised.exception.code), (404, 20404))
        # The token minted by the first host is accepted by the second.
        rest = page.next_page()
        self.assertEqual([u.identity for u in rest], ["u3", "u4"])
        self.assertEqual([u.identity for u in users.list(page_size=2)],
                         ["alice", "a b+c@d/é#", "u0", "u1", "u3", "u4"])
        # The identity is still taken; a new user comes after the old ones.
        with self.assertRaises(TwilioRestException) as raised:
            users.create(identity="alice")
        self.assertEqual((raised.exception.status, raised.exception.code), (409, 50201))
        users.create(identity="u5")
        self.assertEqual(users.list()[-1].identity, "u5")
        http.session.close()
        self.stop(second)

    def test_one_host_per_directory_and_the_account_is_the_stores(self):
        first = self.start("--service", SERVICE_SID)
        out = self.run_host("--data-dir", self.data)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("userstore-http: --data-dir %s: " % self.data, out.stderr)
        self.assertIn("already open", out.stderr)
        self.assertEqual(out.stdout, "")
        with requests.Session() as s:  # the first host is unharmed
            url = "%s/v2/Services/%s/Users" % (first.origin, SERVICE_SID)
            self.assertEqual(s.post(url, data={"Identity": "x"}, auth=AUTH).status_code, 201)
        self.stop(first)
        out = self.run_host("--data-dir", self.data, "--account-sid", "AC" + "9" * 32)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("--data-dir %s: " % self.data, out.stderr)
        self.assertIn("AC" + "9" * 32, out.stderr)

    def test_no_sync_and_services_created_on_first_use_persist(self):
        service = "IS" + "7" * 32
        first = self.start("--no-sync")
        self.assertIn("(--no-sync)", first.log())
        with requests.Session() as s:
            url = "%s/v2/Services/%s/Users" % (first.origin, service)
            created = s.post(url, data={"Identity": "eve"}, auth=AUTH)
            self.assertEqual(created.status_code, 201, created.text)
        self.stop(first)
        # Now with --service for another Service: the auto-created one is
        # still served (it is in the store), the new one exists too.
        second = self.start("--sync", "--service", SERVICE_SID)
        self.assertNotIn("(--no-sync)", second.log())
        with requests.Session() as s:
            url = "%s/v2/Services/%s/Users/eve" % (second.origin, service)
            fetched = s.get(url, auth=AUTH)
            self.assertEqual(fetched.status_code, 200, fetched.text)
            self.assertEqual(fetched.json()["sid"], created.json()["sid"])
            self.assertEqual(fetched.json()["date_created"], created.json()["date_created"])
            other = "%s/v2/Services/%s/Users" % (second.origin, SERVICE_SID)
            self.assertEqual(json.loads(s.get(other, auth=AUTH).text)["users"], [])
        self.stop(second)

    def test_bad_data_dir_command_lines_exit_2(self):
        not_a_store = os.path.join(self._tmp.name, "notes")
        os.mkdir(not_a_store)
        with open(os.path.join(not_a_store, "todo.txt"), "w") as f:
            f.write("not a store\n")
        cases = [
            (["--sync"], "--sync / --no-sync need --data-dir"),
            (["--no-sync"], "--sync / --no-sync need --data-dir"),
            (["--data-dir", self.data, "--sync=1"], "--sync takes no value"),
            (["--data-dir="], "--data-dir needs a directory"),
            (["--data-dir", not_a_store], "not a store directory"),
            (["--data-dir", self.data, "--service", SERVICE_SID, "--service", SERVICE_SID],
             "--service %s: given twice" % SERVICE_SID),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                out = self.run_host(*args)
                self.assertEqual(out.returncode, 2, out.stderr)
                self.assertIn(message, out.stderr)
                self.assertEqual(out.stdout, "")
        self.assertFalse(os.path.exists(self.data))


if __name__ == "__main__":
    unittest.main()
