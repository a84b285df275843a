"""Twilio's own Python helper library (python3-twilio 7.x) against
userstore-http's Conversations v1 API (docs/compatibility.md,
"Conversations"): client.conversations.v1.services(IS).users and
client.conversations.v1.users (create, fetch by SID and by identity, list
with paging, update, delete with X-Twilio-Webhook-Enabled, every error),
client.conversations.v1.configuration() (fetch, update), and the users
shared with client.chat.v2 (same SID, bytes and dates; page tokens of one
API refused by the other).

Only the domains' base URLs point at the local host. Run by ctest
(python_test_conversations); needs USERSTORE_HTTP_SERVER.
"""
import datetime
import json
import unittest
import urllib.parse

from twilio.base.exceptions import TwilioException, TwilioRestException

from host import (ACCOUNT_SID, PAGING_SERVICE_SID, ROLE_SID, SERVICE_SID, Host,
                  RecordingHttpClient)

OTHER_SERVICE_SID = "IS" + "d" * 32
MESSAGING_SERVICE_SID = "MG" + "e" * 32


def start_host(test_class, *flags, http_client=None):
    """A started host and a client whose Chat and Conversations domains
    point at it; stopped when the class is done."""
    server = Host(*flags).start()
    test_class.addClassCleanup(server.stop)
    client = server.client(http_client=http_client)
    client.conversations.base_url = server.origin
    return server, client


def page_token(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["PageToken"][0]


class ConversationsTestCase(unittest.TestCase):

    def assertConversationsUser(self, user, url, service_sid=SERVICE_SID):
        """What every Conversations user must look like once parsed."""
        self.assertRegex(user.sid, r"^US[0-9a-f]{32}$")
        self.assertEqual(user.account_sid, ACCOUNT_SID)
        self.assertEqual(user.chat_service_sid, service_sid)
        self.assertRegex(user.role_sid, r"^RL[0-9a-f]{32}$")
        self.assertIsInstance(user.date_created, datetime.datetime)
        self.assertEqual(user.date_created.tzinfo.utcoffset(None), datetime.timedelta(0))
        self.assertIsInstance(user.date_updated, datetime.datetime)
        self.assertEqual(user.url, url)
        self.assertEqual(user.links, {"user_conversations": url + "/Conversations"})

    def assertRestError(self, raised, status, code, message_part=None):
        error = raised.exception
        self.assertIsInstance(error, TwilioRestException)
        self.assertEqual((error.status, error.code), (status, code), error.msg)
        if message_part is not None:
            self.assertIn(message_part, error.msg)

    def assertPageError(self, raised, status, code, message=None):
        # twilio-python 7.x raises a plain TwilioException (with the
        # response) when a page request fails.
        response = raised.exception.args[1]
        self.assertEqual(response.status_code, status)
        body = json.loads(response.text)
        self.assertEqual((body["status"], body["code"]), (status, code))
        if message is not None:
            self.assertEqual(body["message"], message)


class ServiceUsersTest(ConversationsTestCase):
    """client.conversations.v1.services(IS).users, and the same users
    through client.chat.v2."""

    @classmethod
    def setUpClass(cls):
        cls.host, cls.client = start_host(cls, "--service", SERVICE_SID, "--role", ROLE_SID)
        cls.users = cls.client.conversations.v1.services(SERVICE_SID).users
        cls.chat_users = cls.client.chat.v2.services(SERVICE_SID).users
        cls.base_url = cls.host.origin + "/v1/Services/%s/Users/" % SERVICE_SID

    def test_create_with_every_parameter(self):
        attributes = '{"duty": "tech", "n": [1, 2.5, null], "u": "\\u00e9"}'
        user = self.users.create(identity="admin", friendly_name="name", attributes=attributes,
                                 role_sid=ROLE_SID, x_twilio_webhook_enabled="true")
        self.assertConversationsUser(user, self.base_url + user.sid)
        self.assertEqual(user.identity, "admin")
        self.assertEqual(user.friendly_name, "name")
        self.assertEqual(user.attributes, attributes)  # byte for byte
        self.assertEqual(user.role_sid, ROLE_SID)
        self.assertIsNone(user.is_online)
        self.assertIsNone(user.is_notifiable)
        self.assertEqual(user.date_created, user.date_updated)

    def test_fetch_by_sid_and_by_identity(self):
        created = self.users.create(identity="team/fetch me")
        for key in (created.sid, urllib.parse.quote("team/fetch me", safe="")):
            with self.subTest(key=key):
                user = self.users(key).fetch()
                self.assertConversationsUser(user, self.base_url + created.sid)
                self.assertEqual(user.sid, created.sid)
                self.assertEqual(user.identity, "team/fetch me")
                self.assertEqual(user.attributes, "{}")
                self.assertIsNone(user.friendly_name)

    def test_update(self):
        created = self.users.create(identity="update-me", friendly_name="before")
        user = self.users("update-me").update(friendly_name="after", attributes='{"a":1}',
                                              role_sid=ROLE_SID, x_twilio_webhook_enabled="true")
        self.assertConversationsUser(user, self.base_url + created.sid)
        self.assertEqual((user.friendly_name, user.attributes, user.role_sid),
                         ("after", '{"a":1}', ROLE_SID))
        self.assertEqual(user.date_created, created.date_created)
        user = self.users(created.sid).update(friendly_name="")  # clears it
        self.assertIsNone(user.friendly_name)
        self.assertEqual(user.attributes, '{"a":1}')  # omitted: kept

    def test_delete_with_the_webhook_header(self):
        created = self.users.create(identity="delete-me")
        self.assertTrue(self.users("delete-me").delete(x_twilio_webhook_enabled="true"))
        with self.assertRaises(TwilioRestException) as raised:
            self.users(created.sid).fetch()
        self.assertRestError(raised, 404, 20404,
                             "/v1/Services/%s/Users/%s was not found" % (SERVICE_SID, created.sid))
        # The delete reads the header: a value other than true / false is
        # refused, and the user stays.
        self.users.create(identity="keep-me")
        with self.assertRaises(TwilioRestException) as raised:
            self.users("keep-me").delete(x_twilio_webhook_enabled="yes")
        self.assertRestError(raised, 400, 20001, "X-Twilio-Webhook-Enabled")
        self.assertEqual(self.users("keep-me").fetch().identity, "keep-me")
        self.assertTrue(self.users("keep-me").delete(x_twilio_webhook_enabled="false"))

    def test_create_errors(self):
        self.users.create(identity="taken")
        cases = [
            ({"identity": ""}, 400, 50204),
            ({"identity": "x" * 257}, 400, 50207),
            ({"identity": "US" + "a" * 32}, 400, 50206),
            ({"identity": "taken"}, 409, 50201),
            ({"identity": "n", "friendly_name": "n" * 257}, 400, 50003),
            ({"identity": "a", "attributes": "[1]"}, 400, 50304),
            ({"identity": "a", "attributes": "{" + " " * 16384 + "}"}, 400, 50303),
            ({"identity": "a", "role_sid": "RL" + "9" * 32}, 400, 50100),
            ({"identity": "a", "role_sid": "nope"}, 400, 20001),
            ({"identity": "a", "x_twilio_webhook_enabled": "yes"}, 400, 20001),
        ]
        for kwargs, status, code in cases:
            with self.subTest(kwargs=str(kwargs)[:60]):
                with self.assertRaises(TwilioRestException) as raised:
                    self.users.create(**kwargs)
                self.assertRestError(raised, status, code)
        unknown = self.client.conversations.v1.services("IS" + "0" * 32).users
        with self.assertRaises(TwilioRestException) as raised:
            unknown.create(identity="x")
        self.assertRestError(raised, 404, 20404, "/v1/Services/IS%s/Users was not found" % ("0" * 32))

    def test_fetch_update_errors(self):
        self.users.create(identity="exists")
        with self.assertRaises(TwilioRestException) as raised:
            self.users("nobody").fetch()
        self.assertRestError(raised, 404, 20404,
                             "The requested resource /v1/Services/%s/Users/nobody was not found"
                             % SERVICE_SID)
        with self.assertRaises(TwilioRestException) as raised:
            self.users("exists").update()
        self.assertRestError(raised, 400, 20161)
        with self.assertRaises(TwilioRestException) as raised:
            self.users("exists").update(attributes="{")
        self.assertRestError(raised, 400, 50304)
        with self.assertRaises(TwilioRestException) as raised:
            self.users("nobody").delete()
        self.assertRestError(raised, 404, 20404)

    def test_the_same_user_through_chat_and_conversations(self):
        attributes = '{"b": [1, 2], "a": "\\u00e9 \u00e9"}'
        chat = self.chat_users.create(identity="both", attributes=attributes, friendly_name="B")
        conv = self.users("both").fetch()
        self.assertEqual(conv.sid, chat.sid)
        self.assertEqual(conv.attributes, chat.attributes)
        self.assertEqual(conv.attributes, attributes)
        self.assertEqual(conv.role_sid, chat.role_sid)
        self.assertEqual(conv.chat_service_sid, chat.service_sid)
        self.assertEqual((conv.date_created, conv.date_updated),
                         (chat.date_created, chat.date_updated))
        updated = self.users(chat.sid).update(role_sid=ROLE_SID, attributes='{"v": 1}')
        back = self.chat_users(chat.sid).fetch()
        self.assertEqual((back.role_sid, back.attributes), (ROLE_SID, '{"v": 1}'))
        self.assertEqual(back.date_updated, updated.date_updated)
        # Made through Conversations, deleted through Chat.
        made = self.users.create(identity="made-in-v1")
        self.assertEqual(self.chat_users("made-in-v1").fetch().sid, made.sid)
        self.assertTrue(self.chat_users(made.sid).delete())
        with self.assertRaises(TwilioRestException) as raised:
            self.users("made-in-v1").fetch()
        self.assertRestError(raised, 404, 20404)

    def test_user_conversations_are_not_served(self):
        user = self.users.create(identity="lonely")
        with self.assertRaises(TwilioException) as raised:
            self.users(user.sid).user_conversations.list()
        self.assertPageError(raised, 404, 20404,
                             "The requested resource /v1/Services/%s/Users/%s/Conversations "
                             "was not found" % (SERVICE_SID, user.sid))


class ConversationsPagingTest(ConversationsTestCase):
    """users.list / stream / pages over 120 users in a Service of their own."""

    COUNT = 120

    @classmethod
    def setUpClass(cls):
        cls.recorder = RecordingHttpClient()
        cls.host, cls.client = start_host(cls, "--service", PAGING_SERVICE_SID,
                                          http_client=cls.recorder)
        cls.users = cls.client.conversations.v1.services(PAGING_SERVICE_SID).users
        cls.chat_users = cls.client.chat.v2.services(PAGING_SERVICE_SID).users
        cls.created = [cls.users.create(identity="user-%03d" % i).sid for i in range(cls.COUNT)]

    def page_sizes_sent(self):
        return [params.get("PageSize") for method, url, params in self.recorder.requests
                if method == "GET" and "PageSize" in params]

    def test_list_limit_110_page_size_7(self):
        self.recorder.requests.clear()
        users = self.users.list(limit=110, page_size=7)
        self.assertEqual([u.sid for u in users], self.created[:110])
        # 16 pages: the first from the client's parameters, the rest from
        # the next_page_url of each page.
        gets = [r for r in self.recorder.requests if r[0] == "GET"]
        self.assertEqual(len(gets), 16)
        for user in users[:3]:
            self.assertIsNone(user.is_online)  # null in a list
            self.assertEqual(user.url, "%s/v1/Services/%s/Users/%s"
                             % (self.host.origin, PAGING_SERVICE_SID, user.sid))

    def test_a_limit_above_50_is_read_50_at_a_time(self):
        # The client sends PageSize = limit (120); Conversations' maximum
        # is 50, so the host answers 50 per page and the client follows
        # next_page_url.
        page = self.users.page(page_size=120)
        self.assertEqual(page._payload["meta"]["page_size"], 50)
        self.assertEqual(len(list(page)), 50)
        self.recorder.requests.clear()
        self.assertEqual([u.sid for u in self.users.list(limit=120)], self.created)
        self.assertEqual(len([r for r in self.recorder.requests if r[0] == "GET"]), 3)
        self.assertEqual([u.sid for u in self.users.stream()], self.created)

    def test_page_navigation(self):
        first = self.users.page(page_size=50)
        self.assertIsNone(first.previous_page_url)
        second = first.next_page()
        third = second.next_page()
        self.assertEqual([u.sid for u in third], self.created[100:])
        self.assertIsNone(third.next_page_url)
        back = third.previous_page()
        self.assertEqual([u.sid for u in back], self.created[50:100])
        self.assertEqual(back._payload["meta"]["page"], 1)

    def test_a_token_of_one_api_is_refused_by_the_other(self):
        chat_page = self.chat_users.page(page_size=1)
        conv_page = self.users.page(page_size=1)
        chat_token = page_token(chat_page.next_page_url)
        conv_token = page_token(conv_page.next_page_url)
        self.assertNotEqual(chat_token, conv_token)
        with self.assertRaises(TwilioException) as raised:
            self.users.page(page_token=chat_token, page_number=1, page_size=1)
        self.assertPageError(raised, 400, 20001, "Invalid PageToken")
        with self.assertRaises(TwilioException) as raised:
            self.chat_users.page(page_token=conv_token, page_number=1, page_size=1)
        self.assertPageError(raised, 400, 20001, "Invalid PageToken")
        self.assertEqual([u.sid for u in conv_page.next_page()], self.created[1:2])

    def test_list_errors(self):
        for kwargs in [{"page_size": 0}, {"page_token": "not-a-token"}, {"page_number": 3}]:
            with self.subTest(**kwargs):
                with self.assertRaises(TwilioException) as raised:
                    self.users.page(**kwargs)
                self.assertPageError(raised, 400, 20001)


class AccountUsersAndConfigurationTest(ConversationsTestCase):
    """client.conversations.v1.configuration() and
    client.conversations.v1.users, which address its default Service."""

    @classmethod
    def setUpClass(cls):
        cls.host, cls.client = start_host(cls, "--service", SERVICE_SID, "--service",
                                          OTHER_SERVICE_SID)
        cls.v1 = cls.client.conversations.v1

    def test_1_before_any_configuration(self):
        configuration = self.v1.configuration().fetch()
        self.assertEqual(configuration.account_sid, ACCOUNT_SID)
        self.assertIsNone(configuration.default_chat_service_sid)
        self.assertIsNone(configuration.default_messaging_service_sid)
        self.assertIsNone(configuration.default_inactive_timer)
        self.assertIsNone(configuration.default_closed_timer)
        self.assertEqual(configuration.url, self.host.origin + "/v1/Configuration")
        self.assertEqual(configuration.links, {
            "service": None, "webhooks": self.host.origin + "/v1/Configuration/Webhooks"})
        with self.assertRaises(TwilioRestException) as raised:
            self.v1.users.create(identity="nowhere")
        self.assertRestError(raised, 404, 20404, "The requested resource /v1/Users was not found")
        with self.assertRaises(TwilioRestException) as raised:
            self.v1.users("nowhere").fetch()
        self.assertRestError(raised, 404, 20404, "/v1/Users/nowhere was not found")

    def test_2_configuration_update_and_errors(self):
        configuration = self.v1.configuration().update(
            default_chat_service_sid=OTHER_SERVICE_SID,
            default_messaging_service_sid=MESSAGING_SERVICE_SID,
            default_inactive_timer="PT1M", default_closed_timer="PT10M")
        self.assertEqual(configuration.default_chat_service_sid, OTHER_SERVICE_SID)
        self.assertEqual(configuration.default_messaging_service_sid, MESSAGING_SERVICE_SID)
        self.assertEqual((configuration.default_inactive_timer,
                          configuration.default_closed_timer), ("PT1M", "PT10M"))
        self.assertEqual(configuration.links["service"], "%s/v1/Services/%s/Configuration"
                         % (self.host.origin, OTHER_SERVICE_SID))
        fetched = self.v1.configuration().fetch()
        self.assertEqual(fetched.default_chat_service_sid, OTHER_SERVICE_SID)
        for kwargs, status, code in [
                ({"default_chat_service_sid": "nope"}, 400, 20001),
                ({"default_chat_service_sid": "IS" + "0" * 32}, 404, 20404),
                ({"default_messaging_service_sid": SERVICE_SID}, 400, 20001),
                ({"default_inactive_timer": "one minute"}, 400, 20001)]:
            with self.subTest(**kwargs):
                with self.assertRaises(TwilioRestException) as raised:
                    self.v1.configuration().update(**kwargs)
                self.assertRestError(raised, status, code)
        self.assertEqual(self.v1.configuration().fetch().default_inactive_timer, "PT1M")

    def test_3_account_level_users(self):
        self.v1.configuration().update(default_chat_service_sid=SERVICE_SID)
        users = self.v1.users
        created = users.create(identity="acct", friendly_name="A", attributes='{"k": true}',
                               x_twilio_webhook_enabled="true")
        url = self.host.origin + "/v1/Users/" + created.sid
        self.assertConversationsUser(created, url)
        for key in (created.sid, "acct"):
            with self.subTest(key=key):
                fetched = users(key).fetch()
                self.assertConversationsUser(fetched, url)
                self.assertEqual((fetched.identity, fetched.attributes), ("acct", '{"k": true}'))
        # The same user under the Service's own path and through Chat.
        service_user = self.v1.services(SERVICE_SID).users("acct").fetch()
        self.assertEqual(service_user.sid, created.sid)
        self.assertEqual(service_user.url,
                         "%s/v1/Services/%s/Users/%s" % (self.host.origin, SERVICE_SID, created.sid))
        self.assertEqual(self.client.chat.v2.services(SERVICE_SID).users("acct").fetch().sid,
                         created.sid)
        updated = users("acct").update(friendly_name="B", x_twilio_webhook_enabled="true")
        self.assertEqual(updated.friendly_name, "B")
        self.assertEqual(updated.url, url)
        for i in range(7):
            users.create(identity="acct-%d" % i)
        listed = users.list(page_size=3)
        self.assertEqual([u.identity for u in listed], ["acct"] + ["acct-%d" % i for i in range(7)])
        self.assertTrue(all(u.url.startswith(self.host.origin + "/v1/Users/US") for u in listed))
        page = users.page(page_size=3)
        self.assertEqual(page.next_page_url.split("?")[0], self.host.origin + "/v1/Users")
        self.assertTrue(users("acct").delete(x_twilio_webhook_enabled="true"))
        with self.assertRaises(TwilioRestException) as raised:
            users("acct").fetch()
        self.assertRestError(raised, 404, 20404, "/v1/Users/acct was not found")
        with self.assertRaises(TwilioRestException) as raised:
            users.create(identity="acct-0")
        self.assertRestError(raised, 409, 50201)


if __name__ == "__main__":
    unittest.main()
