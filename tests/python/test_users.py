"""Twilio's own Python helper library (python3-twilio 7.x) against
userstore-http: every User operation, paging, and every error, through
twilio.rest.Client unchanged (only the Chat domain's base URL points at the
local host, or a custom http_client rewrites Twilio's origin to it).

Run by ctest (python_test_users); needs USERSTORE_HTTP_SERVER.
test_shared_hosts.py runs these same classes against two `userstore-http
--postgres` hosts, alternating requests (HOSTS = SharedHosts).
"""
import datetime
import json
import math
import time
import unittest
import urllib.parse

from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException

import host
from host import (ACCOUNT_SID, PAGING_SERVICE_SID, ROLE_SID, SERVICE_SID,
                  Host, RecordingHttpClient, RewritingHttpClient)

UTC = datetime.timezone.utc


def quote_key(key):
    """How a caller must pass an identity to users(...): twilio-python puts
    the value into the path as it is (requests then only escapes bytes that
    may not appear in a URL), so '/', '#', '?' and '%' must be
    percent-encoded first. quote(safe='') encodes everything but
    [A-Za-z0-9_.-~]; the host decodes each path segment exactly once."""
    return urllib.parse.quote(key, safe="")


class HostsTestCase(unittest.TestCase):
    """What the classes below run against: HOSTS(*flags).start(), one Host
    here. A subclass may set HOSTS to host.SharedHosts (same interface:
    origin, client(), log(), stop()), and then LISTS_IN_CREATION_ORDER to
    False: hosts sharing a database mint creation sequences from blocks
    each reserves (docs/scale-out.md), so users created on two hosts in turn
    are listed block by block, not in the order they were created."""
    HOSTS = Host
    LISTS_IN_CREATION_ORDER = True

    @classmethod
    def start_hosts(cls, *flags):
        """Started hosts, also stopped (again: stop() may run twice) if the
        class's setup fails after this."""
        hosts = cls.HOSTS(*flags).start()
        cls.addClassCleanup(hosts.stop)
        return hosts

    @classmethod
    def listing_order(cls, users, created):
        """The order a list of `users` (a users list resource holding
        exactly the SIDs `created`, in creation order) follows: `created`,
        or where LISTS_IN_CREATION_ORDER is False the order of a full walk,
        checked to hold each of them once."""
        if cls.LISTS_IN_CREATION_ORDER:
            return list(created)
        order = [u.sid for u in users.stream(page_size=100)]
        host.check(sorted(order) == sorted(created), "a walk does not list the users created")
        return order


class UsersTest(HostsTestCase):
    """One host with two Services (SERVICE_SID for single-user tests,
    PAGING_SERVICE_SID for the list tests) and an extra role."""

    @classmethod
    def setUpClass(cls):
        cls.host = cls.start_hosts("--service", SERVICE_SID, "--service", PAGING_SERVICE_SID,
                                   "--role", ROLE_SID)
        cls.client = cls.host.client()
        cls.users = cls.client.chat.v2.services(SERVICE_SID).users
        cls.base_url = cls.host.origin + "/v2"

    @classmethod
    def tearDownClass(cls):
        status = cls.host.stop()
        if status != 0:
            raise AssertionError("userstore-http exited %r\n%s" % (status, cls.host.log()))

    def assertUserShape(self, user, service_sid=SERVICE_SID):
        """What every user must look like once the client has parsed it."""
        self.assertRegex(user.sid, r"^US[0-9a-f]{32}$")
        self.assertEqual(user.account_sid, ACCOUNT_SID)
        self.assertEqual(user.service_sid, service_sid)
        self.assertIsInstance(user.date_created, datetime.datetime)
        self.assertIsInstance(user.date_updated, datetime.datetime)
        self.assertEqual(user.date_created.tzinfo.utcoffset(None), datetime.timedelta(0))
        self.assertIsInstance(user.joined_channels_count, int)
        url = "%s/Services/%s/Users/%s" % (self.base_url, service_sid, user.sid)
        self.assertEqual(user.url, url)
        self.assertEqual(user.links, {"user_channels": url + "/Channels",
                                      "user_bindings": url + "/Bindings"})

    def assertRestError(self, raised, status, code, message_part=None):
        error = raised.exception
        self.assertIsInstance(error, TwilioRestException)
        self.assertEqual(error.status, status, error.msg)
        self.assertEqual(error.code, code, error.msg)
        if message_part is not None:
            self.assertIn(message_part, error.msg)

    # ---- create ---------------------------------------------------------

    def test_create_with_every_parameter(self):
        before = datetime.datetime.now(UTC).replace(microsecond=0)
        attributes = '{"test": "test", "n": [1, 2.5, null], "u": "\\u00e9"}'
        user = self.users.create(identity="every-param", role_sid=ROLE_SID,
                                 attributes=attributes, friendly_name="Every Param",
                                 x_twilio_webhook_enabled="true")
        after = datetime.datetime.now(UTC)
        self.assertUserShape(user)
        self.assertEqual(user.identity, "every-param")
        self.assertEqual(user.role_sid, ROLE_SID)
        self.assertEqual(user.attributes, attributes)  # byte-for-byte
        self.assertEqual(user.friendly_name, "Every Param")
        self.assertIsNone(user.is_online)
        self.assertIsNone(user.is_notifiable)
        self.assertEqual(user.joined_channels_count, 0)
        self.assertEqual(user.date_created, user.date_updated)
        self.assertLessEqual(before, user.date_created)
        self.assertLessEqual(user.date_created, after)

    def test_create_with_identity_only_takes_the_defaults(self):
        service = self.client.chat.v2.services(SERVICE_SID).fetch()
        user = self.users.create(identity="identity-only")
        self.assertUserShape(user)
        self.assertEqual(user.role_sid, service.default_service_role_sid)
        self.assertEqual(user.attributes, "{}")
        self.assertIsNone(user.friendly_name)

    # ---- fetch ------------------------------------------------------------

    def test_fetch_by_sid_and_by_identity(self):
        created = self.users.create(identity="fetch-me", friendly_name="F")
        by_sid = self.users(created.sid).fetch()
        by_identity = self.users("fetch-me").fetch()
        for user in (by_sid, by_identity):
            self.assertUserShape(user)
            self.assertEqual(user.sid, created.sid)
            self.assertEqual(user.identity, "fetch-me")
            self.assertEqual(user.friendly_name, "F")
            self.assertEqual(user.date_created, created.date_created)
            # url and links are built from the SID even when fetched by identity
            self.assertEqual(user.url, created.url)
        # A SID is matched with its hex digits in either case.
        self.assertEqual(self.users(created.sid[:2] + created.sid[2:].upper()).fetch().sid,
                         created.sid)
        # The instance's own fetch() re-reads through its SID.
        self.assertEqual(by_identity.fetch().sid, created.sid)

    def test_identities_with_reserved_and_unicode_characters(self):
        # Characters Twilio's page advises against, spaces and non-ASCII text
        # all round-trip when the caller percent-encodes the key.
        identities = ["alice+bob", "jing@example.com", "first last", "team/alice",
                      "c#sharp", "what?", "100%", "a&b=c", "zoë-日本-🎉",
                      " lead and trail ", "semi;colon,comma", "x+y@z w/v#u?t%s"]
        created = {}
        for identity in identities:
            user = self.users.create(identity=identity)
            self.assertEqual(user.identity, identity)
            created[identity] = user.sid
        for identity in identities:
            with self.subTest(identity=identity):
                user = self.users(quote_key(identity)).fetch()
                self.assertEqual(user.identity, identity)
                self.assertEqual(user.sid, created[identity])
                updated = self.users(quote_key(identity)).update(friendly_name=identity)
                self.assertEqual(updated.friendly_name, identity)

    def test_identities_the_client_can_pass_unencoded(self):
        # twilio-python does not encode path parameters; requests escapes
        # spaces and non-ASCII bytes itself, and '+' and '@' are legal in a
        # path (a '+' in a path is a plus, not a space).
        for identity in ["plain+plus", "someone@example.org", "two words", "zoë 日本"]:
            with self.subTest(identity=identity):
                sid = self.users.create(identity=identity).sid
                self.assertEqual(self.users(identity).fetch().sid, sid)

    def test_unencoded_slash_is_another_path(self):
        # Users/team/bob is not Users/team%2Fbob: the path is split before it
        # is decoded (behaviour.md §6), so an unencoded '/' reaches no user.
        self.users.create(identity="team/bob")
        with self.assertRaises(TwilioRestException) as raised:
            self.users("team/bob").fetch()
        self.assertRestError(raised, 404, 20404)
        self.assertEqual(self.users(quote_key("team/bob")).fetch().identity, "team/bob")

    def test_identity_is_case_sensitive(self):
        lower = self.users.create(identity="casey").sid
        upper = self.users.create(identity="Casey").sid
        self.assertNotEqual(lower, upper)
        self.assertEqual(self.users("Casey").fetch().sid, upper)

    # ---- update -----------------------------------------------------------

    def test_update(self):
        user = self.users.create(identity="update-me", attributes='{"v":1}',
                                 friendly_name="Before")
        time.sleep(1.1)  # dates have whole seconds
        updated = self.users(user.sid).update(role_sid=ROLE_SID, attributes='{"v":2}',
                                              friendly_name="After",
                                              x_twilio_webhook_enabled="false")
        self.assertUserShape(updated)
        self.assertEqual(updated.sid, user.sid)
        self.assertEqual(updated.identity, "update-me")
        self.assertEqual(updated.role_sid, ROLE_SID)
        self.assertEqual(updated.attributes, '{"v":2}')
        self.assertEqual(updated.friendly_name, "After")
        self.assertEqual(updated.date_created, user.date_created)
        self.assertGreater(updated.date_updated, user.date_updated)

        # One field only: the others stay.
        renamed = self.users("update-me").update(friendly_name="Renamed")
        self.assertEqual(renamed.attributes, '{"v":2}')
        self.assertEqual(renamed.role_sid, ROLE_SID)
        # An empty FriendlyName clears it to null.
        self.assertIsNone(self.users("update-me").update(friendly_name="").friendly_name)
        self.assertIsNone(self.users(user.sid).fetch().friendly_name)
        # The instance's update() goes through its SID.
        self.assertEqual(renamed.update(attributes="{}").attributes, "{}")

    # ---- delete -----------------------------------------------------------

    def test_delete(self):
        user = self.users.create(identity="delete-me")
        self.assertTrue(self.users(user.sid).delete())
        with self.assertRaises(TwilioRestException) as raised:
            self.users(user.sid).fetch()
        self.assertRestError(raised, 404, 20404,
                             "/Services/%s/Users/%s was not found" % (SERVICE_SID, user.sid))
        # The identity is free again; the SID is new.
        again = self.users.create(identity="delete-me")
        self.assertNotEqual(again.sid, user.sid)
        self.assertTrue(self.users("delete-me").delete())  # by identity
        with self.assertRaises(TwilioRestException) as raised:
            self.users("delete-me").delete()
        self.assertRestError(raised, 404, 20404)

    # ---- errors -------------------------------------------------------------

    def assertCreateFails(self, status, code, **params):
        with self.assertRaises(TwilioRestException) as raised:
            self.users.create(**params)
        self.assertRestError(raised, status, code)
        self.assertEqual(raised.exception.method, "POST")
        return raised.exception

    def test_create_errors(self):
        self.users.create(identity="taken")
        error = self.assertCreateFails(409, 50201, identity="taken")
        self.assertIn("User already exists", error.msg)
        error = self.assertCreateFails(400, 20001, identity=values.unset)
        self.assertIn("Missing required parameter Identity in the post body", error.msg)
        self.assertCreateFails(400, 50204, identity="")
        self.assertCreateFails(400, 50207, identity="x" * 257)
        self.assertCreateFails(400, 50206, identity="US" + "0" * 32)
        self.assertCreateFails(400, 50003, identity="long-name", friendly_name="n" * 257)
        self.assertCreateFails(400, 50303, identity="big-attrs",
                               attributes='{"a":"%s"}' % ("x" * 16380))
        self.assertCreateFails(400, 50304, identity="bad-attrs", attributes="{nope")
        self.assertCreateFails(400, 50304, identity="array-attrs", attributes="[1]")
        self.assertCreateFails(400, 20001, identity="bad-role", role_sid="RL123")
        self.assertCreateFails(400, 50100, identity="unknown-role", role_sid="RL" + "9" * 32)
        channel_role = self.client.chat.v2.services(SERVICE_SID).fetch().default_channel_role_sid
        self.assertCreateFails(400, 50105, identity="channel-role", role_sid=channel_role)
        self.assertCreateFails(400, 20001, identity="bad-header",
                               x_twilio_webhook_enabled="yes")
        # Exactly at the limits is accepted.
        self.users.create(identity="y" * 256, friendly_name="n" * 256,
                          attributes='{"a":"%s"}' % ("x" * 16376))
        # Nothing above created a user.
        for identity in ["long-name", "big-attrs", "bad-attrs", "array-attrs",
                         "bad-role", "unknown-role", "channel-role", "bad-header"]:
            with self.assertRaises(TwilioRestException) as raised:
                self.users(identity).fetch()
            self.assertRestError(raised, 404, 20404)

    def test_update_errors(self):
        user = self.users.create(identity="update-errors")
        with self.assertRaises(TwilioRestException) as raised:
            self.users(user.sid).update()
        self.assertRestError(raised, 400, 20161)
        with self.assertRaises(TwilioRestException) as raised:
            self.users(user.sid).update(attributes="not json")
        self.assertRestError(raised, 400, 50304)
        with self.assertRaises(TwilioRestException) as raised:
            self.users("nobody").update(friendly_name="x")
        self.assertRestError(raised, 404, 20404,
                             "/Services/%s/Users/nobody was not found" % SERVICE_SID)
        self.assertEqual(self.users(user.sid).fetch().attributes, "{}")  # unchanged

    def test_fetch_errors(self):
        with self.assertRaises(TwilioRestException) as raised:
            self.users("nobody").fetch()
        self.assertRestError(raised, 404, 20404,
                             "The requested resource /Services/%s/Users/nobody was not found"
                             % SERVICE_SID)
        self.assertEqual(raised.exception.method, "GET")
        # A Service that does not exist (the host runs with --service).
        unknown = "IS" + "e" * 32
        with self.assertRaises(TwilioRestException) as raised:
            self.client.chat.v2.services(unknown).users("someone").fetch()
        self.assertRestError(raised, 404, 20404)
        with self.assertRaises(TwilioRestException) as raised:
            self.client.chat.v2.services(unknown).users.create(identity="someone")
        self.assertRestError(raised, 404, 20404)

    def test_wrong_credentials(self):
        for account, token in [(ACCOUNT_SID, "wrong-token"),
                               ("AC" + "f" * 32, host.AUTH_TOKEN)]:
            client = self.host.client(account_sid=account, auth_token=token)
            with self.assertRaises(TwilioRestException) as raised:
                client.chat.v2.services(SERVICE_SID).users("anyone").fetch()
            self.assertRestError(raised, 401, 20003, "Authenticate")
            with self.assertRaises(TwilioRestException) as raised:
                client.chat.v2.services(SERVICE_SID).users.create(identity="intruder")
            self.assertRestError(raised, 401, 20003)
        with self.assertRaises(TwilioRestException):
            self.users("intruder").fetch()

    def test_list_errors(self):
        # twilio-python 7.x raises a plain TwilioException (with the response)
        # when a page request fails.
        paging = self.client.chat.v2.services(PAGING_SERVICE_SID).users
        for kwargs in [{"page_size": 0}, {"page_token": "not-a-token"},
                       {"page_number": 3}]:
            with self.subTest(**kwargs):
                with self.assertRaises(TwilioException) as raised:
                    paging.page(**kwargs)
                response = raised.exception.args[1]
                self.assertEqual(response.status_code, 400)
                body = json.loads(response.text)
                self.assertEqual((body["status"], body["code"]), (400, 20001))


class PagingTest(HostsTestCase):
    """users.list / users.stream / pages over 260 users, following the
    next_page_url the host returns."""

    COUNT = 260

    @classmethod
    def setUpClass(cls):
        cls.host = cls.start_hosts("--service", PAGING_SERVICE_SID)
        cls.recorder = RecordingHttpClient()
        cls.client = cls.host.client(http_client=cls.recorder)
        cls.users = cls.client.chat.v2.services(PAGING_SERVICE_SID).users
        cls.created = [cls.users.create(identity="user-%03d" % i).sid
                       for i in range(cls.COUNT)]
        cls.order = cls.listing_order(cls.users, cls.created)  # the list's order

    @classmethod
    def tearDownClass(cls):
        status = cls.host.stop()
        if status != 0:
            raise AssertionError("userstore-http exited %r\n%s" % (status, cls.host.log()))

    def test_list_limit_250_page_size_7(self):
        self.recorder.requests.clear()
        users = self.users.list(limit=250, page_size=7)
        self.assertEqual([u.sid for u in users], self.order[:250])  # creation order
        for user in users:
            self.assertRegex(user.sid, r"^US[0-9a-f]{32}$")
            self.assertIsInstance(user.date_created, datetime.datetime)
            self.assertIsNone(user.is_online)  # always null in lists
            self.assertIsNone(user.is_notifiable)
            self.assertEqual(user.url, "%s/v2/Services/%s/Users/%s"
                             % (self.host.origin, PAGING_SERVICE_SID, user.sid))
        requests = self.recorder.requests
        self.assertEqual(len(requests), math.ceil(250 / 7))  # 36 pages
        first_method, first_url, first_params = requests[0]
        self.assertEqual(first_url, "%s/v2/Services/%s/Users"
                         % (self.host.origin, PAGING_SERVICE_SID))
        self.assertEqual(first_params, {"PageSize": 7})
        for page, (method, url, params) in enumerate(requests[1:], start=1):
            # Every next page was requested at the next_page_url the host
            # returned: absolute, back at this host, with PageSize, Page and
            # an opaque PageToken.
            parsed = urllib.parse.urlsplit(url)
            query = urllib.parse.parse_qs(parsed.query)
            self.assertEqual(method, "GET")
            self.assertEqual("%s://%s" % (parsed.scheme, parsed.netloc), self.host.origin)
            self.assertEqual(query["PageSize"], ["7"])
            self.assertEqual(query["Page"], [str(page)])
            self.assertRegex(query["PageToken"][0], r"^[A-Za-z0-9_-]+$")
            self.assertEqual(params, {})

    def test_stream_everything_with_the_default_page_size(self):
        self.recorder.requests.clear()
        sids = [user.sid for user in self.users.stream()]
        self.assertEqual(sids, self.order)
        self.assertEqual(len(self.recorder.requests), math.ceil(self.COUNT / 50))

    def test_stream_with_limit_stops_early(self):
        self.recorder.requests.clear()
        sids = [user.sid for user in self.users.stream(limit=30, page_size=12)]
        self.assertEqual(sids, self.order[:30])
        self.assertEqual(len(self.recorder.requests), 3)

    def test_page_navigation(self):
        first = self.users.page(page_size=100)
        self.assertIsNone(first.previous_page_url)
        self.assertTrue(first.next_page_url.startswith(self.host.origin + "/v2/"))
        second = first.next_page()
        third = second.next_page()
        self.assertEqual([u.sid for u in second], self.order[100:200])
        self.assertEqual([u.sid for u in third], self.order[200:])
        self.assertIsNone(third.next_page_url)  # no user follows
        self.assertIsNone(third.next_page())
        back = third.previous_page()
        self.assertEqual([u.sid for u in back], self.order[100:200])
        # PageSize above 100 is clamped to 100.
        self.assertEqual(len(list(self.users.page(page_size=1000))), 100)

    def test_deletes_during_a_walk_skip_nothing_else(self):
        # Walk a fresh Service with tokens while deleting users behind and
        # ahead of the cursor: every user that exists throughout the walk
        # is seen exactly once.
        service = "IS" + "d" * 32
        other = self.start_hosts("--service", service)
        try:
            users = other.client().chat.v2.services(service).users
            sids = [users.create(identity="walk-%02d" % i).sid for i in range(40)]
            order = self.listing_order(users, sids)
            page = users.page(page_size=6)
            seen = [u.sid for u in page]
            users(order[2]).delete()    # behind the cursor
            users(order[20]).delete()   # ahead of it
            while page.next_page_url:
                page = page.next_page()
                seen.extend(u.sid for u in page)
            expected = [s for s in order if s != order[20]]
            self.assertEqual(seen, expected)
        finally:
            self.assertEqual(other.stop(), 0, other.log())


class TwilioOriginTest(HostsTestCase):
    """The other way to point the client at the host: leave its URLs alone
    (https://chat.twilio.com) and rewrite them in a custom http_client; the
    host runs with --base-url https://chat.twilio.com/v2 so responses carry
    exactly Twilio's URLs. (SharedHosts rewrite that origin themselves, to
    each host in turn.)"""

    @classmethod
    def setUpClass(cls):
        cls.host = cls.start_hosts("--service", SERVICE_SID,
                                   "--base-url", "https://chat.twilio.com/v2")
        if isinstance(cls.host, Host):
            cls.http = RewritingHttpClient(cls.host.origin)
            cls.host.sessions.append(cls.http.session)
            client = host.Client(ACCOUNT_SID, host.AUTH_TOKEN, http_client=cls.http)
        else:
            cls.http = RecordingHttpClient()
            client = cls.host.client(http_client=cls.http)
        cls.users = client.chat.v2.services(SERVICE_SID).users

    @classmethod
    def tearDownClass(cls):
        status = cls.host.stop()
        if status != 0:
            raise AssertionError("userstore-http exited %r\n%s" % (status, cls.host.log()))

    def test_twilio_urls(self):
        user = self.users.create(identity="jing", attributes='{"test":"test"}',
                                 friendly_name="friendly_name")
        url = ("https://chat.twilio.com/v2/Services/%s/Users/%s" % (SERVICE_SID, user.sid))
        self.assertEqual(user.url, url)
        self.assertEqual(user.links["user_channels"], url + "/Channels")
        self.assertEqual(self.users("jing").fetch().sid, user.sid)
        for i in range(11):
            self.users.create(identity="origin-%02d" % i)
        self.http.requests.clear()
        listed = self.users.list(page_size=5)
        self.assertEqual(len(listed), 12)
        self.assertEqual(len(self.http.requests), 3)
        for _, url_sent, _ in self.http.requests[1:]:
            self.assertTrue(url_sent.startswith(
                "https://chat.twilio.com/v2/Services/%s/Users?" % SERVICE_SID), url_sent)
        self.assertTrue(self.users(user.sid).delete())


if __name__ == "__main__":
    unittest.main()
