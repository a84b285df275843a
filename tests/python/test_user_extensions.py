"""Issue 18's extensions over real HTTP: the Users list's filters and count
(X-Userstore-IdentityPrefix, X-Userstore-Count, ...) and the batch upsert
(X-Userstore-Batch), served with the host's --extensions flag; Twilio's
helper library keeps working beside them; without the flag every
X-Userstore-* parameter is ignored, as Twilio ignores unknown parameters.

Run by ctest (python_test_user_extensions); needs USERSTORE_HTTP_SERVER.
"""
import json
import unittest

import host
from host import SERVICE_SID, twilio_error


class HostTestCase(host.AuthenticatedTestCase):
    """A host per class, serving SERVICE_SID; the session authenticates."""

    def follow(self, url):
        """GETs a URL the facade rendered (below the host's base URL)."""
        self.assertTrue(url.startswith(self.host.origin + "/v2/"), url)
        return self.session.get(url)


class UserExtensionsTest(HostTestCase):
    FLAGS = ("--service", SERVICE_SID, "--extensions")

    def test_helper_library_still_works(self):
        users = self.host.client().chat.v2.services(SERVICE_SID).users
        created = [users.create(identity="lib-%d" % i) for i in range(3)]
        listed = [u.identity for u in users.list(page_size=2) if u.identity.startswith("lib-")]
        self.assertEqual(listed, ["lib-0", "lib-1", "lib-2"])
        self.assertEqual(users(created[0].sid).update(friendly_name="L").friendly_name, "L")
        for user in created:
            self.assertTrue(users(user.sid).delete())

    def test_filtered_list_and_count(self):
        for identity in ("team-b", "solo", "team-a", "team-c"):
            self.create(identity)
        params = {"X-Userstore-IdentityPrefix": "team-", "PageSize": "2"}
        page = self.session.get(self.users_url, params=params)
        self.assertEqual(page.status_code, 200, page.text)
        seen = []
        while True:
            body = page.json()
            self.assertIn("X-Userstore-IdentityPrefix=team-&", body["meta"]["url"])
            seen += [u["identity"] for u in body["users"]]
            if body["meta"]["next_page_url"] is None:
                break
            page = self.follow(body["meta"]["next_page_url"])
            self.assertEqual(page.status_code, 200, page.text)
        self.assertEqual(seen, ["team-a", "team-b", "team-c"])
        count = self.session.get(self.users_url, params={"X-Userstore-Count": "true",
                                                          "X-Userstore-IdentityPrefix": "team-"})
        self.assertEqual(count.status_code, 200, count.text)
        self.assertEqual(count.json()["count"], 3)
        self.assertEqual(self.follow(count.json()["url"]).json(), count.json())
        bad = self.session.get(self.users_url, params={"X-Userstore-Count": "yes"})
        self.assertTrue(twilio_error(bad, 400, 20001), bad.text)
        bad = self.session.get(self.users_url, params={"X-Userstore-DateCreatedFrom": "today"})
        self.assertTrue(twilio_error(bad, 400, 20001), bad.text)

    def test_batch_upsert(self):
        self.create("batch-old")
        rows = [{"identity": "batch-new", "attributes": json.dumps({"tier": "gold"})},
                {"identity": "batch-old", "friendly_name": "Old"},
                {"identity": "batch-bad", "attributes": "[1]"}]
        response = self.session.post(self.users_url, data={"X-Userstore-Batch": json.dumps(rows)})
        self.assertEqual(response.status_code, 200, response.text)
        items = response.json()["users"]
        self.assertEqual([(i["index"], i["status"], i["outcome"]) for i in items],
                         [(0, 201, "created"), (1, 200, "updated"), (2, 400, "failed")])
        self.assertEqual(items[2]["code"], 50304)
        fetched = self.session.get(self.users_url + "/batch-new")
        self.assertEqual(fetched.json(), items[0]["user"])
        # A large batch (over the 1 MiB a host without --extensions reads).
        attributes = json.dumps({"k": "v" * 15000})
        rows = [{"identity": "big-%d" % i, "attributes": attributes} for i in range(100)]
        response = self.session.post(self.users_url, data={"X-Userstore-Batch": json.dumps(rows)})
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual({i["outcome"] for i in response.json()["users"]}, {"created"})


class UserExtensionsOffTest(HostTestCase):
    """Without --extensions: each X-Userstore-* parameter is ignored."""

    def test_parameters_are_ignored(self):
        for identity in ("off-a", "off-b"):
            self.create(identity)
        plain = self.session.get(self.users_url, params={"PageSize": "50"})
        self.assertEqual(plain.status_code, 200)
        for extra in ({"X-Userstore-IdentityPrefix": "off-a"}, {"X-Userstore-Count": "true"},
                      {"X-Userstore-DateCreatedFrom": "bogus"}):
            response = self.session.get(self.users_url, params=dict(PageSize="50", **extra))
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.text, plain.text)
        batch = json.dumps([{"identity": "never"}])
        response = self.session.post(self.users_url, data={"X-Userstore-Batch": batch})
        self.assertTrue(twilio_error(response, 400, 20001), response.text)
        self.assertIn("Missing required parameter Identity", response.json()["message"])
        self.assertEqual(self.session.get(self.users_url + "/never").status_code, 404)
        # The helper library is unaffected.
        users = self.host.client().chat.v2.services(SERVICE_SID).users
        self.assertEqual(sorted(u.identity for u in users.list()), ["off-a", "off-b"])


if __name__ == "__main__":
    unittest.main()
