"""Runs examples/http_server (userstore-http) for the Python tests.

The binary comes from the environment variable USERSTORE_HTTP_SERVER (ctest
sets it; see tests/python/CMakeLists.txt). Each Host is one server process on
a free loopback port (--port 0), with its log (stderr) in a temporary file.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import requests
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

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
