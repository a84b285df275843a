"""Runs examples/http_server (userstore-http) for the Python tests.

The binary comes from the environment variable USERSTORE_HTTP_SERVER (ctest
sets it; see tests/python/CMakeLists.txt). Each Host is one server process on
a free loopback port (--port 0), with its log (stderr) in a temporary file.
SharedHosts is several of them serving one PostgreSQL database
(`--postgres`), and clients that send each request to the next host in turn.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

import requests
import requests.adapters
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "postgres"))
import pg_support  # noqa: E402

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "a-secret-token"
SERVICE_SID = "IS" + "a" * 32
PAGING_SERVICE_SID = "IS" + "b" * 32
ROLE_SID = "RL" + "c" * 32
TWILIO_CHAT_ORIGIN = "https://chat.twilio.com"

_LISTENING = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+))$")


def server_binary():
    binary = os.environ.get("USERSTORE_HTTP_SERVER")
    if not binary:
        raise RuntimeError(
            "set USERSTORE_HTTP_SERVER to the userstore-http binary "
            "(ctest does: ctest -R python_)")
    return binary


def check(condition, message="check failed"):
    """An assert that python -O cannot remove (for helpers, not tests)."""
    if not condition:
        raise AssertionError(message)


class Host:
    """One userstore-http process. Use as a context manager or start/stop."""

    def __init__(self, *args, env=None, credentials=True):
        self.args = list(args)
        self.env = dict(os.environ)
        if credentials:
            self.env["TWILIO_ACCOUNT_SID"] = ACCOUNT_SID
            self.env["TWILIO_AUTH_TOKEN"] = AUTH_TOKEN
        self.env.update(env or {})
        self.proc = None
        self.sessions = []  # requests sessions to close before stopping
        self.origin = None  # http://127.0.0.1:PORT
        self.port = None
        self._log_path = None  # the server's stderr, while it runs
        self._final_log = ""

    def start(self):
        # The server appends to its own open file (O_APPEND); log() reads the
        # file through another one. (Sharing one open file, and so one file
        # offset, let a server write land at the reader's seek(0) and hide
        # or overwrite earlier lines.)
        fd, self._log_path = tempfile.mkstemp(prefix="userstore-http-", suffix=".log")
        os.close(fd)
        try:
            with open(self._log_path, "ab") as server_log:
                self.proc = subprocess.Popen(
                    [server_binary(), "--port", "0"] + self.args,
                    stdout=subprocess.PIPE, stderr=server_log, env=self.env,
                    text=True)
        except BaseException:
            os.unlink(self._log_path)
            self._log_path = None
            raise
        # The first stdout line names the bound port; a dead process gives "".
        timer = threading.Timer(60, self.proc.kill)
        timer.start()
        try:
            line = self.proc.stdout.readline().rstrip("\n")
        finally:
            timer.cancel()
        match = _LISTENING.match(line)
        if not match:
            self.proc.kill()
            self.proc.wait()
            self._close_files()
            raise RuntimeError("userstore-http did not start: %r\n%s" %
                               (line, self.log()))
        self.origin = match.group(1)
        self.port = int(match.group(2))
        return self

    def stop(self):
        """SIGTERM; returns the exit status (0 for a clean stop).

        The clients' keep-alive connections are closed first: the server
        finishes the connections it has before it exits, and an idle one
        only ends at httplib's keep-alive timeout (5 s)."""
        for session in self.sessions:
            session.close()
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    raise
        finally:
            self._close_files()
        return self.proc.returncode

    def _close_files(self):
        if self._log_path is None:
            return
        self.proc.stdout.close()
        self._final_log = self.log()
        os.unlink(self._log_path)
        self._log_path = None

    def log(self):
        """The server's stderr so far (its request log)."""
        if self._log_path is None:
            return self._final_log
        with open(self._log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def log_bytes(self):
        """The server's stderr so far, undecoded."""
        if self._log_path is None:
            return self._final_log.encode("utf-8", errors="replace")
        with open(self._log_path, "rb") as f:
            return f.read()

    def raw_request(self, data, timeout=30.0):
        """Sends `data` (bytes) on a new connection, returns everything the
        server sends until it closes the connection."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            received = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return received
                received += chunk

    def log_lines_matching(self, pattern, count, timeout=10.0):
        """Waits until `count` log lines match `pattern`; returns them all.
        (The server writes a request's line just after its response.)"""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            lines = [l for l in self.log().splitlines() if regex.search(l)]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    def client(self, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN,
               http_client=None):
        """twilio.rest.Client whose Chat domain points at this host: the
        domain's base_url (https://chat.twilio.com in the library) becomes
        this host's origin. URLs in responses (next_page_url included) point
        here already, since --base-url defaults to http://127.0.0.1:PORT/v2."""
        client = Client(account_sid, auth_token, http_client=http_client)
        client.chat.base_url = self.origin
        if client.http_client.session is not None:
            self.sessions.append(client.http_client.session)
        return client

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class AlternatingAdapter(requests.adapters.HTTPAdapter):
    """A requests transport that sends each request for `hosts.origin` to
    the next of `hosts` in turn (the URL's origin replaced by that host's),
    then, after a write that succeeded, waits until every other host shows
    it (SharedHosts.wait_replicated). A URL of any other origin is refused:
    nothing leaves this machine."""

    def __init__(self, hosts):
        super().__init__()
        self.hosts = hosts

    def send(self, request, **kwargs):
        origin = self.hosts.origin
        if not request.url.startswith(origin + "/"):
            raise requests.exceptions.InvalidURL(
                "%s is not at %s, the shared hosts' origin" % (request.url, origin))
        target = request.url[len(origin):]
        writer = self.hosts.next_host()
        request.url = writer.origin + target
        kwargs["proxies"] = {}
        response = super().send(request, **kwargs)
        self.hosts.wait_replicated(request.method, target, response, writer,
                                   request.headers.get("Authorization"))
        return response


class SharedHosts:
    """COUNT userstore-http processes serving one fresh PostgreSQL database
    (`--postgres`, pg_support.TempDatabase), each with its own
    --replica-name, started one after another with the same flags and
    `--read-consistency CONSISTENCY`.

    They all run with --base-url ORIGIN/v2, ORIGIN being a name only the
    clients know (http://userstore-hosts.invalid, or the origin of a
    --base-url given in the flags): client() returns a twilio Client whose
    requests go to the hosts in turn (AlternatingAdapter), so every `url`
    and next_page_url the hosts return is followed on the next host.

    Another host applies a write through its replication stream, a few
    milliseconds later; with `wait` (the default) the client makes a
    write's answer wait until every other host shows it (GET of the written
    user equal to the answer, or 404 after a delete), at most 10 s, so that
    a test reading right after a write reads it wherever the read goes.

    Host-like: start(), stop() (the hosts, then DROP DATABASE ... WITH
    (FORCE)), log(), origin, sessions, client(). Skips the test (class)
    when USERSTORE_PG_CONNINFO is not set."""

    ORIGIN = "http://userstore-hosts.invalid"
    WAIT_SECONDS = 10.0

    def __init__(self, *args, count=2, consistency="after-own-writes", wait=True, env=None,
                 host_flags=None):
        self.args = list(args)
        # Flags of host i only, after the common ones (host_flags[i]).
        self.host_flags = [list(f) for f in (host_flags or [])]
        self.origin = self.ORIGIN
        if "--base-url" in self.args:
            url = urllib.parse.urlsplit(self.args[self.args.index("--base-url") + 1])
            self.origin = "%s://%s" % (url.scheme, url.netloc)
        else:
            self.args += ["--base-url", self.origin + "/v2"]
        self.count = count
        self.consistency = consistency
        self.wait = wait
        self.env = env
        self.db = None
        self.hosts = []
        self.sessions = []
        self._turn = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self.lags = []  # seconds from a write's answer until the last other host showed it

    def start(self):
        reason = pg_support.skip_reason()
        if reason is not None:
            raise unittest.SkipTest(reason)
        self.db = pg_support.TempDatabase("hosts").create()
        try:
            for i in range(self.count):
                name = pg_support.random_name("host%d" % i)
                own = self.host_flags[i] if i < len(self.host_flags) else []
                self.hosts.append(Host("--postgres", self.db.conninfo, "--replica-name", name,
                                       "--read-consistency", self.consistency, *self.args,
                                       *own, env=self.env).start())
            self._await_services()
        except BaseException:
            self.stop()
            raise
        return self

    def _await_services(self):
        """Waits until every host serves every --service of any host (one
        created by a host started later reaches the others by the stream)."""
        flags = self.args + [f for own in self.host_flags for f in own]
        services = [flags[i + 1] for i, f in enumerate(flags[:-1]) if f == "--service"]
        for sid in services:
            for h in self.hosts:
                deadline = time.monotonic() + self.WAIT_SECONDS
                while True:
                    got = self._poller().get("%s/v2/Services/%s" % (h.origin, sid),
                                             auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=10)
                    if got.status_code == 200:
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError("%s does not serve %s: %d %s" %
                                           (h.origin, sid, got.status_code, got.text[:300]))
                    time.sleep(0.005)

    def stop(self):
        """Stops every host (SIGTERM), then drops the database; returns 0
        when every host exited 0, else the first other status."""
        for session in self.sessions:
            session.close()
        status = 0
        try:
            for h in self.hosts:
                code = h.stop()
                if code != 0 and status == 0:
                    status = code
        finally:
            if self.db is not None:
                self.db.drop()
                self.db = None
        return status

    def log(self):
        return "".join("---- host %d (%s) ----\n%s" % (i, h.origin, h.log())
                       for i, h in enumerate(self.hosts))

    def next_host(self):
        with self._lock:
            h = self.hosts[self._turn % len(self.hosts)]
            self._turn += 1
            return h

    def mount(self, session):
        """Sends `session`'s requests through an AlternatingAdapter (for
        both schemes, so no request can go elsewhere)."""
        adapter = AlternatingAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self.sessions.append(session)
        return session

    def client(self, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, http_client=None):
        """twilio.rest.Client at ORIGIN, alternating between the hosts."""
        client = Client(account_sid, auth_token, http_client=http_client)
        client.chat.base_url = self.origin
        if client.http_client.session is None:
            raise ValueError("SharedHosts needs a pooling http_client (it holds the adapter)")
        self.mount(client.http_client.session)
        return client

    def _poller(self):
        """This thread's session for the catch-up GETs."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            self._local.session = session
            with self._lock:
                self.sessions.append(session)
        return session

    def wait_replicated(self, method, target, response, writer, authorization):
        """After `writer` answered a write of `target` (path and query) with
        `response`: waits until every other host shows it. A create or update
        (a POST answered 200/201 with a body holding a `url` at ORIGIN): a GET
        of that url answers 200 with the same body; a delete (DELETE answered
        204): a GET of `target` answers 404. Anything else: no wait."""
        if not self.wait or len(self.hosts) < 2:
            return
        if method == "DELETE" and response.status_code == 204:
            path, expected = urllib.parse.urlsplit(target).path, None
        elif method == "POST" and response.status_code in (200, 201):
            try:
                expected = response.json()
            except ValueError:
                return
            url = expected.get("url") if isinstance(expected, dict) else None
            if not url or not url.startswith(self.origin + "/"):
                return
            path = url[len(self.origin):]
        else:
            return
        answered = time.monotonic()
        headers = {"Authorization": authorization} if authorization else {}
        for other in self.hosts:
            if other is writer:
                continue
            deadline = answered + self.WAIT_SECONDS
            while True:
                got = self._poller().get(other.origin + path, headers=headers, timeout=10)
                if expected is None:
                    if got.status_code == 404:
                        break
                elif got.status_code == 200 and same_user(got.json(), expected):
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(
                        "%s %s on %s: %s still answers %d %s after %.0f s" %
                        (method, target, writer.origin, other.origin, got.status_code,
                         got.text[:300], self.WAIT_SECONDS))
                time.sleep(0.001)
        self.lags.append(time.monotonic() - answered)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def same_user(a, b):
    """Two answers for one resource agree, presence (is_online,
    is_notifiable: each host's own) aside."""
    ignore = {"is_online", "is_notifiable"}
    return ({k: v for k, v in a.items() if k not in ignore} ==
            {k: v for k, v in b.items() if k not in ignore})


class RecordingHttpClient(TwilioHttpClient):
    """TwilioHttpClient that records (method, url, params) of each request."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.requests = []

    def request(self, method, url, params=None, **kwargs):
        self.requests.append((method, url, dict(params or {})))
        return super().request(method, url, params=params, **kwargs)


class RewritingHttpClient(RecordingHttpClient):
    """TwilioHttpClient that sends requests for https://chat.twilio.com to
    another origin: the client keeps Twilio's own URLs (and the host is run
    with --base-url https://chat.twilio.com/v2, so responses carry them too).
    """

    def __init__(self, origin, **kwargs):
        super().__init__(**kwargs)
        self.origin = origin

    def request(self, method, url, params=None, **kwargs):
        check(url.startswith(TWILIO_CHAT_ORIGIN + "/"), url)
        self.requests.append((method, url, dict(params or {})))  # as the client sent it
        return TwilioHttpClient.request(self, method,
                                        self.origin + url[len(TWILIO_CHAT_ORIGIN):],
                                        params=params, **kwargs)


def twilio_error(response, status, code):
    """The Twilio error body: exactly code, message, more_info, status."""
    body = response.json()
    return (response.status_code == status and body["status"] == status
            and body["code"] == code
            and body["more_info"] == "https://www.twilio.com/docs/errors/%d" % code
            and set(body) == {"code", "message", "more_info", "status"})


class HostTestCase(unittest.TestCase):
    """One host per test class, started with the class's FLAGS, with a
    requests session (no default credentials) closed before it stops, and
    users_url, SERVICE_SID's Users collection on it."""
    FLAGS = ("--service", SERVICE_SID)

    @classmethod
    def setUpClass(cls):
        cls.host = Host(*cls.FLAGS).start()
        cls.session = requests.Session()
        cls.host.sessions.append(cls.session)
        cls.users_url = "%s/v2/Services/%s/Users" % (cls.host.origin, SERVICE_SID)

    @classmethod
    def tearDownClass(cls):
        status = cls.host.stop()
        if status != 0:
            raise AssertionError("userstore-http exited %r\n%s" % (status, cls.host.log()))


class AuthenticatedTestCase(HostTestCase):
    """A HostTestCase whose session sends the host's credentials, with
    helpers to create a user (expecting 201) and name its URL."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.session.auth = (ACCOUNT_SID, AUTH_TOKEN)

    def create(self, identity, **params):
        response = self.session.post(self.users_url, data=dict(Identity=identity, **params))
        self.assertEqual(response.status_code, 201, response.text)
        return response

    def user_url(self, identity):
        return self.users_url + "/" + identity
