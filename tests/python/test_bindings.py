"""Twilio's own Python helper library (python3-twilio 7.x) against
userstore-http for Chat v2 push Bindings (issue 17):
client.chat.v2.services(IS).users(U).user_bindings and
client.chat.v2.services(IS).bindings, list (filters, paging) / fetch /
delete, through twilio.rest.Client unchanged. Twilio creates Bindings from
its client SDK only; here they are registered over plain HTTP with
userstore's extension (POST .../Users/{key}/Bindings, host flag
--extensions), and the user's is_notifiable follows them (--reachability).

Run by ctest (python_test_bindings); needs USERSTORE_HTTP_SERVER.
"""
import datetime
import unittest

from twilio.base.exceptions import TwilioException, TwilioRestException

import host
from host import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, twilio_error

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
CREDENTIAL_SID = "CR" + "d" * 32
BINDING_KEYS = ["sid", "account_sid", "service_sid", "date_created", "date_updated", "endpoint",
                "identity", "binding_type", "credential_sid", "message_types", "url", "links"]
USER_BINDING_KEYS = ["sid", "account_sid", "service_sid", "date_created", "date_updated",
                     "endpoint", "identity", "user_sid", "binding_type", "credential_sid",
                     "message_types", "url"]


class BindingsHostTestCase(host.HostTestCase):
    """A host per class serving SERVICE_SID with reachability on; the
    session authenticates; client is Twilio's, pointed at the host."""
    FLAGS = ("--service", SERVICE_SID, "--reachability", "--extensions")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.session.auth = AUTH
        cls.base_url = cls.host.origin + "/v2"
        cls.client = cls.host.client()
        cls.service = cls.client.chat.v2.services(SERVICE_SID)

    def create_user(self, identity):
        return self.service.users.create(identity=identity)

    def register(self, user, binding_type, address, status=201, **params):
        """Registers a Binding for `user` (SID or identity) with the
        extension over plain HTTP; returns the response's JSON."""
        data = dict(BindingType=binding_type, Address=address, **params)
        response = self.session.post("%s/%s/Bindings" % (self.users_url, user), data=data)
        self.assertEqual(response.status_code, status, response.text)
        return response.json()

    def assertRestError(self, raised, status, code):
        error = raised.exception
        self.assertIsInstance(error, TwilioRestException)
        self.assertEqual(error.status, status, error.msg)
        self.assertEqual(error.code, code, error.msg)


class BindingsTest(BindingsHostTestCase):

    def test_register_over_http_and_fetch_with_the_client(self):
        user = self.create_user("reg-user")
        body = self.register("reg-user", "apn", "device-token-1", CredentialSid=CREDENTIAL_SID,
                             MessageTypes=["new_message", "added_to_channel"])
        self.assertEqual(list(body), USER_BINDING_KEYS)
        self.assertRegex(body["sid"], r"^BS[0-9a-f]{32}$")
        self.assertEqual(body["user_sid"], user.sid)
        self.assertEqual(body["message_types"], ["new_message", "added_to_channel"])
        # The same type and address again updates it: 200, same SID.
        again = self.register(user.sid, "apn", "device-token-1", status=200,
                              MessageTypes="invited_to_channel")
        self.assertEqual(again["sid"], body["sid"])
        self.assertEqual(again["message_types"], ["invited_to_channel"])
        self.assertIsNone(again["credential_sid"])

        fetched = self.service.users(user.sid).user_bindings(body["sid"]).fetch()
        self.assertEqual(fetched.sid, body["sid"])
        self.assertEqual(fetched.account_sid, ACCOUNT_SID)
        self.assertEqual(fetched.service_sid, SERVICE_SID)
        self.assertEqual(fetched.user_sid, user.sid)
        self.assertEqual(fetched.identity, "reg-user")
        self.assertEqual(fetched.endpoint, "device-token-1")
        self.assertEqual(fetched.binding_type, "apn")
        self.assertIsNone(fetched.credential_sid)
        self.assertEqual(fetched.message_types, ["invited_to_channel"])
        self.assertIsInstance(fetched.date_created, datetime.datetime)
        self.assertEqual(fetched.date_created.utcoffset(), datetime.timedelta(0))
        self.assertEqual(fetched.url, "%s/Services/%s/Users/%s/Bindings/%s" % (
            self.base_url, SERVICE_SID, user.sid, body["sid"]))
        # By identity too.
        by_identity = self.service.users("reg-user").user_bindings(body["sid"]).fetch()
        self.assertEqual(by_identity.sid, body["sid"])

    def test_service_binding_fetch_and_links(self):
        self.create_user("team/links")
        body = self.register("team%2Flinks", "gcm", "a+b token", CredentialSid=CREDENTIAL_SID)
        binding = self.service.bindings(body["sid"]).fetch()
        self.assertEqual(binding.identity, "team/links")
        self.assertEqual(binding.endpoint, "a+b token")
        self.assertEqual(binding.credential_sid, CREDENTIAL_SID)
        self.assertEqual(binding.binding_type, "gcm")
        self.assertEqual(binding.url, "%s/Services/%s/Bindings/%s" % (
            self.base_url, SERVICE_SID, body["sid"]))
        # links.user names the user by identity (as Twilio's examples),
        # percent-encoded; following it gives the user.
        user_url = "%s/Services/%s/Users/team%%2Flinks" % (self.base_url, SERVICE_SID)
        self.assertEqual(binding.links, {"user": user_url})
        response = self.session.get(user_url)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["identity"], "team/links")
        raw = self.session.get(binding.url).json()
        self.assertEqual(list(raw), BINDING_KEYS)

    def test_user_bindings_list_filter_and_delete(self):
        user = self.create_user("lister")
        apn = self.register("lister", "apn", "t-apn")["sid"]
        fcm = self.register("lister", "fcm", "t-fcm")["sid"]
        gcm = self.register("lister", "gcm", "t-gcm")["sid"]
        bindings = self.service.users(user.sid).user_bindings
        self.assertEqual([b.sid for b in bindings.list()], [apn, fcm, gcm])
        self.assertEqual([b.sid for b in bindings.list(binding_type=["fcm", "apn"])], [apn, fcm])
        self.assertEqual([b.sid for b in bindings.list(binding_type="gcm")], [gcm])
        # Paging: the client follows next_page_url.
        self.assertEqual([b.sid for b in bindings.list(page_size=1)], [apn, fcm, gcm])
        self.assertEqual([b.sid for b in bindings.stream(page_size=2, limit=2)], [apn, fcm])
        page = bindings.page(page_size=2)
        self.assertEqual([b.sid for b in page], [apn, fcm])
        second = page.next_page()
        self.assertEqual([b.sid for b in second], [gcm])
        self.assertIsNone(second.next_page())
        self.assertEqual([b.sid for b in second.previous_page()], [apn, fcm])

        self.assertTrue(bindings(fcm).delete())
        self.assertEqual([b.sid for b in bindings.list()], [apn, gcm])
        with self.assertRaises(TwilioException) as raised:
            bindings(fcm).fetch()
        self.assertRestError(raised, 404, 20404)
        with self.assertRaises(TwilioException) as raised:
            bindings(fcm).delete()
        self.assertRestError(raised, 404, 20404)

    def test_service_bindings_list_filters_and_paging(self):
        a = self.create_user("svc-a")
        b = self.create_user("svc-b")
        c = self.create_user("svc-c")
        made = []  # (sid, identity, type)
        for i in range(7):
            identity = ("svc-a", "svc-b", "svc-c")[i % 3]
            binding_type = ("apn", "gcm", "fcm")[i % 2]
            body = self.register(identity, binding_type, "addr-%d" % i)
            made.append((body["sid"], identity, binding_type))
        ours = {sid for sid, _, _ in made}
        bindings = self.service.bindings

        def listed(**kwargs):
            return [x.sid for x in bindings.list(**kwargs) if x.sid in ours]

        self.assertEqual(listed(), [sid for sid, _, _ in made])
        self.assertEqual(listed(identity=["svc-a", "svc-c"]),
                         [sid for sid, i, _ in made if i in ("svc-a", "svc-c")])
        self.assertEqual(listed(binding_type=["gcm"]),
                         [sid for sid, _, t in made if t == "gcm"])
        self.assertEqual(listed(binding_type=["apn"], identity="svc-b"),
                         [sid for sid, i, t in made if t == "apn" and i == "svc-b"])
        # Paging with filters: every page's links keep them.
        self.assertEqual([x.sid for x in bindings.list(identity=["svc-a", "svc-b", "svc-c"],
                                                       page_size=2)],
                         [sid for sid, _, _ in made])
        page = bindings.page(identity=["svc-a", "svc-b", "svc-c"], page_size=3)
        self.assertIn("Identity=svc-a&Identity=svc-b&Identity=svc-c&PageSize=3",
                      page.next_page_url)
        self.assertEqual([x.sid for x in page.next_page()], [sid for sid, _, _ in made][3:6])
        # The user's Bindings agree with the Service's list.
        for user in (a, b, c):
            self.assertEqual([x.sid for x in self.service.users(user.sid).user_bindings.list()],
                             [sid for sid, i, _ in made if i == user.identity])
        # Delete through the Service's route.
        first = made[0][0]
        self.assertTrue(bindings(first).delete())
        self.assertNotIn(first, listed())
        with self.assertRaises(TwilioException) as raised:
            bindings(first).fetch()
        self.assertRestError(raised, 404, 20404)

    def test_is_notifiable_follows_the_bindings(self):
        user = self.create_user("notifiable")
        self.assertIsNone(user.is_notifiable)  # never registered
        first = self.register("notifiable", "apn", "n-1")["sid"]
        self.assertIs(self.service.users(user.sid).fetch().is_notifiable, True)
        second = self.register("notifiable", "fcm", "n-2")["sid"]
        self.assertTrue(self.service.bindings(first).delete())
        self.assertIs(self.service.users(user.sid).fetch().is_notifiable, True)
        self.assertTrue(self.service.users(user.sid).user_bindings(second).delete())
        self.assertIs(self.service.users(user.sid).fetch().is_notifiable, False)

    def test_deleting_the_user_deletes_its_bindings(self):
        user = self.create_user("doomed-user")
        sid = self.register("doomed-user", "apn", "d-1")["sid"]
        self.assertTrue(self.service.users(user.sid).delete())
        with self.assertRaises(TwilioException) as raised:
            self.service.bindings(sid).fetch()
        self.assertRestError(raised, 404, 20404)
        self.assertNotIn(sid, [x.sid for x in self.service.bindings.list()])

    def test_errors(self):
        self.create_user("erring")
        unknown = "BS" + "f" * 32
        with self.assertRaises(TwilioException) as raised:
            self.service.bindings(unknown).fetch()
        self.assertRestError(raised, 404, 20404)
        self.assertIn("/Bindings/" + unknown, raised.exception.msg)
        with self.assertRaises(TwilioException) as raised:
            self.service.users("erring").user_bindings(unknown).delete()
        self.assertRestError(raised, 404, 20404)
        # A list error: twilio-python 7.x raises a plain TwilioException for
        # a failed page read (as for users).
        with self.assertRaises(TwilioException):
            self.service.users("nobody").user_bindings.list()
        response = self.session.get("%s/v2/Services/%s/Bindings" % (self.host.origin, SERVICE_SID),
                                    params={"BindingType": "sms"})
        self.assertTrue(twilio_error(response, 400, 20001), response.text)
        # Registration errors, over HTTP.
        url = "%s/erring/Bindings" % self.users_url
        for data, status, code in [({"Address": "x"}, 400, 20001),
                                   ({"BindingType": "apn"}, 400, 20001),
                                   ({"BindingType": "APN", "Address": "x"}, 400, 20001),
                                   ({"BindingType": "apn", "Address": ""}, 400, 20001),
                                   ({"BindingType": "apn", "Address": "x",
                                     "CredentialSid": "CR1"}, 400, 20001)]:
            response = self.session.post(url, data=data)
            self.assertTrue(twilio_error(response, status, code), (data, response.text))
        response = self.session.post("%s/nobody/Bindings" % self.users_url,
                                     data={"BindingType": "apn", "Address": "x"})
        self.assertTrue(twilio_error(response, 404, 20404), response.text)
        # Other methods: 405 with Allow.
        response = self.session.put(url)
        self.assertTrue(twilio_error(response, 405, 20001), response.text)
        self.assertEqual(response.headers["Allow"], "GET, HEAD, POST")
        response = self.session.post("%s/v2/Services/%s/Bindings" % (self.host.origin, SERVICE_SID))
        self.assertTrue(twilio_error(response, 405, 20001), response.text)
        self.assertEqual(response.headers["Allow"], "GET, HEAD")
        self.assertEqual(self.service.users("erring").user_bindings.list(), [])


class BindingsWithoutExtensionsTest(BindingsHostTestCase):
    """Without --extensions the registration route answers 405, as Twilio
    does; the read routes are served."""
    FLAGS = ("--service", SERVICE_SID, "--reachability")

    def test_registration_is_405(self):
        self.create_user("plain")
        response = self.session.post("%s/plain/Bindings" % self.users_url,
                                     data={"BindingType": "apn", "Address": "x"})
        self.assertTrue(twilio_error(response, 405, 20001), response.text)
        self.assertEqual(response.headers["Allow"], "GET, HEAD")
        self.assertEqual(self.service.users("plain").user_bindings.list(), [])
        self.assertEqual(self.service.bindings.list(), [])
        self.assertIsNone(self.service.users("plain").fetch().is_notifiable)

    def test_reachability_flag_needs_a_service(self):
        out = host.subprocess.run([host.server_binary(), "--reachability"], capture_output=True,
                                  text=True, timeout=60,
                                  env=dict(host.os.environ, TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                                           TWILIO_AUTH_TOKEN=AUTH_TOKEN))
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("--reachability needs at least one --service", out.stderr)


if __name__ == "__main__":
    unittest.main()
