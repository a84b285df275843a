#!/usr/bin/env python3
"""ctest: `userstore events` (the change feed as NDJSON, --follow) and the
events table of `userstore stats`.

Usage: check_events.py USERSTORE_BINARY

In a fresh temporary directory:
 1. a `stdio --data-dir DIR --create-services` session writes to IS_A:
    create alice (X-Twilio-Webhook-Enabled: true), update her FriendlyName,
    create bob, delete bob; and to IS_B: create carol. While it still runs,
    `events --data-dir DIR` prints 5 lines, each a JSON object: IS_A's
    sequences 1..4 then IS_B's 1 (Services in SID order), the types, the
    changed fields, webhook_enabled, origin, a time with microseconds, and
    each `user` exactly the body the session's write returned (bob's
    removal: bob as he was);
 2. --service/--after/--limit; --after beyond the end is 400/20001 (exit
    1); an unknown Service is Twilio's 404 body (exit 1); --after without
    one --service is a usage error (exit 2);
 3. `events --follow --service IS_A` prints the 4 events, then the events of
    writes the session makes afterwards (another process), as they come;
    SIGTERM ends it with status 0; `events --follow` (all Services) picks up
    a Service created meanwhile; closing its stdout ends it with status 0;
 4. `stats DIR`: per Service, events kept, first, last, and the webhook
    backlog from DIR.webhooks/<IS>.position (missing, a bare number, the
    HTTP host's "delivered_position N" lines, malformed).
Exits non-zero on a mismatch.
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

from cli_support import Session, check, run

IS_A = "IS" + "a" * 32
IS_B = "IS" + "b" * 32
IS_C = "IS" + "c" * 32
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
ALL = ["role_sid", "attributes", "friendly_name", "is_online", "is_notifiable",
       "joined_channels_count"]


def users(service):
    return "/v2/Services/%s/Users" % service


def lines_of(out):
    """Every line of `out` parsed as JSON (each must be one object)."""
    parsed = [json.loads(line) for line in out.splitlines()]
    for item in parsed:
        check(isinstance(item, dict), item)
    return parsed


class Follower:
    """A `userstore events --follow` process whose lines are read with a
    timeout (select on its stdout, read unbuffered)."""

    def __init__(self, binary, *flags):
        self.proc = subprocess.Popen([binary, "events", "--follow"] + list(flags),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        self.buffer = b""

    def take(self, n, timeout=20):
        """The next `n` lines, parsed; fails when they take over `timeout` s."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while self.buffer.count(b"\n") < n:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                raise AssertionError("%d event lines expected within %ss, got %r (exit %s)"
                                     % (n, timeout, self.buffer, self.proc.poll()))
            self.buffer += chunk
        lines = self.buffer.split(b"\n")
        self.buffer = b"\n".join(lines[n:])
        return [json.loads(line) for line in lines[:n]]


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "store")
        s = Session(binary, "--data-dir", data, "--create-services", "--no-sync")
        hooked = dict(FORM, **{"X-Twilio-Webhook-Enabled": "true"})
        st, alice = s.send("POST", users(IS_A), "Identity=alice", hooked)
        check(st == 201, alice)
        st, alice2 = s.send("POST", users(IS_A) + "/alice", "FriendlyName=Al", FORM)
        check(st == 200 and alice2["friendly_name"] == "Al", alice2)
        st, bob = s.send("POST", users(IS_A), "Identity=bob", FORM)
        check(st == 201, bob)
        st, _ = s.send("DELETE", users(IS_A) + "/bob")
        check(st == 204, st)
        st, carol = s.send("POST", users(IS_B), "Identity=carol", FORM)
        check(st == 201, carol)

        # 1. The whole feed, beside the running session.
        code, out, err = run(binary, "events", "--data-dir", data)
        check(code == 0 and err == "", (code, err))
        events = lines_of(out)
        check([(e["service_sid"], e["sequence"]) for e in events]
              == [(IS_A, 1), (IS_A, 2), (IS_A, 3), (IS_A, 4), (IS_B, 1)], out)
        check([e["type"] for e in events] == ["user.added", "user.updated", "user.added",
                                              "user.removed", "user.added"], out)
        check([e["user"] for e in events] == [alice, alice2, bob, bob, carol], out)
        check([e["changed"] for e in events] == [ALL, ["friendly_name"], ALL, ALL, ALL], out)
        check([e["webhook_enabled"] for e in events] == [True, False, False, False, False], out)
        check(all(e["origin"] == "server" for e in events), out)
        check(all(TIME.match(e["time"]) for e in events), out)
        check(list(events[0].keys()) == ["sequence", "service_sid", "type", "time", "changed",
                                         "webhook_enabled", "origin", "user"], events[0])

        # 2. Selection and errors.
        code, out, err = run(binary, "events", "--data-dir", data, "--service", IS_A,
                             "--after", "2")
        check(code == 0, err)
        check([e["sequence"] for e in lines_of(out)] == [3, 4], out)
        code, out, err = run(binary, "events", "--data-dir", data, "--limit", "3")
        check(code == 0 and len(lines_of(out)) == 3, (code, out, err))
        code, out, err = run(binary, "events", "--data-dir", data, "--service", IS_B,
                             "--service", IS_A)
        check(code == 0, err)
        check([(e["service_sid"], e["sequence"]) for e in lines_of(out)]
              == [(IS_B, 1), (IS_A, 1), (IS_A, 2), (IS_A, 3), (IS_A, 4)], out)
        code, out, err = run(binary, "events", "--data-dir", data, "--service", IS_A,
                             "--after", "9")
        check(code == 1 and out == "" and "400/20001" in err and "beyond" in err, (code, err))
        code, out, err = run(binary, "events", "--data-dir", data, "--service", IS_C)
        check(code == 1 and out == "" and json.loads(err)["code"] == 20404, (code, err))
        code, out, err = run(binary, "events", "--data-dir", data, "--after", "1")
        check(code == 2 and "--after needs exactly one --service" in err, (code, err))
        code, out, err = run(binary, "events", "--data-dir", data, "--after", "-1",
                             "--service", IS_A)
        check(code == 2, (code, err))

        # 3. --follow: new writes of another process arrive as they come.
        f = Follower(binary, "--data-dir", data, "--service", IS_A)
        try:
            check([e["sequence"] for e in f.take(4)] == [1, 2, 3, 4])
            st, dave = s.send("POST", users(IS_A), "Identity=dave", FORM)
            check(st == 201, dave)
            got = f.take(1)[0]
            check(got["sequence"] == 5 and got["type"] == "user.added"
                  and got["user"] == dave, got)
            st, dave2 = s.send("POST", users(IS_A) + "/dave", "Attributes=%7B%22k%22%3A1%7D",
                               FORM)
            check(st == 200, dave2)
            got = f.take(1)[0]
            check(got["sequence"] == 6 and got["changed"] == ["attributes"]
                  and got["user"] == dave2, got)
            check(f.proc.poll() is None, "the follower exited")
        finally:
            f.proc.send_signal(signal.SIGTERM)
        check(f.proc.wait(timeout=10) == 0, f.proc.stderr.read().decode())

        f = Follower(binary, "--data-dir", data)
        try:
            check(len(f.take(7)) == 7)
            st, erin = s.send("POST", users(IS_C), "Identity=erin", FORM)
            check(st == 201, erin)
            got = f.take(1)[0]
            check(got["service_sid"] == IS_C and got["sequence"] == 1
                  and got["user"] == erin, got)
            f.proc.stdout.close()  # the reader goes away: exit 0
            check(f.proc.wait(timeout=10) == 0, f.proc.stderr.read().decode())
        finally:
            if f.proc.poll() is None:
                f.proc.kill()
        s.close()

        # 4. stats: the events table and the webhook backlog.
        def events_row(service):
            code, out, err = run(binary, "stats", data)
            check(code == 0 and err == "", (code, err))
            head = out.index("SERVICE                             EVENTS")
            rows = [l for l in out[head:].splitlines() if l.startswith(service)]
            check(len(rows) == 1, out)
            return rows[0].split(None, 4)

        check(events_row(IS_A) == [IS_A, "6", "1", "6", "- (no position file)"],
              events_row(IS_A))
        check(events_row(IS_B)[1:4] == ["1", "1", "1"], events_row(IS_B))
        hooks = data + ".webhooks"
        os.mkdir(hooks)
        position = os.path.join(hooks, IS_A + ".position")
        with open(position, "w") as fh:
            fh.write("2\n")
        check(events_row(IS_A)[4] == "4 (delivered 2)", events_row(IS_A))
        with open(position, "w") as fh:
            fh.write("delivered_position 5\nfeed_position 6\nlost_events 0\n")
        check(events_row(IS_A)[4] == "1 (delivered 5)", events_row(IS_A))
        with open(position, "w") as fh:
            fh.write("five\n")
        check(events_row(IS_A)[4] == "? (malformed position file)", events_row(IS_A))
        check(events_row(IS_B)[4] == "- (no position file)", events_row(IS_B))
        # The position file beside the store keeps it openable.
        code, out, err = run(binary, "check", data)
        check(code == 0, (code, out, err))
    print("ok: events (NDJSON, selection, errors, --follow), stats events and backlog")


if __name__ == "__main__":
    main()
