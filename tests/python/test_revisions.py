"""userstore's additions over real HTTP (issue 13): the ETag header of
single-user responses, If-Match on update and delete (412/20412), and the
X-Userstore-AttributesPatch extension parameter behind the host's
--extensions flag. Twilio's helper library (which never sends If-Match)
keeps working unchanged beside them.

Run by ctest (python_test_revisions); needs USERSTORE_HTTP_SERVER.
"""
import json
import re
import subprocess
import unittest

import host
from host import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, twilio_error

PATCH = "X-Userstore-AttributesPatch"
ETAG = re.compile(r'^"(0|[1-9][0-9]*)"$')


# A host per class, serving SERVICE_SID; the session authenticates.
HostTestCase = host.AuthenticatedTestCase


class RevisionsTest(HostTestCase):

    def test_etag_is_sent_and_moves_with_each_write(self):
        created = self.create("etag-user")
        etag = created.headers["ETag"]
        self.assertRegex(etag, ETAG)
        fetched = self.session.get(self.user_url("etag-user"))
        self.assertEqual(fetched.headers["ETag"], etag)
        self.assertEqual(self.session.head(self.user_url("etag-user")).headers["ETag"], etag)
        updated = self.session.post(self.user_url("etag-user"), data={"FriendlyName": "E"})
        self.assertEqual(updated.status_code, 200, updated.text)
        self.assertRegex(updated.headers["ETag"], ETAG)
        self.assertGreater(int(updated.headers["ETag"].strip('"')), int(etag.strip('"')))
        self.assertEqual(self.session.get(self.user_url("etag-user")).headers["ETag"],
                         updated.headers["ETag"])
        # Lists and errors have none.
        self.assertNotIn("ETag", self.session.get(self.users_url).headers)
        self.assertNotIn("ETag", self.session.get(self.user_url("nobody")).headers)

    def test_if_match_guards_update_over_http(self):
        etag = self.create("guarded", FriendlyName="Before").headers["ETag"]
        stale = '"%d"' % (int(etag.strip('"')) + 1000)
        response = self.session.post(self.user_url("guarded"), data={"FriendlyName": "Lost"},
                                     headers={"If-Match": stale})
        self.assertTrue(twilio_error(response, 412, 20412), response.text)
        self.assertNotIn("ETag", response.headers)
        after = self.session.get(self.user_url("guarded"))
        self.assertEqual(after.json()["friendly_name"], "Before")
        self.assertEqual(after.headers["ETag"], etag)
        response = self.session.post(self.user_url("guarded"), data={"FriendlyName": "Won"},
                                     headers={"If-Match": etag})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["friendly_name"], "Won")
        # A malformed value is 400/20001; "*" is no precondition.
        response = self.session.post(self.user_url("guarded"), data={"FriendlyName": "x"},
                                     headers={"If-Match": 'W/' + response.headers["ETag"]})
        self.assertTrue(twilio_error(response, 400, 20001), response.text)
        response = self.session.post(self.user_url("guarded"), data={"FriendlyName": "Any"},
                                     headers={"If-Match": "*"})
        self.assertEqual(response.status_code, 200, response.text)

    def test_if_match_guards_delete_over_http(self):
        etag = self.create("doomed").headers["ETag"]
        stale = '"%d"' % (int(etag.strip('"')) + 1000)
        response = self.session.delete(self.user_url("doomed"), headers={"If-Match": stale})
        self.assertTrue(twilio_error(response, 412, 20412), response.text)
        self.assertEqual(self.session.get(self.user_url("doomed")).status_code, 200)
        response = self.session.delete(self.user_url("doomed"), headers={"If-Match": etag})
        self.assertEqual(response.status_code, 204)
        self.assertEqual(self.session.get(self.user_url("doomed")).status_code, 404)

    def test_twilio_client_is_unaffected(self):
        # The helper library sends no If-Match and ignores the ETag header.
        users = self.host.client().chat.v2.services(SERVICE_SID).users
        user = users.create(identity="client-user", attributes=json.dumps({"a": 1}))
        self.assertEqual(users(user.sid).fetch().identity, "client-user")
        self.assertEqual(users(user.sid).update(friendly_name="C").friendly_name, "C")
        # The extension parameter is off in this host: ignored.
        response = self.session.post(self.user_url("client-user"),
                                     data={PATCH: '{"b":2}', "FriendlyName": "D"})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["attributes"], '{"a": 1}')
        self.assertTrue(users(user.sid).delete())


class ExtensionsFlagTest(HostTestCase):
    FLAGS = ("--service", SERVICE_SID, "--extensions")

    def test_attributes_patch_merges_one_key(self):
        self.create("patched", Attributes='{"a":1,"b":{"c":2}}')
        response = self.session.post(self.user_url("patched"),
                                     data={PATCH: '{"b":{"d":3},"a":null,"e":"x"}'})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(json.loads(response.json()["attributes"]),
                         {"b": {"c": 2, "d": 3}, "e": "x"})
        # With If-Match: a stale tag is 412 and changes nothing.
        stale = '"%d"' % (int(response.headers["ETag"].strip('"')) + 1000)
        refused = self.session.post(self.user_url("patched"), data={PATCH: '{"e":null}'},
                                    headers={"If-Match": stale})
        self.assertTrue(twilio_error(refused, 412, 20412), refused.text)
        self.assertEqual(self.session.get(self.user_url("patched")).json()["attributes"],
                         response.json()["attributes"])
        # Errors: with Attributes 20001; not JSON 50304.
        both = self.session.post(self.user_url("patched"), data={PATCH: "{}", "Attributes": "{}"})
        self.assertTrue(twilio_error(both, 400, 20001), both.text)
        bad = self.session.post(self.user_url("patched"), data={PATCH: "{"})
        self.assertTrue(twilio_error(bad, 400, 50304), bad.text)
        self.assertIn("extensions on", self.host.log())

    def test_flag_takes_no_value_and_is_documented(self):
        out = subprocess.run([host.server_binary(), "--extensions=on"], capture_output=True,
                             text=True, timeout=60,
                             env=dict(host.os.environ, TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                                      TWILIO_AUTH_TOKEN=AUTH_TOKEN))
        self.assertEqual(out.returncode, 2)
        self.assertIn("flag --extensions takes no value", out.stderr)
        out = subprocess.run([host.server_binary(), "--help"], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0)
        self.assertIn("--extensions", out.stdout)
        self.assertIn(PATCH, out.stdout)


if __name__ == "__main__":
    unittest.main()
