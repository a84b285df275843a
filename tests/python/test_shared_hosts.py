"""Two `userstore-http --postgres` hosts on one PostgreSQL database
(docs/scale-out.md, "Two hosts"; issue 16).

1. Twilio's python3-twilio suite (test_users.py: UsersTest, PagingTest,
   TwilioOriginTest) against two hosts, its requests alternating between
   them (host.SharedHosts: --read-consistency after-own-writes, and each
   write waits until the other host shows it);
2. across the two processes: a 16-way create race for one identity (8
   threads per host) gives exactly one 201 and 15 × 409/50201; an update on
   A is visible on B (the lag's median and p99 over 200 updates are
   printed, for both read consistencies; not asserted); a delete on B is a
   404 on A once the stream delivered it; a page token minted on A pages
   every user exactly once on B, while both hosts keep creating users; both
   hosts send post-event webhooks to one receiver, and each write arrives
   there once, from the host that made it.

Needs USERSTORE_PG_CONNINFO (tests/postgres/README.md): without it every
test is skipped, saying so. Each class makes its own database and drops it
(WITH (FORCE)) once its hosts have stopped. Run by ctest
(python_test_shared_hosts).
"""
import json
import os
import statistics
import tempfile
import threading
import time
import unittest
import urllib.parse

import requests

import host
import test_users
import test_webhooks
from host import (ACCOUNT_SID, AUTH_TOKEN, PAGING_SERVICE_SID, ROLE_SID, SERVICE_SID,
                  SharedHosts)


# ---- 1. the python3-twilio suite, alternating between two hosts -----------

class SharedUsersTest(test_users.UsersTest):
    HOSTS = SharedHosts
    LISTS_IN_CREATION_ORDER = False

    @classmethod
    def start_hosts(cls, *flags):
        # UsersTest's one host runs with --service SERVICE_SID --service
        # PAGING_SERVICE_SID --role ROLE_SID: the role in both Services. A
        # shared store refuses one role SID in two Services
        # (userstore_roles.sid is UNIQUE in the schema: 500/20500, where a
        # memory or durable Store accepts it), so here host 0 adds the role
        # to SERVICE_SID, the only Service whose tests use it, and host 1
        # creates PAGING_SERVICE_SID; both hosts serve both Services.
        check_flags = ("--service", SERVICE_SID, "--service", PAGING_SERVICE_SID,
                       "--role", ROLE_SID)
        host.check(flags == check_flags, flags)
        hosts = SharedHosts(host_flags=[("--service", SERVICE_SID, "--role", ROLE_SID),
                                        ("--service", PAGING_SERVICE_SID)]).start()
        cls.addClassCleanup(hosts.stop)
        return hosts


class SharedPagingTest(test_users.PagingTest):
    HOSTS = SharedHosts
    LISTS_IN_CREATION_ORDER = False


class SharedTwilioOriginTest(test_users.TwilioOriginTest):
    HOSTS = SharedHosts
    LISTS_IN_CREATION_ORDER = False


# ---- 2. what only two processes show ---------------------------------------

def percentile(values, fraction):
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]


class TwoHostsTestBase(unittest.TestCase):
    """Two hosts (A, B) with SERVICE_SID, driven with plain requests (no
    waiting: each test waits for what it checks itself)."""
    CONSISTENCY = "after-own-writes"

    @classmethod
    def setUpClass(cls):
        cls.hosts = SharedHosts("--service", SERVICE_SID, "--log", "off",
                                consistency=cls.CONSISTENCY, wait=False).start()
        cls.addClassCleanup(cls.hosts.stop)  # also when the setup fails below
        cls.a, cls.b = cls.hosts.hosts
        cls.local = threading.local()

    @classmethod
    def tearDownClass(cls):
        status = cls.hosts.stop()
        if status != 0:
            raise AssertionError("a host exited %r\n%s" % (status, cls.hosts.log()))

    def session(self):
        """This thread's requests session (closed when the hosts stop)."""
        s = getattr(self.local, "session", None)
        if s is None:
            s = requests.Session()
            s.auth = (ACCOUNT_SID, AUTH_TOKEN)
            s.trust_env = False
            self.local.session = s
            self.hosts.sessions.append(s)
        return s

    def users_url(self, h):
        return "%s/v2/Services/%s/Users" % (h.origin, SERVICE_SID)

    def create(self, h, identity, **form):
        form["Identity"] = identity
        return self.session().post(self.users_url(h), data=form, timeout=30)

    def fetch(self, h, key):
        return self.session().get("%s/%s" % (self.users_url(h), urllib.parse.quote(key, safe="")),
                                  timeout=30)

    def until(self, h, key, accept, timeout=10.0):
        """Polls a fetch of `key` on `h` until accept(response); returns the
        seconds it took. Fails after `timeout`."""
        start = time.monotonic()
        while True:
            got = self.fetch(h, key)
            if accept(got):
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                self.fail("%s: %s still %d %s after %.0f s" %
                          (h.origin, key, got.status_code, got.text[:200], timeout))

    def visible(self, h, sid, timeout=10.0):
        return self.until(h, sid, lambda r: r.status_code == 200, timeout)


class TwoHostsTest(TwoHostsTestBase):

    def test_create_race_across_hosts_has_one_winner(self):
        for round_ in range(5):
            identity = "race-%d" % round_
            barrier = threading.Barrier(16)
            results = [None] * 16

            def racer(i):
                target = self.a if i % 2 == 0 else self.b  # 8 threads per host
                with requests.Session() as s:  # a connection of its own, closed after
                    s.auth = (ACCOUNT_SID, AUTH_TOKEN)
                    s.trust_env = False
                    barrier.wait()
                    r = s.post(self.users_url(target), data={"Identity": identity},
                               timeout=30)
                results[i] = (r.status_code, r.json())

            threads = [threading.Thread(target=racer, args=(i,)) for i in range(16)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            statuses = sorted(status for status, _ in results)
            self.assertEqual(statuses, [201] + [409] * 15, results)
            for status, body in results:
                if status == 409:
                    self.assertEqual(body["code"], 50201, body)
                    self.assertIn("User already exists", body["message"])
            winner = [body for status, body in results if status == 201][0]
            for h in (self.a, self.b):
                self.visible(h, identity)
                self.assertEqual(self.fetch(h, identity).json()["sid"], winner["sid"])

    def test_delete_on_b_is_404_on_a_after_the_lag(self):
        lags = []
        for i in range(20):
            created = self.create(self.a, "doomed-%d" % i)
            self.assertEqual(created.status_code, 201, created.text)
            sid = created.json()["sid"]
            self.visible(self.b, sid)
            deleted = self.session().delete("%s/%s" % (self.users_url(self.b), sid), timeout=30)
            self.assertEqual(deleted.status_code, 204, deleted.text)
            lags.append(self.until(self.a, sid, lambda r: r.status_code == 404))
            gone = self.fetch(self.a, sid)
            self.assertEqual(gone.status_code, 404)
            self.assertEqual(gone.json()["code"], 20404)
            # The identity is free on A too.
            again = self.create(self.a, "doomed-%d" % i)
            self.assertEqual(again.status_code, 201, again.text)
            self.assertNotEqual(again.json()["sid"], sid)
        print("\n[shared hosts, %s] delete on B until 404 on A: median %.2f ms, max %.2f ms "
              "(20 deletes)" % (self.CONSISTENCY, statistics.median(lags) * 1e3,
                                max(lags) * 1e3), flush=True)

    def test_page_token_from_a_pages_everything_once_on_b(self):
        service_users = []
        for i in range(150):
            h = self.a if i % 2 == 0 else self.b
            r = self.create(h, "page-%03d" % i)
            self.assertEqual(r.status_code, 201, r.text)
            service_users.append(r.json()["sid"])
        for h in (self.a, self.b):  # both replicas hold every user
            self.visible(h, service_users[-1])
            self.visible(h, service_users[-2])
        # Both keep creating while B walks from A's token.
        stop = threading.Event()
        extra = []

        def writer(h, tag):
            n = 0
            while not stop.is_set() and n < 200:
                r = self.create(h, "during-%s-%03d" % (tag, n))
                if r.status_code == 201:
                    extra.append(r.json()["sid"])
                n += 1

        writers = [threading.Thread(target=writer, args=(h, tag))
                   for h, tag in ((self.a, "a"), (self.b, "b"))]
        first = self.session().get(self.users_url(self.a), params={"PageSize": 7},
                                   timeout=30).json()
        for t in writers:
            t.start()
        seen = [u["sid"] for u in first["users"]]
        next_url = first["meta"]["next_page_url"]
        pages = 1
        try:
            while next_url:
                # The url names the shared origin: ask B.
                self.assertTrue(next_url.startswith(self.hosts.origin + "/"), next_url)
                r = self.session().get(self.b.origin + next_url[len(self.hosts.origin):],
                                       timeout=30)
                self.assertEqual(r.status_code, 200, r.text)
                body = r.json()
                seen.extend(u["sid"] for u in body["users"])
                next_url = body["meta"]["next_page_url"]
                pages += 1
        finally:
            stop.set()
            for t in writers:
                t.join(60)
        self.assertEqual(len(seen), len(set(seen)), "a user was listed twice")
        missing = set(service_users) - set(seen)
        self.assertEqual(missing, set(), "pre-existing users missed by the walk")
        print("\n[shared hosts] walk from A's token on B: %d pages, %d users (%d created "
              "meanwhile, %d of them seen)" % (pages, len(seen), len(extra),
                                               len(set(seen) & set(extra))), flush=True)
        # Once both have caught up, A and B list the same users in the same order.
        deadline = time.monotonic() + 10
        while True:
            on_a, on_b = self.walk(self.a), self.walk(self.b)
            if (on_a == on_b and set(extra) <= set(on_a)) or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(on_a, on_b)
        self.assertTrue(set(extra) <= set(on_a), "a user created during the walk is missing")
        self.assertTrue(set(seen) <= set(on_a), "the walk listed a phantom user")

    def walk(self, h):
        sids = []
        url = self.users_url(h) + "?PageSize=100"
        while url:
            body = self.session().get(url, timeout=30).json()
            sids.extend(u["sid"] for u in body["users"])
            nxt = body["meta"]["next_page_url"]
            url = None if nxt is None else h.origin + nxt[len(self.hosts.origin):]
        return sids


class SharedWebhooksTest(unittest.TestCase):
    """Both hosts send post-event webhooks to one receiver
    (webhook_receiver.py, as test_webhooks.py): each write reaches the
    receiver once, from the host that made it; the other host applies it
    from its stream (WriteOrigin::kReplica) and sends nothing."""

    @classmethod
    def setUpClass(cls):
        fd, cls.record = tempfile.mkstemp(prefix="userstore-shared-hooks-", suffix=".ndjson")
        os.close(fd)
        cls.addClassCleanup(os.unlink, cls.record)
        cls.receiver = test_webhooks.Receiver(cls.record).start()
        cls.addClassCleanup(cls.receiver.kill)
        cls.hosts = SharedHosts("--service", SERVICE_SID, "--log", "off",
                                "--post-webhook-url", cls.receiver.url, wait=False).start()
        cls.addClassCleanup(cls.hosts.stop)

    @classmethod
    def tearDownClass(cls):
        status = cls.hosts.stop()
        if status != 0:
            raise AssertionError("a host exited %r\n%s" % (status, cls.hosts.log()))

    def received(self):
        with open(self.record, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def test_each_write_is_sent_once_by_its_host(self):
        a, b = self.hosts.hosts
        expected = []
        with requests.Session() as s:
            s.auth = (ACCOUNT_SID, AUTH_TOKEN)
            s.trust_env = False
            enabled = {"X-Twilio-Webhook-Enabled": "true"}
            for i in range(10):
                writer, other = (a, b) if i % 2 == 0 else (b, a)
                users = "%s/v2/Services/%s/Users" % (writer.origin, SERVICE_SID)
                r = s.post(users, data={"Identity": "hook-%d" % i}, headers=enabled, timeout=30)
                self.assertEqual(r.status_code, 201, r.text)
                sid = r.json()["sid"]
                expected.append(("onUserAdded", "hook-%d" % i))
                # The update and the delete go to the other host, once it has the user.
                other_user = "%s/v2/Services/%s/Users/%s" % (other.origin, SERVICE_SID, sid)
                deadline = time.monotonic() + 10
                while s.get(other_user, timeout=30).status_code != 200:
                    self.assertLess(time.monotonic(), deadline, "not replicated")
                r = s.post(other_user, data={"FriendlyName": "n%d" % i}, headers=enabled,
                           timeout=30)
                self.assertEqual(r.status_code, 200, r.text)
                expected.append(("onUserUpdated", "hook-%d" % i))
                # A write without the header sends nothing, on either host.
                r = s.post(other_user, data={"FriendlyName": "quiet"}, timeout=30)
                self.assertEqual(r.status_code, 200, r.text)
        deadline = time.monotonic() + 15
        while len(self.received()) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # a duplicate from the other host would come by now
        got = self.received()
        self.assertTrue(all(r["valid"] for r in got), got)
        self.assertEqual(sorted((r["params"]["EventType"], r["params"]["Identity"]) for r in got),
                         sorted(expected))


class UpdateLagTestBase(TwoHostsTestBase):
    UPDATES = 200

    def test_update_on_a_is_visible_on_b(self):
        created = self.create(self.a, "lagging")
        self.assertEqual(created.status_code, 201, created.text)
        sid = created.json()["sid"]
        self.visible(self.b, sid)
        url_a = "%s/%s" % (self.users_url(self.a), sid)
        after_answer = []
        after_request = []
        for i in range(self.UPDATES):
            name = "v%d" % i
            sent = time.monotonic()
            r = self.session().post(url_a, data={"FriendlyName": name}, timeout=30)
            answered = time.monotonic()
            self.assertEqual(r.status_code, 200, r.text)
            self.until(self.b, sid, lambda g: g.status_code == 200 and
                       g.json()["friendly_name"] == name)
            seen = time.monotonic()
            after_answer.append(seen - answered)
            after_request.append(seen - sent)
        self.assertEqual(self.fetch(self.b, sid).json()["friendly_name"],
                         "v%d" % (self.UPDATES - 1))
        ms = lambda v: v * 1e3  # noqa: E731
        print("\n[shared hosts, --read-consistency %s] update on A visible on B, %d updates: "
              "after A's answer median %.2f ms, p99 %.2f ms, max %.2f ms; after the request "
              "was sent median %.2f ms, p99 %.2f ms" %
              (self.CONSISTENCY, self.UPDATES, ms(statistics.median(after_answer)),
               ms(percentile(after_answer, 0.99)), ms(max(after_answer)),
               ms(statistics.median(after_request)), ms(percentile(after_request, 0.99))),
              flush=True)


class UpdateLagAfterOwnWritesTest(UpdateLagTestBase):
    CONSISTENCY = "after-own-writes"


class UpdateLagLocalTest(UpdateLagTestBase):
    CONSISTENCY = "local"


del UpdateLagTestBase  # not a test of its own


if __name__ == "__main__":
    unittest.main()
