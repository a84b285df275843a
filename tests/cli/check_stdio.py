#!/usr/bin/env python3
"""ctest: a `userstore stdio` session.

Usage: check_stdio.py USERSTORE_BINARY

Session 1 (--create-services, so Services are created on first use) is
driven one line at a time: each request is written, then its response line
read back before the next is sent, which only works if the program flushes
after every line. It holds a malformed line and a non-object line among
valid requests. Session 2 (--service, --base-url) is fed all at once and
checks that an unknown Service is a 404 when --service is given, and that
URLs use the base URL.
Exits non-zero on a mismatch.
"""
import json
import subprocess
import sys

IS1 = "IS" + "1" * 32
IS2 = "IS" + "2" * 32
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def check(condition, message="check failed"):
    """An assert that python -O cannot remove."""
    if not condition:
        raise AssertionError(message)


def req(method, path, body=None, headers=None):
    line = {"method": method, "path": path}
    if headers is not None:
        line["headers"] = headers
    if body is not None:
        line["body"] = body
    return json.dumps(line)


def parse_line(line):
    check(line.endswith("\n"), "response line not newline-terminated: %r" % line)
    out = json.loads(line)
    check(set(out) == {"status", "headers", "body"}, out)
    check(isinstance(out["status"], int), out)
    check(isinstance(out["headers"], dict), out)
    check(isinstance(out["body"], str), out)
    return out


def expect_error(out, status, code):
    check(out["status"] == status, out)
    body = json.loads(out["body"])
    check(body["status"] == status and body["code"] == code, body)
    check(body["more_info"] == "https://www.twilio.com/docs/errors/%d" % code, body)


def session_interactive(binary):
    users = "/v2/Services/%s/Users" % IS1
    proc = subprocess.Popen([binary, "stdio", "--create-services"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1)

    def send(line):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return parse_line(proc.stdout.readline())

    out = send(req("POST", users, "Identity=alice&FriendlyName=Alice+A",
                   dict(FORM, **{"X-Twilio-Webhook-Enabled": "true"})))
    check(out["status"] == 201, out)
    check(out["headers"].get("Content-Type") == "application/json; charset=utf-8", out)
    alice = json.loads(out["body"])
    check(alice["identity"] == "alice" and alice["friendly_name"] == "Alice A", alice)
    check(alice["service_sid"] == IS1, alice)

    out = send(req("GET", users + "/alice"))
    check(out["status"] == 200 and json.loads(out["body"])["sid"] == alice["sid"], out)

    expect_error(send('{"method": "GET", "path": '), 400, 20001)  # malformed

    expect_error(send(req("POST", users, "Identity=alice", FORM)), 409, 50201)

    out = send(req("GET", users + "?PageSize=1"))
    check(out["status"] == 200, out)
    page = json.loads(out["body"])
    check(page["meta"]["page_size"] == 1 and len(page["users"]) == 1, page)

    expect_error(send('["GET", "/v2/Services"]'), 400, 20001)  # not an object

    out = send(req("POST", users + "/" + alice["sid"], "FriendlyName=Alice+B", FORM))
    check(out["status"] == 200 and json.loads(out["body"])["friendly_name"] == "Alice B",
          out)

    proc.stdin.write("   \n")  # blank lines get no response
    out = send(req("DELETE", users + "/alice"))
    check(out["status"] == 204 and out["body"] == "" and out["headers"] == {}, out)

    expect_error(send(req("GET", users + "/alice")), 404, 20404)

    proc.stdin.close()
    check(proc.stdout.read() == "", "output after the last response")
    check(proc.wait(timeout=30) == 0, "exit status %s" % proc.returncode)
    check(proc.stderr.read() == "", "unexpected stderr")
    return 9


def session_batch(binary):
    lines = [
        req("POST", "/v2/Services/%s/Users" % IS1, "Identity=bob", FORM),
        req("GET", "/v2/Services/%s/Users/bob" % IS2),  # not auto-created
        "not json at all",
        req("GET", "/v2/Services/%s" % IS1),
        req("DELETE", "/v2/Services/%s/Users/bob" % IS1),
    ]
    run = subprocess.run([binary, "stdio", "--service", IS1,
                          "--base-url", "http://localhost:8080/v2"],
                         input="\n".join(lines) + "\n", capture_output=True,
                         text=True, timeout=60)
    check(run.returncode == 0, "exit %d: %s" % (run.returncode, run.stderr))
    outs = [parse_line(l + "\n") for l in run.stdout.splitlines()]
    check(len(outs) == len(lines), run.stdout)
    check([o["status"] for o in outs] == [201, 404, 400, 200, 204],
          [o["status"] for o in outs])
    bob = json.loads(outs[0]["body"])
    check(bob["url"] == "http://localhost:8080/v2/Services/%s/Users/%s" % (IS1, bob["sid"]),
          bob["url"])
    expect_error(outs[1], 404, 20404)
    expect_error(outs[2], 400, 20001)
    check(json.loads(outs[3]["body"])["sid"] == IS1, outs[3])
    return len(lines)


def main():
    n = session_interactive(sys.argv[1]) + session_batch(sys.argv[1])
    print("ok: %d stdio requests" % n)


if __name__ == "__main__":
    main()
