#!/usr/bin/env python3
"""ctest: `userstore get` / `userstore list` beside a running store, and no
Service created without --create-services.

Usage: check_read.py USERSTORE_BINARY

In a fresh temporary directory:
 1. a `stdio --data-dir DIR --create-services` session creates alice and bob
    in one Service and carol in another (the flag creates both Services);
    while it still runs (holding DIR's lock), `get` and `list` on DIR print
    exactly the bodies the session's own fetches return (sid, identity,
    attributes and every other field), in creation order, Services in SID
    order; --service, --limit, --base-url; a SID in upper-case hex; a
    missing user or Service is Twilio's 404 body on stderr, exit 1; `get`
    without --service on a store of two Services names both, exit 2; the
    session goes on writing afterwards, and a new `list` sees its write;
 2. get and list change no file of DIR (names, sizes, modification times);
 3. without --create-services, a `stdio` write naming a mistyped Service is
    404/20404 and creates nothing (list, check); so is a `replay` create;
    with the flag, in memory, it is created;
 4. usage errors of get and list (exit 2).
Exits non-zero on a mismatch.
"""
import json
import os
import subprocess
import sys
import tempfile

IS_A = "IS" + "a" * 32
IS_B = "IS" + "b" * 32
IS_TYPO = "IS" + "a" * 31 + "c"  # one digit off IS_A
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def check(condition, message="check failed"):
    """An assert that python -O cannot remove."""
    if not condition:
        raise AssertionError(message)


def run(binary, *args, stdin=None):
    p = subprocess.run([binary] + list(args), capture_output=True, text=True,
                       input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def req(method, path, body=None, headers=None):
    line = {"method": method, "path": path}
    if headers is not None:
        line["headers"] = headers
    if body is not None:
        line["body"] = body
    return json.dumps(line) + "\n"


def users_path(service):
    return "/v2/Services/%s/Users" % service


def ndjson(text):
    check(text.endswith("\n") or text == "", repr(text))
    return [json.loads(line) for line in text.splitlines()]


def not_found_body(stderr, resource):
    body = json.loads(stderr)
    check(body == {"code": 20404,
                   "message": "The requested resource %s was not found" % resource,
                   "more_info": "https://www.twilio.com/docs/errors/20404",
                   "status": 404}, body)
    return body


class Session:
    """A `userstore stdio` process, one request line in, one response out."""

    def __init__(self, binary, *flags):
        self.proc = subprocess.Popen([binary, "stdio"] + list(flags),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.raw = {}  # (method, path) -> the last response body, as sent

    def send(self, method, path, body=None, headers=None):
        self.proc.stdin.write(req(method, path, body, headers))
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        self.raw[(method, path)] = out["body"]
        return out["status"], json.loads(out["body"]) if out["body"] else None

    def close(self):
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        err = self.proc.stderr.read()
        check(self.proc.wait(timeout=60) == 0, err)
        check(rest == "", rest)
        return err


def files_of(directory):
    return {name: (os.stat(os.path.join(directory, name)).st_size,
                   os.stat(os.path.join(directory, name)).st_mtime_ns)
            for name in sorted(os.listdir(directory))}


def beside_a_running_store(binary, data):
    session = Session(binary, "--data-dir", data, "--create-services")
    try:
        created = {}
        for service, identity, form in [
                (IS_A, "alice", "Identity=alice&FriendlyName=Alice&Attributes=%7B%22a%22%3A1%7D"),
                (IS_A, "bob", "Identity=bob"),
                (IS_B, "carol", "Identity=carol&Attributes=%7B%22team%22%3A%22blue%22%7D")]:
            status, body = session.send("POST", users_path(service), form, FORM)
            check(status == 201, (status, body))
            created[identity] = body
        # What the running store's facade returns for each user's fetch.
        fetched = {}
        for service, identity in [(IS_A, "alice"), (IS_A, "bob"), (IS_B, "carol")]:
            status, body = session.send("GET", users_path(service) + "/" + identity)
            check(status == 200 and body == created[identity], (status, body))
            fetched[identity] = body
        alice, bob, carol = fetched["alice"], fetched["bob"], fetched["carol"]
        status, missing = session.send("GET", users_path(IS_A) + "/nobody")
        check(status == 404, missing)

        # get, by identity and by SID (upper-case hex too), while the
        # session holds the directory.
        code, out, err = run(binary, "get", data, "alice", "--service", IS_A)
        check(code == 0 and err == "", (code, out, err))
        check(out.endswith("}\n") and out.count("\n") == 1, out)
        got = json.loads(out)
        check(got["sid"] == alice["sid"] and got["sid"].startswith("US"), got)
        check(got["identity"] == "alice", got)
        check(got["attributes"] == '{"a":1}', got)
        check(got["friendly_name"] == "Alice" and got["service_sid"] == IS_A, got)
        check(got == alice, (got, alice))
        # The very bytes of the facade's body.
        check(out == session.raw[("GET", users_path(IS_A) + "/alice")] + "\n", out)
        upper = "US" + alice["sid"][2:].upper()
        code, out, err = run(binary, "get", "--service=" + IS_A.upper(), data, upper)
        check(code == 0 and json.loads(out) == alice, (code, out, err))
        code, out, err = run(binary, "get", data, "carol", "--service", IS_B)
        check(code == 0, (code, out, err))
        got = json.loads(out)
        check((got["sid"], got["identity"], got["attributes"]) ==
              (carol["sid"], "carol", '{"team":"blue"}'), got)
        check(got == carol, (got, carol))
        code, out, err = run(binary, "get", data, "bob", "--service", IS_A)
        check(code == 0 and json.loads(out) == bob and bob["attributes"] == "{}",
              (code, out, err))

        # 404s: Twilio's body on stderr, exit 1, nothing on stdout.
        code, out, err = run(binary, "get", data, "nobody", "--service", IS_A)
        check(code == 1 and out == "", (code, out, err))
        check(json.loads(err) == missing, (err, missing))
        not_found_body(err, "/Services/%s/Users/nobody" % IS_A)
        code, out, err = run(binary, "get", data, "alice", "--service", IS_TYPO)
        check(code == 1 and out == "", (code, out, err))
        not_found_body(err, "/Services/%s/Users/alice" % IS_TYPO)
        # carol is in the other Service.
        code, out, err = run(binary, "get", data, "carol", "--service", IS_A)
        check(code == 1, (code, out, err))
        # Two Services: --service is needed, and the message names both.
        code, out, err = run(binary, "get", data, "alice")
        check(code == 2 and out == "", (code, out, err))
        check(err == "userstore: get %s: the store holds 2 Services: name one with "
              "--service (%s, %s)\n" % (data, IS_A, IS_B), err)

        # list: every Service in SID order, users in creation order.
        code, out, err = run(binary, "list", data)
        check(code == 0 and err == "", (code, out, err))
        lines = ndjson(out)
        check([(u["sid"], u["identity"], u["attributes"]) for u in lines] ==
              [(alice["sid"], "alice", '{"a":1}'), (bob["sid"], "bob", "{}"),
               (carol["sid"], "carol", '{"team":"blue"}')], lines)
        check(lines == [alice, bob, carol], lines)
        code, out, err = run(binary, "list", data, "--service", IS_B, "--service", IS_A)
        check(code == 0 and ndjson(out) == [carol, alice, bob], (code, out, err))
        code, out, err = run(binary, "list", data, "--limit", "2")
        check(code == 0 and ndjson(out) == [alice, bob], (code, out, err))
        code, out, err = run(binary, "list", data, "--service", IS_B, "--limit=5")
        check(code == 0 and ndjson(out) == [carol], (code, out, err))
        code, out, err = run(binary, "list", data, "--base-url", "http://localhost:8080/v2/")
        check(code == 0, (code, out, err))
        check([u["url"] for u in ndjson(out)] ==
              ["http://localhost:8080/v2/Services/%s/Users/%s" % (u["service_sid"], u["sid"])
               for u in lines], out)
        # A mistyped Service: 404 before any line.
        code, out, err = run(binary, "list", data, "--service", IS_A, "--service", IS_TYPO)
        check(code == 1 and out == "", (code, out, err))
        not_found_body(err, "/Services/%s/Users" % IS_TYPO)

        # The session was not disturbed: it writes on, and a new read sees it.
        status, dave = session.send("POST", users_path(IS_A), "Identity=dave", FORM)
        check(status == 201, dave)
        code, out, err = run(binary, "list", data, "--service", IS_A)
        check(code == 0 and ndjson(out) == [alice, bob, dave], (code, out, err))
        code, out, err = run(binary, "get", data, dave["sid"], "--service", IS_A)
        check(code == 0 and json.loads(out) == dave, (code, out, err))
    finally:
        session.close()
    return [alice, bob, dave, carol]


def reads_change_nothing(binary, data, users):
    before = files_of(data)
    code, out, _ = run(binary, "list", data)
    check(code == 0 and ndjson(out) == users, out)
    code, _, _ = run(binary, "get", data, "alice", "--service", IS_A)
    check(code == 0)
    check(files_of(data) == before, (before, files_of(data)))


def no_implicit_services(binary, data, tmp, users):
    # stdio --data-dir without --create-services: a mistyped Service is a 404.
    session = Session(binary, "--data-dir", data)
    try:
        status, body = session.send("POST", users_path(IS_TYPO), "Identity=erin", FORM)
        check(status == 404 and body["code"] == 20404 and body["status"] == 404, body)
        check(body["message"] ==
              "The requested resource /Services/%s/Users was not found" % IS_TYPO, body)
        status, body = session.send("POST", users_path(IS_TYPO) + "/alice", "FriendlyName=x",
                                    FORM)
        check(status == 404 and body["code"] == 20404, body)
        # Known Services still take writes.
        status, erin = session.send("POST", users_path(IS_B), "Identity=erin", FORM)
        check(status == 201, erin)
    finally:
        session.close()
    code, out, err = run(binary, "list", data, "--service", IS_TYPO)
    check(code == 1 and out == "", (code, out, err))
    not_found_body(err, "/Services/%s/Users" % IS_TYPO)
    code, out, _ = run(binary, "list", data)
    check(code == 0 and ndjson(out) == users + [erin], out)
    code, out, err = run(binary, "check", data)
    check(code == 0 and "(2 services, 8 roles, 5 users" in out, (code, out, err))

    # replay, durable and in memory: the same 404, nothing created.
    http = os.path.join(tmp, "typo.http")
    with open(http, "w") as f:
        f.write("POST %s\nContent-Type: application/x-www-form-urlencoded\n\n"
                "Identity=frank\n" % users_path(IS_TYPO))
    code, out, err = run(binary, "replay", "--data-dir", data, http)
    check(code == 0 and "HTTP/1.1 404 Not Found" in out and '"code": 20404' in out,
          (code, out, err))
    code, out, err = run(binary, "check", data)
    check(code == 0 and "(2 services, 8 roles, 5 users" in out, (code, out, err))
    code, out, _ = run(binary, "replay", http)
    check(code == 0 and "HTTP/1.1 404 Not Found" in out, out)
    # With the flag, the Service is created on first use.
    code, out, _ = run(binary, "replay", "--create-services", http)
    check(code == 0 and "HTTP/1.1 201 Created" in out, out)
    code, out, _ = run(binary, "stdio", "--create-services",
                       stdin=req("POST", users_path(IS_TYPO), "Identity=frank", FORM) +
                       req("GET", "/v2/Services/%s" % IS_TYPO))
    check(code == 0 and [json.loads(l)["status"] for l in out.splitlines()] == [201, 200], out)
    # A read never creates one, with the flag or not.
    code, out, _ = run(binary, "stdio", "--create-services",
                       stdin=req("GET", users_path(IS_TYPO)) +
                       req("GET", "/v2/Services/%s" % IS_TYPO))
    check(code == 0 and [json.loads(l)["status"] for l in out.splitlines()] == [404, 404], out)


def usage_errors(binary, data, tmp):
    missing = os.path.join(tmp, "missing")
    for args, status, message in [
        (["get", data], 2, "get takes exactly a DIR (a store directory) and a KEY"),
        (["get", data, "a", "b"], 2, "get takes exactly a DIR"),
        (["list"], 2, "list takes exactly one DIR"),
        (["list", data, "--data-dir", data], 2, "list does not take --data-dir"),
        (["get", data, "alice", "--limit", "3"], 2, "get does not take --limit"),
        (["get", data, "alice", "--service", IS_A, "--service", IS_B], 2,
         "get takes one --service"),
        (["list", data, "--limit", "0"], 2, "--limit needs a positive integer, not 0"),
        (["list", data, "--limit", "-1"], 2, "--limit needs a positive integer, not -1"),
        (["list", data, "--limit=x"], 2, "--limit needs a positive integer, not x"),
        (["list", data, "--limit", "1", "--limit", "2"], 2, "--limit given twice"),
        (["list", data, "--create-services"], 2, "list does not take --create-services"),
        (["stdio", "--limit", "1"], 2, "stdio does not take --limit"),
        (["stdio", "--create-services=yes"], 2, "--create-services takes no value"),
        (["list", data, "--service", IS_A, "--service", IS_A.upper()], 2, "--service %s: given twice" % IS_A.upper()),
        (["list", data, "--base-url", "not a url"], 2,
         "userstore: --base-url not a url: base_url must be an absolute http(s) URL"),
        (["list", missing], 2, "userstore: list %s: " % missing),
        (["get", missing, "alice"], 2, "userstore: get %s: " % missing),
    ]:
        code, out, err = run(binary, *args)
        check(code == status and message in err and out == "", (args, code, out, err))
    check(not os.path.exists(missing), "get or list created %s" % missing)
    # A store of one Service: --service may be left out.
    one = os.path.join(tmp, "one")
    code, out, _ = run(binary, "stdio", "--data-dir", one, "--service", IS_B,
                       stdin=req("POST", users_path(IS_B), "Identity=-dash", FORM))
    sid = json.loads(json.loads(out)["body"])["sid"]
    code, out, err = run(binary, "get", one, "--", "-dash")
    check(code == 0 and json.loads(out)["sid"] == sid, (code, out, err))
    code, out, err = run(binary, "get", one, "US" + "0" * 32)
    check(code == 1 and out == "", (code, out, err))
    not_found_body(err, "/Services/%s/Users/US%s" % (IS_B, "0" * 32))
    code, out, err = run(binary, "get", one, "US" + sid[2:].upper())
    check(code == 0 and json.loads(out)["identity"] == "-dash", (code, out, err))
    # An empty store (created with no Service): nothing to get, nothing listed.
    empty = os.path.join(tmp, "empty")
    code, _, _ = run(binary, "stdio", "--data-dir", empty, stdin="")
    check(code == 0)
    code, out, err = run(binary, "get", empty, "alice")
    check(code == 2 and "the store holds no Service" in err, (code, out, err))
    code, out, err = run(binary, "list", empty)
    check(code == 0 and out == "" and err == "", (code, out, err))


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="userstore-cli-read-") as tmp:
        data = os.path.join(tmp, "store")
        users = beside_a_running_store(binary, data)
        reads_change_nothing(binary, data, users)
        no_implicit_services(binary, data, tmp, users)
        usage_errors(binary, data, tmp)
    print("ok: get and list beside a running store; no Service without --create-services")


if __name__ == "__main__":
    main()
