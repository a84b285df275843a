"""The example host itself (examples/http_server, userstore-http): HTTP Basic
authentication, the request log, what reaches the facade unchanged, errors
that HTTP itself produces, flags, the environment and clean stopping.

Run by ctest (python_test_host); needs USERSTORE_HTTP_SERVER.
"""
import base64
import re
import signal
import socket
import subprocess
import time
import unittest

import requests

import host
from host import ACCOUNT_SID, AUTH_TOKEN, ROLE_SID, SERVICE_SID, Host, twilio_error

AUTH = (ACCOUNT_SID, AUTH_TOKEN)
JSON = "application/json; charset=utf-8"


class AuthAndForwardingTest(host.HostTestCase):
    FLAGS = ("--service", SERVICE_SID, "--role", ROLE_SID)

    def get(self, url, **kwargs):
        return self.session.get(url, **kwargs)

    def assertUnauthorized(self, response):
        self.assertTrue(twilio_error(response, 401, 20003), response.text)
        self.assertEqual(response.json()["message"], "Authenticate")
        self.assertEqual(response.headers["WWW-Authenticate"], 'Basic realm="Twilio API"')
        self.assertEqual(response.headers["Content-Type"], JSON)

    def test_missing_or_wrong_credentials_get_401_20003(self):
        def basic(raw):
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        cases = {
            "no header": {},
            "wrong token": basic(b"%s:nope" % ACCOUNT_SID.encode()),
            "wrong account": basic(b"AC" + b"1" * 32 + b":" + AUTH_TOKEN.encode()),
            "token as user": basic(b"%s:%s" % (AUTH_TOKEN.encode(), ACCOUNT_SID.encode())),
            "no colon": basic(ACCOUNT_SID.encode() + AUTH_TOKEN.encode()),
            "token prefix": basic(b"%s:%s" % (ACCOUNT_SID.encode(), AUTH_TOKEN[:-1].encode())),
            "token plus more": basic(b"%s:%sx" % (ACCOUNT_SID.encode(), AUTH_TOKEN.encode())),
            "empty": basic(b":"),
            "not base64": {"Authorization": "Basic !!!not-base64!!!"},
            "bearer": {"Authorization": "Bearer " + AUTH_TOKEN},
            "scheme only": {"Authorization": "Basic"},
        }
        for name, headers in cases.items():
            with self.subTest(name):
                self.assertUnauthorized(self.get(self.users_url, headers=headers))
                self.assertUnauthorized(self.session.post(
                    self.users_url, data={"Identity": "intruder-" + name}, headers=headers))
        # Nothing was created, and the right credentials work, with the
        # scheme in any case.
        self.assertEqual(self.get(self.users_url + "/intruder-no%20header", auth=AUTH)
                         .status_code, 404)
        token = base64.b64encode(("%s:%s" % AUTH).encode()).decode()
        for scheme in ["Basic", "basic", "BASIC"]:
            response = self.get(self.users_url, headers={"Authorization": scheme + " " + token})
            self.assertEqual(response.status_code, 200, response.text)

    def test_a_401_on_a_keep_alive_connection_leaves_it_usable(self):
        # The body of a rejected POST is read, so the next request on the
        # same connection parses.
        session = requests.Session()
        self.host.sessions.append(session)
        response = session.post(self.users_url, data={"Attributes": "x" * 20000},
                                auth=(ACCOUNT_SID, "wrong"))
        self.assertUnauthorized(response)
        response = session.post(self.users_url, data={"Identity": "after-401"}, auth=AUTH)
        self.assertEqual(response.status_code, 201, response.text)

    def test_requests_reach_the_facade_unchanged(self):
        # Raw target (percent-encoding kept for the facade), headers, body.
        response = self.session.post(
            self.users_url, auth=AUTH,
            data="Identity=team%2Falice&FriendlyName=A+B&Attributes=%7B%22k%22%3A1%7D",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Twilio-Webhook-Enabled": "true"})
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.headers["Content-Type"], JSON)
        user = response.json()
        self.assertEqual((user["identity"], user["friendly_name"], user["attributes"]),
                         ("team/alice", "A B", '{"k":1}'))
        response = self.get(self.users_url + "/team%2Falice", auth=AUTH)
        self.assertEqual(response.json()["sid"], user["sid"])
        # The facade sees the webhook header (an invalid value is its 400).
        response = self.session.post(self.users_url, auth=AUTH, data={"Identity": "w"},
                                     headers={"X-Twilio-Webhook-Enabled": "maybe"})
        self.assertTrue(twilio_error(response, 400, 20001), response.text)
        # 204 has an empty body.
        response = self.session.delete(self.users_url + "/team%2Falice", auth=AUTH)
        self.assertEqual(response.status_code, 204)
        self.assertEqual(response.content, b"")

    def test_a_16_kib_attributes_fits(self):
        # 16 KiB of attributes is ~48 KiB once form-encoded: more than
        # httplib's own 8 KiB limit for form bodies, which the host avoids.
        attributes = '{"k":"' + "%" * 16376 + '"}'  # '%' is sent as %25
        self.assertEqual(len(attributes.encode()), 16384)
        response = self.session.post(self.users_url, auth=AUTH,
                                     data={"Identity": "big", "Attributes": attributes})
        self.assertEqual(response.status_code, 201, response.text)
        self.assertEqual(response.json()["attributes"], attributes)

    def test_methods_and_paths_the_facade_refuses(self):
        response = self.session.put(self.users_url + "/someone", auth=AUTH)
        self.assertTrue(twilio_error(response, 405, 20001), response.text)
        self.assertEqual(response.headers["Allow"], "GET, HEAD, POST, DELETE")
        response = self.session.patch(self.users_url, auth=AUTH)
        self.assertTrue(twilio_error(response, 405, 20001), response.text)
        self.assertEqual(response.headers["Allow"], "GET, HEAD, POST")
        # HEAD is served wherever GET is (RFC 9110 §9.3.2): GET's status, no body.
        response = self.session.head(self.users_url, auth=AUTH)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"")
        response = self.get(self.host.origin + "/v2/Nope", auth=AUTH)
        self.assertTrue(twilio_error(response, 404, 20404), response.text)
        # A decoded %0A still reaches the facade (not httplib's empty 404).
        response = self.get(self.users_url + "%0A/x", auth=AUTH)
        self.assertTrue(twilio_error(response, 404, 20404), response.text)
        # An unknown Service (the host has --service).
        response = self.get("%s/v2/Services/IS%s/Users" % (self.host.origin, "e" * 32),
                            auth=AUTH)
        self.assertTrue(twilio_error(response, 404, 20404), response.text)

    def test_head_gets_get_status_and_headers_without_content(self):
        # RFC 9110 §9.3.2. Needs the facade's HEAD support (src/rest/).
        response = self.session.post(self.users_url, data={"Identity": "head-me"}, auth=AUTH)
        self.assertEqual(response.status_code, 201, response.text)
        auth = "Authorization: Basic %s\r\n" % base64.b64encode(
            ("%s:%s" % AUTH).encode()).decode()
        base = "/v2/Services/%s/Users" % SERVICE_SID
        for path, status in [(base + "/head-me", 200), (base, 200),
                             (base + "/" + response.json()["sid"], 200),
                             (base + "/nobody", 404)]:
            with self.subTest(path=path):
                get = self.get(self.host.origin + path, auth=AUTH)
                self.assertEqual(get.status_code, status)
                # A raw HEAD on its own connection: whatever follows the
                # header block until the server closes would be content.
                raw = self.host.raw_request(
                    ("HEAD %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n"
                     % (path, auth)).encode())
                head, sep, content = raw.partition(b"\r\n\r\n")
                self.assertEqual(sep, b"\r\n\r\n", raw)
                self.assertEqual(content, b"")
                lines = head.decode().split("\r\n")
                self.assertEqual(lines[0].split(" ")[1], str(status), raw)
                headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip()
                           for l in lines[1:]}
                self.assertEqual(headers["content-type"], JSON)
                self.assertEqual(int(headers["content-length"]), len(get.content))
        # requests' own HEAD on a keep-alive connection, then a GET on it.
        response = self.session.head(self.users_url + "/head-me", auth=AUTH)
        self.assertEqual((response.status_code, response.content), (200, b""))
        self.assertEqual(self.get(self.users_url + "/head-me", auth=AUTH).json()["identity"],
                         "head-me")

    def test_oversized_requests_get_twilio_error_bodies(self):
        # Over the facade's 64 KiB body limit: its 400.
        response = self.session.post(self.users_url, auth=AUTH,
                                     data={"Identity": "x", "Attributes": "a" * 70000})
        self.assertTrue(twilio_error(response, 400, 20001), response.text)
        self.assertIn("Request body too long", response.json()["message"])
        # Over the host's 1 MiB read limit: 413, still a Twilio body.
        response = self.session.post(self.users_url, auth=AUTH,
                                     data={"Identity": "x", "Attributes": "a" * (1 << 20)})
        self.assertTrue(twilio_error(response, 413, 20001), response.text)
        # A request target over httplib's 8 KiB: 414 with a Twilio body.
        response = self.get(self.users_url + "/" + "k" * 9000, auth=AUTH)
        self.assertTrue(twilio_error(response, 414, 20001), response.text)

    def test_one_log_line_per_request(self):
        marker = "log-marker-%d" % time.monotonic_ns()
        self.get(self.users_url + "/" + marker, auth=AUTH)  # 404
        self.session.post(self.users_url, data={"Identity": marker}, auth=AUTH)  # 201
        self.get(self.users_url + "/" + marker, auth=AUTH)  # 200
        self.get(self.users_url + "/" + marker)  # 401
        marker_lines = self.host.log_lines_matching(marker, 3)
        pattern = re.compile(
            r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ 127\.0\.0\.1:\d+ '
            r'"(GET|POST) (\S+) HTTP/1\.1" (\d{3}) (\d+) (\d+(\.\d+)?ms)$')
        matches = [pattern.match(l) for l in marker_lines]
        self.assertTrue(all(matches), marker_lines)
        self.assertEqual([m.group(3) for m in matches], ["404", "200", "401"])
        for match in matches:
            self.assertEqual(match.group(2), "/v2/Services/%s/Users/%s" % (SERVICE_SID, marker))
        # No credential ever reaches the log.
        self.assertNotIn(AUTH_TOKEN, self.host.log())

    def test_expect_100_continue_is_answered_before_the_body(self):
        # The host holds a response's header block until its body is written
        # (one segment); an interim "100 Continue" must still go out before
        # the host waits for the body the client holds back.
        body = b"Identity=continue-%d" % time.monotonic_ns()
        credentials = base64.b64encode(("%s:%s" % AUTH).encode()).decode()
        with socket.create_connection(("127.0.0.1", self.host.port), timeout=5) as s:
            s.sendall(("POST /v2/Services/%s/Users HTTP/1.1\r\nHost: x\r\n"
                       "Authorization: Basic %s\r\n"
                       "Content-Type: application/x-www-form-urlencoded\r\n"
                       "Content-Length: %d\r\nExpect: 100-continue\r\n"
                       "Connection: close\r\n\r\n" %
                       (SERVICE_SID, credentials, len(body))).encode())
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                chunk = s.recv(1)
                self.assertTrue(chunk, interim)
                interim += chunk
            self.assertEqual(interim, b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(body)
            response = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                response += chunk
        self.assertTrue(response.startswith(b"HTTP/1.1 201 "), response[:200])

    def test_client_bytes_are_escaped_in_the_log(self):
        # ESC sequences, CR, DEL, '"', '\\' and non-ASCII bytes in the request
        # target (and method) reach the log C-escaped, one line per request,
        # for a 401 and for authenticated requests alike.
        marker = "esc-%d" % time.monotonic_ns()
        auth = "Authorization: Basic %s\r\n" % base64.b64encode(
            ("%s:%s" % AUTH).encode()).decode()
        prefix = "/v2/Services/%s/Users/" % SERVICE_SID
        cases = [  # (raw target suffix, escaped in the log, credentials)
            (b"\x1b[2J\x1b]0;pwned\x07", r"\x1b[2J\x1b]0;pwned\x07", ""),
            (b"a\rb\x7f\"c\\d", r"a\rb\x7f\"c\\d", ""),
            (b"\xff\xfe\x1b[31m", r"\xff\xfe\x1b[31m", auth),
            (b"q\"\x7f\r", r"q\"\x7f\r", auth),
        ]
        statuses = []
        for i, (raw, escaped, credentials) in enumerate(cases):
            target = prefix.encode() + ("%s-%d-" % (marker, i)).encode() + raw
            response = self.host.raw_request(
                b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n" + credentials.encode() +
                b"Connection: close\r\n\r\n")
            statuses.append(response[9:12].decode())
        # Unauthenticated: 401; with credentials the facade's 400 (the raw
        # bytes are not valid in a request target).
        self.assertEqual(statuses, ["401", "401", "400", "400"])
        lines = self.host.log_lines_matching(marker, len(cases))
        self.assertEqual(len(lines), len(cases), lines)
        for i, (raw, escaped, credentials) in enumerate(cases):
            expected = '"GET %s%s-%d-%s HTTP/1.1" %s ' % (
                prefix, marker, i, escaped, statuses[i])
            self.assertEqual(sum(expected in line for line in lines), 1, (expected, lines))
        # Nothing but printable ASCII and newlines in the whole log.
        log = self.host.log_bytes()
        self.assertEqual([b for b in set(log) if (b < 0x20 and b != 0x0a) or b >= 0x7f], [])


class FlagsTest(unittest.TestCase):

    def run_host(self, *args, env=None, credentials=True):
        full_env = dict(host.os.environ)
        full_env.pop("TWILIO_ACCOUNT_SID", None)
        full_env.pop("TWILIO_AUTH_TOKEN", None)
        if credentials:
            full_env.update({"TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                             "TWILIO_AUTH_TOKEN": AUTH_TOKEN})
        full_env.update(env or {})
        return subprocess.run([host.server_binary()] + list(args), env=full_env,
                              capture_output=True, text=True, timeout=60)

    def test_help_and_version(self):
        out = self.run_host("--help", credentials=False)
        self.assertEqual(out.returncode, 0)
        self.assertIn("usage: userstore-http", out.stdout)
        for flag in ["--port", "--base-url", "--service", "--role", "--account-sid",
                     "--auth-token", "--host", "--data-dir", "--sync", "--no-sync", "--log"]:
            self.assertIn(flag, out.stdout)
        out = self.run_host("--version", credentials=False)
        self.assertEqual((out.returncode, out.stdout), (0, "userstore-http 0.1.0\n"))

    def test_bad_command_lines_exit_2(self):
        cases = [
            (["--port", "x"], "--port must be an integer"),
            (["--port", "65536"], "--port must be an integer"),
            (["--port=-1"], "--port must be an integer"),
            (["--port"], "needs a value"),
            (["--bogus", "1"], "unknown flag '--bogus'"),
            (["stray"], "unexpected argument 'stray'"),
            (["--role", ROLE_SID], "--role needs at least one --service"),
            (["--port", "0", "--service", "IS123"], "--service IS123"),
            (["--port", "0", "--service", SERVICE_SID, "--service", SERVICE_SID],
             "--service " + SERVICE_SID),
            (["--port", "0", "--service", SERVICE_SID, "--role", "RLxyz"], "--role RLxyz"),
            (["--service="], "--service needs a SID, not an empty value"),
            (["--service", ""], "--service needs a SID, not an empty value"),
            (["--service", SERVICE_SID, "--role="], "--role needs a SID, not an empty value"),
            (["--port", "0", "--service", SERVICE_SID, "--service", SERVICE_SID.upper()],
             "--service %s: given twice" % SERVICE_SID),
            (["--port", "0", "--service", "IS" + "Ab" * 16, "--service", "IS" + "aB" * 16],
             "--service IS%s: given twice" % ("ab" * 16)),
            (["--port", "0", "--service", SERVICE_SID, "--role", ROLE_SID,
              "--role", "RL" + ROLE_SID[2:].upper()], "--role %s: given twice" % ROLE_SID),
            (["--port", "0", "--account-sid", "AC123"], ""),
            (["--port", "0", "--base-url", "ftp://x"], ""),
            (["--log", "quiet"], "--log must be 'on' or 'off', not 'quiet'"),
            (["--log"], "flag --log needs a value"),
        ]
        for args, message in cases:
            with self.subTest(args=args):
                out = self.run_host(*args)
                self.assertEqual(out.returncode, 2, out.stderr)
                self.assertIn(message, out.stderr)
                self.assertEqual(out.stdout, "")

    def test_credentials_are_required(self):
        out = self.run_host("--port", "0", credentials=False)
        self.assertEqual(out.returncode, 2)
        self.assertIn("no account SID", out.stderr)
        out = self.run_host("--port", "0", credentials=False,
                            env={"TWILIO_ACCOUNT_SID": ACCOUNT_SID})
        self.assertEqual(out.returncode, 2)
        self.assertIn("no auth token", out.stderr)
        out = self.run_host("--port", "0", "--account-sid", ACCOUNT_SID, "--auth-token", "",
                            credentials=False)
        self.assertEqual(out.returncode, 2)
        self.assertIn("no auth token", out.stderr)

    def test_log_off_writes_no_request_lines(self):
        for log in ["off", "on"]:
            with self.subTest(log=log), Host("--service", SERVICE_SID, "--log=" + log) as h:
                with requests.Session() as s:
                    url = "%s/v2/Services/%s/Users" % (h.origin, SERVICE_SID)
                    self.assertEqual(s.post(url, data={"Identity": "quiet"}, auth=AUTH)
                                     .status_code, 201)
                    self.assertEqual(s.get(url + "/quiet", auth=AUTH).status_code, 200)
                    self.assertEqual(s.get(url + "/quiet").status_code, 401)
                self.assertEqual(h.stop(), 0, h.log())
                request_lines = [l for l in h.log().splitlines() if "/Users" in l]
                self.assertEqual(len(request_lines), 0 if log == "off" else 3, h.log())
                self.assertIn("userstore-http: base URL", h.log())

    def test_flags_override_the_environment(self):
        other_sid, other_token = "AC" + "9" * 32, "flag-token"
        with Host("--account-sid", other_sid, "--auth-token=" + other_token) as h:
            with requests.Session() as s:
                url = "%s/v2/Services/%s/Users" % (h.origin, SERVICE_SID)
                self.assertEqual(s.get(url, auth=AUTH).status_code, 401)
                response = s.post(url, data={"Identity": "x"}, auth=(other_sid, other_token))
                self.assertEqual(response.status_code, 201, response.text)
                self.assertEqual(response.json()["account_sid"], other_sid)
            self.assertEqual(h.stop(), 0, h.log())

    def test_account_sid_in_another_hex_case_is_canonical(self):
        # --account-sid ACABCD... is the account ACabcd...: responses carry
        # that spelling and clients authenticate with it. The upper-case
        # spelling of the user name is not accepted (Twilio's SIDs are
        # lowercase hex and compared as given).
        canonical = "AC" + "abcdef0123456789" * 2
        typed = "AC" + canonical[2:].upper()
        for flag in (["--account-sid", typed], ["--account-sid=" + typed]):
            with self.subTest(flag=flag), Host("--service", SERVICE_SID.upper(), *flag) as h:
                with requests.Session() as s:
                    url = "%s/v2/Services/%s/Users" % (h.origin, SERVICE_SID)
                    response = s.post(url, data={"Identity": "x"}, auth=(canonical, AUTH_TOKEN))
                    self.assertEqual(response.status_code, 201, response.text)
                    self.assertEqual(response.json()["account_sid"], canonical)
                    self.assertEqual(response.json()["service_sid"], SERVICE_SID)
                    self.assertEqual(s.get(url, auth=(typed, AUTH_TOKEN)).status_code, 401)
                self.assertEqual(h.stop(), 0, h.log())
                self.assertIn("account %s" % canonical, h.log())
        # The same from the environment.
        with Host("--service", SERVICE_SID, env={"TWILIO_ACCOUNT_SID": typed}) as h:
            with requests.Session() as s:
                url = "%s/v2/Services/%s/Users" % (h.origin, SERVICE_SID)
                self.assertEqual(s.get(url, auth=(canonical, AUTH_TOKEN)).status_code, 200)
                self.assertEqual(s.get(url, auth=(typed, AUTH_TOKEN)).status_code, 401)
            self.assertEqual(h.stop(), 0, h.log())

    def test_services_are_created_on_first_use_without_service(self):
        with Host() as h:
            with requests.Session() as s:
                service = "IS" + "5" * 32
                url = "%s/v2/Services/%s/Users" % (h.origin, service)
                response = s.post(url, data={"Identity": "first"}, auth=AUTH)
                self.assertEqual(response.status_code, 201, response.text)
                self.assertEqual(response.json()["service_sid"], service)
                # The default base URL is the host itself.
                self.assertEqual(response.json()["url"], "%s/%s" % (url, response.json()["sid"]))
            self.assertEqual(h.stop(), 0, h.log())

    def test_base_url_with_a_path(self):
        with Host("--service", SERVICE_SID, "--base-url", "http://example.test/api/chat/v2") as h:
            with requests.Session() as s:
                url = "%s/api/chat/v2/Services/%s/Users" % (h.origin, SERVICE_SID)
                response = s.post(url, data={"Identity": "p"}, auth=AUTH)
                self.assertEqual(response.status_code, 201, response.text)
                self.assertTrue(response.json()["url"].startswith(
                    "http://example.test/api/chat/v2/Services/"))
                self.assertEqual(s.get(h.origin + "/v2/Services/%s/Users" % SERVICE_SID,
                                       auth=AUTH).status_code, 404)
            self.assertEqual(h.stop(), 0, h.log())

    def test_sigterm_and_sigint_stop_it_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig):
                h = Host().start()
                with requests.Session() as s:
                    self.assertEqual(s.get(h.origin + "/v2/Nope", auth=AUTH).status_code, 404)
                started = time.monotonic()
                h.proc.send_signal(sig)
                self.assertEqual(h.proc.wait(timeout=30), 0)
                self.assertLess(time.monotonic() - started, 10)
                h.stop()

    def test_port_in_use_exits_1(self):
        with Host() as h:
            out = self.run_host("--port", str(h.port))
            self.assertEqual(out.returncode, 1)
            self.assertIn("cannot bind 127.0.0.1:%d" % h.port, out.stderr)


if __name__ == "__main__":
    unittest.main()
