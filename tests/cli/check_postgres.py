#!/usr/bin/env python3
"""ctest: the CLI's --postgres CONNINFO (a shared store, Store::OpenShared).

Usage: check_postgres.py USERSTORE_BINARY

Needs USERSTORE_PG_CONNINFO (tests/postgres/README.md); without it, prints
why and exits 77, which ctest reports as skipped. Each step uses databases
of its own (CREATE DATABASE, dropped WITH (FORCE) at the end):
 1. a varied durable store (as check_export_import.round_trip's: odd and
    unicode identities, 16 KiB attributes, null friendly names, joined
    counts, old dates, an update and a delete, two Services, an added role)
    exported to NDJSON; `import --postgres` into a fresh database; `export --postgres`
    of it is byte-identical to the durable store's export (Services, roles,
    users, SIDs, dates, counters, url fields); --service and -o as for
    --data-dir;
 2. that export imported into a second fresh database exports the same;
 3. a `stdio --postgres` session fetches every user exactly as exported,
    creates one, and a second session (another process) sees it;
 4. import modes against the database (insert: 409s, exit 1; skip) and
    --dry-run (nothing written, the same report);
 5. `replay --postgres` of examples/twilio-docs.http, twice into one
    database (the second run keeps the Service and role);
 6. push Bindings and the Configuration (issue 17): a file with `binding`
    and `configuration` records imported with --postgres skips the Bindings
    with one 501/20501 warning (exit 1), imports the rest and the
    Configuration; `export --postgres` is the durable export of the same
    file without its Binding lines, and round-trips through a second
    database; insert refuses the Configuration already there;
 7. usage errors: --postgres with --data-dir, events/get --postgres; an
    unreachable server is exit 2 naming --postgres, and no password is
    printed.
Exits non-zero on a mismatch.
"""
import json
import os
import sys
import tempfile
import urllib.parse

from check_export_import import AC, FORM, IS_A, IS_B, RL_X, binding, records, users_of
from cli_support import Session, check, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "postgres"))
from pg_support import TempDatabase, skip_reason  # noqa: E402

SKIPPED = 77  # ctest SKIP_RETURN_CODE


def varied_store(binary, tmp):
    """A durable store in tmp/a written as check_export_import.round_trip
    writes its store A, but with the extra role in IS_A only: a shared store
    refuses one role SID in two Services (userstore_roles.sid is UNIQUE in
    its schema; 500/20500), which a durable one accepts. Returns its export,
    also written to tmp/a.ndjson."""
    a = os.path.join(tmp, "a")
    session = Session(binary, "--data-dir", a, "--service", IS_A, "--role", RL_X, "--account", AC)
    session.close()
    session = Session(binary, "--data-dir", a, "--service", IS_B)
    identities = ["plain", "with space", "slash/and?query&x=1", "percent%41", "ünïcödé",
                  "emoji \U0001F600", "quote\"back\\slash", "tab\there", "日本語", "-dash",
                  "a" * 200, "UPPER", "upper"]
    big = json.dumps({"blob": "x" * (16 * 1024 - 20)}, separators=(",", ":"))
    created = []
    for i, identity in enumerate(identities):
        service = IS_A if i % 3 else IS_B
        form = {"Identity": identity}
        if i % 2 == 0:
            form["FriendlyName"] = "Friendly %d ✓" % i
        if i % 4 == 1:
            form["Attributes"] = json.dumps({"n": i, "s": "é\n\u2028", "list": [1, 2.5, None]})
        if i == 5:
            form["Attributes"] = big
        if i % 5 == 2 and service == IS_A:
            form["RoleSid"] = RL_X
        status, body = session.send("POST", "/v2/Services/%s/Users" % service,
                                    urllib.parse.urlencode(form), FORM)
        check(status == 201, (status, body))
        created.append(body)
    status, _ = session.send("POST", "/v2/Services/%s/Users/%s" % (IS_A, created[1]["sid"]),
                             "FriendlyName=renamed", FORM)
    check(status == 200)
    status, _ = session.send("DELETE", "/v2/Services/%s/Users/%s" % (IS_A, created[2]["sid"]))
    check(status == 204)
    session.close()
    extra = os.path.join(tmp, "extra.ndjson")
    with open(extra, "w", encoding="utf-8") as f:
        f.write("\n".join(
            json.dumps({"sid": "US%032x" % (0xe000 + i), "identity": "imported-%d" % i,
                        "service_sid": IS_A, "role_sid": RL_X, "friendly_name": None,
                        "attributes": json.dumps({"i": i}), "joined_channels_count": i * 7,
                        "date_created": "2015-0%d-01T00:00:0%dZ" % (i + 1, i),
                        "date_updated": "2016-01-01T00:00:00Z"}) for i in range(5)) + "\n")
    code, _, err = run(binary, "import", "--data-dir", a, extra)
    check(code == 0 and "5 inserted" in err, err)
    out_file = os.path.join(tmp, "a.ndjson")
    code, _, err = run(binary, "export", "--data-dir", a, "-o", out_file)
    check(code == 0, err)
    with open(out_file, encoding="utf-8") as f:
        return f.read()


def export(binary, conninfo, *flags):
    code, out, err = run(binary, "export", "--postgres", conninfo, *flags)
    check(code == 0, (code, err))
    check("exported " in err and 'from PostgreSQL "' in err, err)
    return out


def import_(binary, conninfo, *args):
    return run(binary, "import", "--postgres", conninfo, *args)


def round_trips(binary, tmp, first, export_file):
    with TempDatabase("cli") as db:
        code, _, err = import_(binary, db.conninfo, export_file)
        check(code == 0, err)
        users = len(users_of(first))
        check("%d inserted" % users in err and "2 Services imported" in err, err)
        second = export(binary, db.conninfo)
        check(second == first, "export --postgres differs from the durable export:\n%s\n%s"
              % (first, second))
        check(export(binary, db.conninfo, "--service", IS_B) ==
              "".join(line + "\n" for line in first.splitlines()
                      if json.loads(line)["item"].get("service_sid",
                                                      json.loads(line)["item"]["sid"]) == IS_B))
        out_file = os.path.join(tmp, "pg.ndjson")
        code, out, err = run(binary, "export", "--postgres", db.conninfo, "-o", out_file)
        check(code == 0 and out == "", err)
        with open(out_file, encoding="utf-8") as f:
            check(f.read() == first)
        code, _, err = run(binary, "export", "--postgres", db.conninfo, "--service",
                           "IS" + "f" * 32)
        check(code == 1 and json.loads(err.splitlines()[0])["code"] == 20404, err)

        # Into a second database, and out again.
        with TempDatabase("cli") as db2:
            code, _, err = import_(binary, db2.conninfo, out_file)
            check(code == 0, err)
            check(export(binary, db2.conninfo) == first, "second database differs")

        sessions(binary, db, first)
        modes(binary, tmp, db, export_file, first)


def sessions(binary, db, first):
    session = Session(binary, "--postgres", db.conninfo)
    for item in users_of(first):
        status, body = session.send("GET", "/v2/Services/%s/Users/%s" %
                                    (item["service_sid"], item["sid"]))
        # Byte for byte what export wrote (presence is null in both).
        check(status == 200 and body == item, (status, body, item))
    status, created = session.send("POST", "/v2/Services/%s/Users" % IS_B, "Identity=from-stdio",
                                   {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 201, (status, created))
    session.close()
    # Another process (a new replica) sees it; so does export.
    session = Session(binary, "--postgres", db.conninfo)
    status, body = session.send("GET", "/v2/Services/%s/Users/from-stdio" % IS_B)
    check(status == 200 and body["sid"] == created["sid"], (status, body))
    status, _ = session.send("DELETE", "/v2/Services/%s/Users/from-stdio" % IS_B)
    check(status == 204)
    session.close()
    check(export(binary, db.conninfo) == first, "the create and delete left a trace")
    # The opened line names the database, not a password.
    code, _, err = run(binary, "stdio", "--postgres", db.conninfo + " password=hunter2",
                       stdin="")
    check(code == 0 and "opened PostgreSQL" in err and "hunter2" not in err
          and "password=***" in err, err)


def modes(binary, tmp, db, export_file, first):
    users = len(users_of(first))
    # Insert again: every user is a conflict; nothing changes.
    code, _, err = import_(binary, db.conninfo, export_file)
    check(code == 1 and "%d rejected" % users in err and ": 409/" in err, err)
    code, _, err = import_(binary, db.conninfo, "--mode", "skip", export_file)
    check(code == 0 and "%d skipped" % users in err, err)
    code, _, err = import_(binary, db.conninfo, "--mode", "upsert", export_file)
    check(code == 0 and "%d replaced" % users in err, err)
    check(export(binary, db.conninfo) == first, "upsert of the same rows changed them")
    # --dry-run reports what a run would do and writes nothing.
    new_user = os.path.join(tmp, "new.ndjson")
    with open(new_user, "w", encoding="utf-8") as f:
        f.write(json.dumps({"sid": "US" + "7" * 32, "identity": "dry", "service_sid": IS_B,
                            "date_created": "2016-03-24T21:05:19Z",
                            "date_updated": "2016-03-24T21:05:19Z"}) + "\n")
    code, _, err = import_(binary, db.conninfo, "--dry-run", new_user)
    check(code == 0 and "dry run, nothing written" in err and "1 inserted" in err, err)
    check(export(binary, db.conninfo) == first, "--dry-run wrote")
    with TempDatabase("cli") as empty:
        code, _, err = import_(binary, empty.conninfo, "--dry-run", export_file)
        check(code == 0 and "%d inserted" % users in err, err)
        check(export(binary, empty.conninfo) == "", "--dry-run wrote into an empty database")


def bindings(binary, tmp):
    fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "import_fixtures",
                           "export.ndjson")
    with open(fixture, encoding="utf-8") as f:
        text = f.read()
    text += "\n".join([
        binding("BS" + "1" * 32, "US" + "a" * 32, "tok-a", "2016-01-01T00:00:00Z"),
        binding("BS" + "2" * 32, "US" + "b" * 32, "tok-b", "2016-01-02T00:00:00Z"),
        json.dumps({"type": "configuration", "item": {
            "default_chat_service_sid": "IS" + "a" * 32, "default_inactive_timer": "PT10M"}}),
    ]) + "\n"
    source = os.path.join(tmp, "bindings.ndjson")
    with open(source, "w", encoding="utf-8") as f:
        f.write(text)
    durable = os.path.join(tmp, "bindings-dir")
    code, _, err = run(binary, "import", "--data-dir", durable, source)
    check(code == 0, err)
    code, expected, err = run(binary, "export", "--data-dir", durable)
    check(code == 0, err)
    expected = "".join(line + "\n" for line in expected.splitlines()
                       if json.loads(line)["type"] != "binding")
    with TempDatabase("cli") as db:
        code, _, err = import_(binary, db.conninfo, source)
        check(code == 1, err)
        check(err.count("warning: 501/20501") == 1 and "bindings.ndjson:10: warning" in err, err)
        check("3 inserted" in err and "2 Bindings read: 0 inserted, 0 replaced, 0 skipped, "
              "2 not imported" in err and "the Configuration imported" in err, err)
        got = export(binary, db.conninfo)
        check(got == expected, "export --postgres:\n%s\nexpected:\n%s" % (got, expected))
        check(json.loads(got.splitlines()[-1])["type"] == "configuration", got)
        with TempDatabase("cli") as db2:
            pg_file = os.path.join(tmp, "bindings-pg.ndjson")
            with open(pg_file, "w", encoding="utf-8") as f:
                f.write(got)
            code, _, err = import_(binary, db2.conninfo, pg_file)
            check(code == 0 and "the Configuration imported" in err, err)
            check(export(binary, db2.conninfo) == got, "second database differs")
            code, _, err = import_(binary, db2.conninfo, pg_file)
            check(code == 1 and "409/20001 the store has a Configuration already" in err, err)
            code, _, err = import_(binary, db2.conninfo, "--mode", "skip", pg_file)
            check(code == 0 and "the Configuration skipped" in err, err)


def replay(binary):
    http_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples",
                             "twilio-docs.http")
    with TempDatabase("cli") as db:
        for run_number in (1, 2):
            code, out, err = run(binary, "replay", "--postgres", db.conninfo, "--service",
                                 "IS" + "a" * 32, "--role", "RL" + "a" * 32, http_file)
            statuses = [line for line in out.splitlines() if line.startswith("HTTP/1.1 ")]
            check(code == 0 and "opened PostgreSQL" in err, (run_number, code, err))
            check(statuses == ["HTTP/1.1 201 Created"] + ["HTTP/1.1 200 OK"] * 4 +
                  ["HTTP/1.1 204 No Content"], (run_number, statuses))


def usage(binary, tmp):
    for args, message in [
            (["stdio", "--postgres", "x", "--data-dir", tmp], "exclude each other"),
            (["export", "--data-dir", tmp, "--postgres", "x"], "exclude each other"),
            (["events", "--postgres", "x"], "events does not take --postgres"),
            (["get", tmp, "k", "--postgres", "x"], "get does not take --postgres"),
            (["import", "--postgres", "x", "--no-sync", "f"], "need --data-dir")]:
        code, _, err = run(binary, *args)
        check(code == 2 and message in err, (args, code, err))
    unreachable = "host=%s port=1 dbname=nothing password=hunter2 connect_timeout=5" % tmp
    for args in (["export", "--postgres", unreachable],
                 ["stdio", "--postgres", unreachable]):
        code, _, err = run(binary, *args, stdin="")
        check(code == 2 and "--postgres" in err and "hunter2" not in err, (args, code, err))


def main():
    binary = sys.argv[1]
    reason = skip_reason()
    if reason is not None:
        print("skipped: " + reason)
        sys.exit(SKIPPED)
    with tempfile.TemporaryDirectory(prefix="userstore-pg-cli-") as tmp:
        first = varied_store(binary, tmp)
        check(len(records(first)) > 0)
        round_trips(binary, tmp, first, os.path.join(tmp, "a.ndjson"))
        bindings(binary, tmp)
        replay(binary)
        usage(binary, tmp)
    print("ok")


if __name__ == "__main__":
    main()
