#!/usr/bin/env python3
"""ctest: a durable `userstore import` killed (SIGKILL) at random moments,
then run again with --mode skip, ends as an uninterrupted import does.

Usage: check_import_kill.py USERSTORE_BINARY [USERS] [KILLS]

A generated export (one Service, its roles, USERS users, default 6000: six
batches of 1000; the Service and roles in one file, the users in another)
is imported uninterrupted into a reference directory and exported. Then
KILLS times (default 12): a fresh directory gets the Service file, then the
users' import is killed with SIGKILL after a random delay within the
reference's duration; `check` finds the directory sound, and its users are a prefix of
the input made of whole batches (never part of a batch, never a half-written
user); the same command with --mode skip completes it, and the export equals
the reference byte for byte. Exits non-zero on a mismatch.
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

from cli_support import check, run

IS = "IS" + "7" * 32
AC = "AC" + "7" * 32
BATCH = 1000


def generate(path, users):
    base = "https://chat.twilio.com/v2/Services/" + IS
    roles = [("RL" + c * 32, name, kind) for c, name, kind in [
        ("1", "service admin", "deployment"), ("2", "service user", "deployment"),
        ("3", "channel admin", "channel"), ("4", "channel user", "channel")]]
    lines = [{"type": "service", "item": {
        "sid": IS, "account_sid": AC, "friendly_name": "kill test",
        "date_created": "2020-01-01T00:00:00Z", "date_updated": "2020-01-01T00:00:00Z",
        "default_service_role_sid": roles[1][0], "default_channel_role_sid": roles[3][0],
        "default_channel_creator_role_sid": roles[2][0], "reachability_enabled": False,
        "url": base}}]
    for sid, name, kind in roles:
        lines.append({"type": "role", "item": {
            "sid": sid, "account_sid": AC, "service_sid": IS, "friendly_name": name,
            "type": kind, "permissions": ["sendMessage"], "date_created": "2020-01-01T00:00:00Z",
            "date_updated": "2020-01-01T00:00:00Z", "url": base + "/Roles/" + sid}})
    for i in range(users):
        seconds = 1600000000 + i // 3
        date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
        lines.append({"type": "user", "item": {
            "sid": "US%032x" % (0xabc0000 + i), "account_sid": AC, "service_sid": IS,
            "role_sid": roles[1][0], "identity": "user-%06d-\u00e9" % i,
            "attributes": json.dumps({"i": i, "pad": "p" * (i % 97)}),
            "friendly_name": None if i % 4 == 0 else "User %d" % i,
            "joined_channels_count": i % 13, "date_created": date, "date_updated": date}})
    # The Service and its roles in `path`, the users in `path`.users: the
    # store is made first, and the import killed is that of the users.
    with open(path, "w", encoding="utf-8") as f:
        for line in lines[:5]:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    with open(path + ".users", "w", encoding="utf-8") as f:
        for line in lines[5:]:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")


def user_sids(binary, data):
    code, out, err = run(binary, "export", "--data-dir", data)
    check(code == 0, err)
    return out, [json.loads(l)["item"]["sid"] for l in out.splitlines()
                 if json.loads(l)["type"] == "user"]


def main():
    binary = sys.argv[1]
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 6000
    kills = int(sys.argv[3]) if len(sys.argv) > 3 else 12
    seed = int(os.environ.get("USERSTORE_KILL_SEED", time.time_ns()))
    print("USERSTORE_KILL_SEED=%d" % seed, flush=True)  # to replay the same moments
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="userstore-kill-") as tmp:
        head = os.path.join(tmp, "input.ndjson")
        generate(head, users)
        source = head + ".users"
        reference = os.path.join(tmp, "reference")
        code, _, err = run(binary, "import", "--data-dir", reference, head)
        check(code == 0, err)
        start = time.monotonic()
        code, _, err = run(binary, "import", "--data-dir", reference, source)
        duration = time.monotonic() - start
        check(code == 0, err)
        expected, expected_sids = user_sids(binary, reference)
        check(len(expected_sids) == users, len(expected_sids))
        landed = 0
        for k in range(kills):
            data = os.path.join(tmp, "killed-%d" % k)
            code, _, err = run(binary, "import", "--data-dir", data, head)
            check(code == 0, err)
            delay = rng.uniform(0.2 * duration, duration)
            proc = subprocess.Popen([binary, "import", "--data-dir", data, source],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            code, out, _ = run(binary, "check", data)
            check(code == 0, "killed store %d not sound: %s" % (k, out))
            _, sids = user_sids(binary, data)
            # A prefix of the input, of whole batches.
            check(sids == expected_sids[:len(sids)], "not a prefix after kill %d" % k)
            check(len(sids) % BATCH == 0 or len(sids) == users,
                  "kill %d left %d users: part of a batch" % (k, len(sids)))
            if 0 < len(sids) < users:
                landed += 1
            code, _, err = run(binary, "import", "--data-dir", data, "--mode", "skip", source)
            check(code == 0, err)
            out, _ = user_sids(binary, data)
            check(out == expected, "kill %d: the completed store differs" % k)
        print("ok: %d kills, %d during the users (reference import %.2f s)" %
              (kills, landed, duration))


if __name__ == "__main__":
    main()
