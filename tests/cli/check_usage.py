#!/usr/bin/env python3
"""ctest: exit statuses and messages of the `userstore` program.

Usage: check_usage.py USERSTORE_BINARY

2 for a bad command line (usage on stderr) or a flag value the Store
rejects; 0 for --help / --version; 1 for an unreadable or unparsable .http
file or an unresolvable variable; 0 when every request got a response, even
a 4xx. Exits non-zero on a mismatch.
"""
import os
import subprocess
import sys
import tempfile
import time

IS1 = "IS" + "1" * 32
RL = "RL" + "a" * 32


def check(condition, message="check failed"):
    """An assert that python -O cannot remove."""
    if not condition:
        raise AssertionError(message)


def run(binary, *args):
    p = subprocess.run([binary] + list(args), capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout, p.stderr


def expect(binary, args, status, stderr_has="", stdout_has=""):
    code, out, err = run(binary, *args)
    check(code == status, "%s: exit %d, want %d; stderr %r" % (args, code, status, err))
    check(stderr_has in err, "%s: stderr %r lacks %r" % (args, err, stderr_has))
    check(stdout_has in out, "%s: stdout %r lacks %r" % (args, out, stdout_has))
    return out, err


def nested_sixteenfold(levels, leaf):
    """@v0 = leaf; each @vK = 16 references to @v(K-1)."""
    lines = ["@v0 = " + leaf]
    for k in range(1, levels + 1):
        lines.append("@v%d = %s" % (k, "{{v%d}}" % (k - 1) * 16))
    return "\n".join(lines) + "\n"


def check_expansion_limits(binary, write):
    """Issue 10, item 8: nested variables are bounded per request."""
    # The file: 8 levels of 16 copies (17 GB expanded) used to die
    # with std::bad_alloc. Now: exit 1 naming the line, fast.
    text = nested_sixteenfold(8, "abcd") + "\nGET /v2/Services/%s/Users/{{v8}}\n" % IS1
    check(len(text) < 1000, len(text))
    path = write("bomb.http", text)
    start = time.monotonic()
    _, err = expect(binary, ["replay", path], 1,
                    "bomb.http: line 11: more than 4096 {{...}} references to "
                    "expand in this request")
    check(time.monotonic() - start < 20, "took %.1f s" % (time.monotonic() - start))
    # 1 MiB of URL, headers and body together: 512 KiB is sent (and refused
    # by the facade's 64 KiB bound), 64 KiB + 1 MiB is not.
    text = (nested_sixteenfold(1, "x" * 4096) +
            "\nPOST /v2/Services/%s/Users\n\n%s\n"
            "###\nPOST /v2/Services/%s/Users\nX-Big: {{v1}}\n\n%s\n"
            % (IS1, "{{v1}}" * 8, IS1, "{{v1}}" * 16))
    out, err = expect(binary, ["replay", write("big.http", text)], 1,
                      "big.http: line 8: variables expand to more than 1048576 "
                      "bytes in this request (the limit for its URL, headers "
                      "and body together)", "HTTP/1.1 400 Bad Request")
    check("Request body too long (limit 65536 bytes)" in out, out[:400])
    check(out.count("### ") == 1, out[:400])
    # A .http file is at most 64 MiB: one byte more is refused before any
    # request runs (it was read, split and replayed in full).
    path = write("huge.http", "GET /v2/Services/%s/Users\n\n" % IS1)
    with open(path, "a") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # NUL bytes: the body
    out, err = expect(binary, ["replay", path], 1,
                      "huge.http: the file is larger than 67108864 bytes "
                      "(64 MiB), the limit of a .http file")
    check(out == "", out[:400])
    return 3


def main():
    binary = sys.argv[1]
    n = 0
    for args, has in [
        ([], "missing command"),
        (["--bogus", "stdio"], "unknown flag --bogus"),
        (["replay"], "exactly one FILE"),
        (["stdio", "extra"], "stdio takes no argument"),
        (["stdio", "--service"], "--service needs a value"),
        (["--role", RL, "stdio"], "--role needs at least one --service"),
        # Issue 10, item 14: empty values were taken as "none" (a random
        # Service, role or account).
        (["--service=", "stdio"], "userstore: --service needs a SID (the value is empty)"),
        (["--service", "", "stdio"], "--service needs a SID (the value is empty)"),
        (["--service", IS1, "--role=", "stdio"], "--role needs a SID (the value is empty)"),
        (["--account=", "stdio"], "--account needs a SID (the value is empty)"),
        (["--base-url=", "stdio"], "--base-url needs a URL (the value is empty)"),
        (["--account", "AC" + "a" * 32, "--account", "AC" + "b" * 32, "stdio"],
         "--account given twice (it takes one value)"),
    ]:
        _, err = expect(binary, args, 2, has)
        check("usage: userstore" in err, "no usage text for %s" % args)
        n += 1
    for args, has in [
        (["--service", "ISnot-a-sid", "stdio"], "--service ISnot-a-sid"),
        (["--service", IS1, "--service", IS1, "stdio"], "--service " + IS1),
        # SIDs compared in canonical form: either hex case is the same SID.
        (["--service", "IS" + "a" * 32, "--service", "IS" + "A" * 32, "stdio"],
         "--service IS%s: given twice (as IS%s;" % ("A" * 32, "a" * 32)),
        (["--service", IS1, "--role", RL, "--role", RL.upper(), "stdio"],
         "--role %s: given twice (as %s;" % (RL.upper(), RL)),
        (["--service", IS1, "--role", "RLbad", "stdio"], "--role RLbad"),
        (["--account", "ACnope", "stdio"], ""),
        (["--base-url", "not a url", "stdio"], ""),
    ]:
        expect(binary, args, 2, has)
        n += 1
    expect(binary, ["--help"], 0, "", "usage: userstore")
    expect(binary, ["--version"], 0, "", "userstore 0.1.0")
    n += 2

    with tempfile.TemporaryDirectory() as tmp:
        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        expect(binary, ["replay", os.path.join(tmp, "missing.http")], 1, "cannot read")
        expect(binary, ["replay", write("bad.http", "GET /v2/Services\nno colon\n")], 1,
               "bad.http: line 2: expected a header line")
        expect(binary, ["replay", write("empty.http", "# nothing\n###\n")], 1,
               "no request")
        out, _ = expect(binary, ["replay", write("var.http",
                                                 "GET /v2/Services/%s\n###\n"
                                                 "GET /v2/Services/%s/Users/"
                                                 "{{nope.response.body.sid}}\n" % (IS1, IS1))],
                        1, "line 3: {{nope.response.body.sid}}: no earlier request")
        # The first request ran (a read: its unknown Service is not created).
        check(out.count("### ") == 1 and "HTTP/1.1 404 Not Found" in out, out)
        expect(binary, ["replay", write("url.http", "GET /v2/Users/with space\n")], 1,
               "expected a request line")
        expect(binary, ["replay", write("url2.http", "GET v2/Services\n")], 1,
               "neither absolute")
        # 4xx responses are still a successful replay.
        out, _ = expect(binary, ["replay", write("4xx.http",
                                                 "GET /v2/Services/%s/Users/nobody\n"
                                                 "###\n"
                                                 "PUT /v2/Services/%s/Users\n" % (IS1, IS1))],
                        0, "", "HTTP/1.1 404 Not Found")
        check("HTTP/1.1 405 Method Not Allowed" in out, out)
        check('"code": 20404' in out, out)
        # Without --role the page's RoleSid is unknown: 400/50100 (its Service
        # created by --create-services); the replay stops at the next request.
        docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                            "examples", "twilio-docs.http")
        code, out, err = run(binary, "replay", "--create-services", docs)
        check(code == 1 and "HTTP/1.1 400 Bad Request" in out and '"code": 50100' in out,
              (code, out[:400], err))
        check("no such field" in err, err)
        # Without --create-services (or --service) the page's Service is
        # unknown: the create is 404/20404 and creates nothing.
        code, out, err = run(binary, "replay", docs)
        check(code == 1 and "HTTP/1.1 404 Not Found" in out and '"code": 20404' in out,
              (code, out[:400], err))
        n += 9
        n += check_expansion_limits(binary, write)
    print("ok: %d cases" % n)


if __name__ == "__main__":
    main()
