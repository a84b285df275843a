#!/usr/bin/env python3
"""ctest: `userstore replay` of examples/twilio-docs.http.

Usage: check_replay.py USERSTORE_BINARY TWILIO_DOCS_HTTP

Runs the replay with the page's Service and Role SIDs and checks the printed
exchanges: statuses 201, 200, 200, 200, 200, 204 in order, request lines,
headers and the key fields of each JSON body. Exits non-zero on a mismatch.
"""
import json
import re
import subprocess
import sys

IS = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
RL = "RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
USERS = "/v2/Services/%s/Users" % IS
JSON_TYPE = "application/json; charset=utf-8"


def check(condition, message="check failed"):
    """An assert that python -O cannot remove."""
    if not condition:
        raise AssertionError(message)


def parse_exchanges(text):
    """Splits replay output into (request_line, status, headers, body)."""
    blocks = re.split(r"^### ", text, flags=re.M)
    check(blocks[0] == "", "output must start with '### ': %r" % blocks[0][:80])
    exchanges = []
    for block in blocks[1:]:
        head, sep, body = block.partition("\n\n")
        check(sep, "no blank line after the headers in %r" % block[:200])
        lines = head.split("\n")
        request_line, status_line, header_lines = lines[0], lines[1], lines[2:]
        m = re.fullmatch(r"HTTP/1\.1 (\d{3}) (.+)", status_line)
        check(m, "bad status line %r" % status_line)
        headers = dict(h.split(": ", 1) for h in header_lines)
        body = body.strip("\n")
        exchanges.append((request_line, int(m.group(1)), m.group(2), headers,
                          json.loads(body) if body else None))
    return exchanges


def main():
    binary, http_file = sys.argv[1], sys.argv[2]
    run = subprocess.run([binary, "replay", "--service", IS, "--role", RL, http_file],
                         capture_output=True, text=True, timeout=60)
    check(run.returncode == 0, "exit %d, stderr: %s" % (run.returncode, run.stderr))
    check(run.stderr == "", run.stderr)
    ex = parse_exchanges(run.stdout)

    statuses = [e[1] for e in ex]
    check(statuses == [201, 200, 200, 200, 200, 204], statuses)
    check([e[2] for e in ex] == ["Created", "OK", "OK", "OK", "OK", "No Content"])

    created = ex[0][4]
    sid = created["sid"]
    check(re.fullmatch(r"US[0-9a-f]{32}", sid), sid)
    expected_lines = [
        "POST " + USERS,
        "GET %s/%s" % (USERS, sid),
        "GET %s/jing" % USERS,
        "GET %s?PageSize=20" % USERS,
        "POST %s/%s" % (USERS, sid),
        "DELETE %s/%s" % (USERS, sid),
    ]
    check([e[0] for e in ex] == expected_lines, [e[0] for e in ex])
    for e in ex[:5]:
        check(e[3].get("Content-Type") == JSON_TYPE, e[3])

    # Create: the page's body example.
    check(created["identity"] == "jing")
    check(created["role_sid"] == RL)
    check(created["service_sid"] == IS)
    check(created["attributes"] == '{"test":"test"}', created["attributes"])
    check(created["friendly_name"] == "friendly_name")
    check(created["joined_channels_count"] == 0)
    check(created["url"] == "https://chat.twilio.com%s/%s" % (USERS, sid))
    check(list(created.keys()) == [
        "sid", "account_sid", "service_sid", "role_sid", "identity", "attributes",
        "is_online", "is_notifiable", "friendly_name", "joined_channels_count",
        "date_created", "date_updated", "links", "url"], list(created.keys()))

    # Fetch by SID and by identity: the same user.
    check(ex[1][4] == created, ex[1][4])
    check(ex[2][4] == created, ex[2][4])

    # List with PageSize=20: one user, Twilio's meta.
    page = ex[3][4]
    check(page["meta"]["page"] == 0 and page["meta"]["page_size"] == 20, page["meta"])
    check(page["meta"]["key"] == "users")
    check(page["meta"]["next_page_url"] is None)
    check([u["sid"] for u in page["users"]] == [sid])

    # Update: new attributes and friendly name, same identity and role.
    updated = ex[4][4]
    check(updated["sid"] == sid and updated["identity"] == "jing")
    check(updated["attributes"] == '{"test":"updated"}', updated["attributes"])
    check(updated["friendly_name"] == "Jing")
    check(updated["role_sid"] == RL)

    # Delete: 204, no headers, no body.
    check(ex[5][3] == {} and ex[5][4] is None, ex[5])
    print("ok: 6 exchanges, statuses", statuses)


if __name__ == "__main__":
    main()
