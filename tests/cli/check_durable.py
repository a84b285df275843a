#!/usr/bin/env python3
"""ctest: the `userstore` program with a durable store (--data-dir), and
`userstore check DIR` / `userstore stats DIR`.

Usage: check_durable.py USERSTORE_BINARY

In a fresh temporary directory:
 1. replay --data-dir creates alice; a second replay against the same
    directory (same --service / --role: they exist already) fetches her by
    identity (200, same SID) and gets 409/50201 creating her again;
    each run ends its stderr with "opened DIR: N users in S s";
 2. check exits 0 and reports the counts; stats prints the Service's row;
 3. a stdio session with --data-dir --no-sync --create-services sees alice,
    adds bob, and carol in a Service it creates;
    while it runs, another replay of the directory exits 2 (one process at
    a time) and check still works (read-only) and says the store is in use;
 4. with stderr on a terminal (a pty), the recovery progress bar is drawn
    in place and replaced by the final line;
 5. exit statuses of check / stats / --data-dir errors.
Exits non-zero on a mismatch.
"""
import json
import os
import pty
import re
import subprocess
import sys
import tempfile

IS = "IS" + "d" * 32
IS_OTHER = "IS" + "e" * 32
RL = "RL" + "d" * 32
USERS = "/v2/Services/%s/Users" % IS
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


def statuses(replay_output):
    return [int(s) for s in re.findall(r"^HTTP/1\.1 (\d{3}) ", replay_output, re.M)]


def bodies(replay_output):
    """The JSON bodies of a replay's output, in order (None for none)."""
    out = []
    for block in re.split(r"^### ", replay_output, flags=re.M)[1:]:
        body = block.partition("\n\n")[2].strip("\n")
        out.append(json.loads(body) if body else None)
    return out


def opened_line(stderr, directory, users):
    pattern = r"opened %s: %d users in \d+\.\d\d s\n" % (re.escape(directory), users)
    check(re.fullmatch(pattern, stderr), "stderr %r, want %r" % (stderr, pattern))


def req(method, path, body=None, headers=None):
    line = {"method": method, "path": path}
    if headers is not None:
        line["headers"] = headers
    if body is not None:
        line["body"] = body
    return json.dumps(line) + "\n"


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="userstore-cli-durable-") as tmp:
        data = os.path.join(tmp, "store")
        flags = ["--data-dir", data, "--service", IS, "--role", RL]

        def write(name, text):
            path = os.path.join(tmp, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        # 1. Two replays against one directory.
        create = write("create.http",
                       "# @name create\n"
                       "POST %s\nContent-Type: application/x-www-form-urlencoded\n\n"
                       "Identity=alice&RoleSid=%s&FriendlyName=Alice\n"
                       "###\nGET %s/{{create.response.body.sid}}\n" % (USERS, RL, USERS))
        code, out, err = run(binary, "replay", *flags, create)
        check(code == 0, (code, err))
        check(statuses(out) == [201, 200], out)
        opened_line(err, data, 0)
        alice = bodies(out)[0]
        check(alice["identity"] == "alice" and alice["role_sid"] == RL, alice)

        again = write("again.http",
                      "GET %s/alice\n###\n"
                      "POST %s\nContent-Type: application/x-www-form-urlencoded\n\n"
                      "Identity=alice\n###\n"
                      "GET %s?PageSize=5\n" % (USERS, USERS, USERS))
        code, out, err = run(binary, "replay", *flags, again)
        check(code == 0, (code, err))
        check(statuses(out) == [200, 409, 200], out)
        opened_line(err, data, 1)
        fetched, conflict, page = bodies(out)
        check(fetched == alice, (fetched, alice))
        check(conflict["code"] == 50201, conflict)
        check([u["sid"] for u in page["users"]] == [alice["sid"]], page)

        # 2. check and stats.
        code, out, err = run(binary, "check", data)
        check(code == 0 and err == "", (code, out, err))
        check(out == "%s: OK (1 services, 5 roles, 1 users, %s keys)\n"
              % (data, re.search(r"(\d+) keys", out).group(1)), out)
        code, out, err = run(binary, "stats", data)
        check(code == 0 and err == "", (code, out, err))
        check("users    1 in 1 service(s)\n" in out, out)
        check("account  %s\n" % alice["account_sid"] in out, out)
        # The first table's row (the second table is the events').
        row = [l for l in out.split("\n\n")[1].splitlines() if l.startswith(IS)]
        check(len(row) == 1 and row[0].split()[1:3] == ["-", "1"], out)

        # 3. A stdio session on the same directory; meanwhile, the directory
        # is locked for other writers but check reads it.
        proc = subprocess.Popen([binary, "stdio", "--data-dir", data, "--no-sync",
                                 "--create-services"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, bufsize=1)
        try:
            proc.stdin.write(req("GET", USERS + "/alice"))
            line = json.loads(proc.stdout.readline())
            check(line["status"] == 200, line)
            check(json.loads(line["body"])["sid"] == alice["sid"], line)
            proc.stdin.write(req("POST", USERS, "Identity=bob", FORM))
            line = json.loads(proc.stdout.readline())
            check(line["status"] == 201, line)
            bob = json.loads(line["body"])
            # --create-services: a new Service is created on first use, and kept.
            proc.stdin.write(req("POST", "/v2/Services/%s/Users" % IS_OTHER,
                                 "Identity=carol", FORM))
            line = json.loads(proc.stdout.readline())
            check(line["status"] == 201, line)

            code, out, err = run(binary, "replay", *flags, again)
            check(code == 2 and out == "", (code, out, err))
            check(err.startswith("userstore: --data-dir %s: " % data), err)
            check("already open" in err, err)
            code, out, err = run(binary, "check", data)
            check(code == 0, (code, out, err))
            check(" OK (" in out and "in use by a Store" in out, out)
        finally:
            proc.stdin.close()
            rest = proc.stdout.read()
            stderr = proc.stderr.read()
            check(proc.wait(timeout=60) == 0, stderr)
        check(rest == "", rest)
        opened_line(stderr, data, 1)

        code, out, err = run(binary, "check", data)
        check(code == 0 and "(2 services, 9 roles, 3 users" in out, (code, out, err))
        code, out, _ = run(binary, "stdio", "--data-dir", data,
                           stdin=req("GET", USERS + "/bob") +
                           req("GET", "/v2/Services/%s/Users/carol" % IS_OTHER))
        lines = [json.loads(l) for l in out.splitlines()]
        check(code == 0 and [l["status"] for l in lines] == [200, 200], out)
        check(json.loads(lines[0]["body"]) == bob, lines[0])

        # 4. On a terminal: the bar, then the final line in its place.
        master, slave = pty.openpty()
        p = subprocess.run([binary, "stdio", "--data-dir", data],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=slave, timeout=60)
        os.close(slave)
        tty = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other end is closed and drained
                break
            if not chunk:
                break
            tty += chunk
        os.close(master)
        check(p.returncode == 0, p.returncode)
        tty = tty.decode()
        check(re.fullmatch(r"(\rrecovering \[[#.]{30}\] +\d+%% \d+/\d+ users\x1b\[K)+"
                           r"\r\x1b\[Kopened %s: 3 users in \d+\.\d\d s\r\n" % re.escape(data),
                           tty), repr(tty))
        check("\rrecovering [" + "#" * 30 + "] 100% 3/3 users" in tty, repr(tty))

        # 5. Errors.
        missing = os.path.join(tmp, "missing")
        for args, status, message in [
            (["check", missing], 2, "userstore: check %s: " % missing),
            (["stats", missing], 2, "userstore: stats %s: " % missing),
            (["check"], 2, "check takes exactly one DIR"),
            (["check", data, "--no-sync"], 2, "check takes no flag"),
            (["stdio", "--no-sync"], 2, "--sync / --no-sync need --data-dir"),
            (["stdio", "--data-dir", create], 2, "--data-dir %s: " % create),
            (["stdio", "--data-dir", tmp], 2, "not a store directory"),
            (["stdio", "--data-dir", data, "--account", "AC" + "0" * 32], 2,
             "--data-dir %s: " % data),
        ]:
            code, out, err = run(binary, *args)
            check(code == status and message in err, (args, code, out, err))
        check(not os.path.exists(missing), "check or stats created %s" % missing)
    print("ok: durable replay, stdio, check, stats, progress bar, errors")


if __name__ == "__main__":
    main()
