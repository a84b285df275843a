#!/usr/bin/env python3
"""ctest: `userstore export` and `userstore import` (issue 14).

Usage: check_export_import.py USERSTORE_BINARY SOURCE_DIR

In a fresh temporary directory:
 1. round trip: a store A with varied users (odd identities, unicode, 16 KiB
    attributes, null friendly names, non-zero joined counts, an update and a
    delete, two Services and an added role), written by a `stdio` session
    and an import; `export` of A while that session still holds it; import
    into an empty directory B; export of B is byte-identical; fetch by SID
    and by identity and a full paging walk through the REST facade agree;
 2. every input shape (tests/cli/import_fixtures/) gives the same users:
    export NDJSON, pretty concatenated pages with next_page_url, pages one
    per line, the Twilio CLI's -o json, bare users NDJSON; the CLI's empty
    output imports nothing (exit 0); stdin (`-`);
 3. modes against SID and identity conflicts (insert, skip, upsert) and the
    per-row errors with their Twilio codes;
 4. a 50-row file with 3 bad rows: exactly those 3 reported with their
    line numbers, the other 47 imported, exit 1;
 5. --dry-run writes nothing (a missing DIR is not created; an existing
    store is unchanged) and reports what the real run reports;
 6. --service and --create-services; usage errors;
 7. push Bindings and the Conversations Configuration (issue 17): the
    fixture export plus hand-written `binding` and `configuration` records
    imports, exports, imports into a fresh directory and exports again byte
    for byte; malformed ones are refused naming their line.
Exits non-zero on a mismatch.
"""
import json
import os
import sys
import tempfile
import urllib.parse

from cli_support import Session, check, run

IS_A = "IS" + "a" * 32
IS_B = "IS" + "b" * 32
IS_C = "IS" + "c" * 32
RL_X = "RL" + "1" * 32
RL_FIX = "RL" + "a" * 32
AC = "AC" + "5" * 32
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def export(binary, data, *flags):
    code, out, err = run(binary, "export", "--data-dir", data, *flags)
    check(code == 0, (code, err))
    return out


def import_(binary, data, *args, stdin=None):
    return run(binary, "import", "--data-dir", data, *args, stdin=stdin)


def records(text):
    return [json.loads(line) for line in text.splitlines()]


def users_of(text):
    return [r["item"] for r in records(text) if r["type"] == "user"]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def bare(sid, identity, created="2016-03-24T21:05:19Z", updated=None, **fields):
    user = {"sid": sid, "identity": identity, "service_sid": IS_A, "role_sid": RL_FIX,
            "date_created": created, "date_updated": updated or created}
    user.update(fields)
    return json.dumps(user, ensure_ascii=False)


def walk(session, service, page_size):
    """Every user of a full paging walk through the REST facade."""
    users = []
    path = "/v2/Services/%s/Users?PageSize=%d" % (service, page_size)
    while path:
        status, body = session.send("GET", path)
        check(status == 200, (status, body))
        users += body["users"]
        nxt = body["meta"]["next_page_url"]
        path = None if nxt is None else urllib.parse.urlsplit(nxt).path + "?" + \
            urllib.parse.urlsplit(nxt).query
    return users


def round_trip(binary, tmp):
    a = os.path.join(tmp, "a")
    session = Session(binary, "--data-dir", a, "--service", IS_A, "--service", IS_B,
                      "--role", RL_X, "--account", AC)
    identities = ["plain", "with space", "slash/and?query&x=1", "percent%41", "ünïcödé",
                  "emoji \U0001F600", "quote\"back\\slash", "tab\there", "日本語", "-dash",
                  "a" * 200, "UPPER", "upper"]
    big = json.dumps({"blob": "x" * (16 * 1024 - 20)}, separators=(",", ":"))
    check(len(big) <= 16 * 1024, len(big))
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
        if i % 5 == 2:
            form["RoleSid"] = RL_X
        status, body = session.send("POST", "/v2/Services/%s/Users" % service,
                                    urllib.parse.urlencode(form), FORM)
        check(status == 201, (status, body))
        created.append(body)
    # An update and a delete: the export holds the state, not the history.
    status, _ = session.send("POST", "/v2/Services/%s/Users/%s" % (IS_A, created[1]["sid"]),
                             "FriendlyName=renamed", FORM)
    check(status == 200)
    status, _ = session.send("DELETE", "/v2/Services/%s/Users/%s" % (IS_A, created[2]["sid"]))
    check(status == 204)
    session.close()
    # Joined counts and old dates come in by an import.
    extra = os.path.join(tmp, "extra.ndjson")
    write(extra, "\n".join(
        json.dumps({"sid": "US%032x" % (0xe000 + i), "identity": "imported-%d" % i,
                    "service_sid": IS_A, "role_sid": RL_X, "friendly_name": None,
                    "attributes": json.dumps({"i": i}), "joined_channels_count": i * 7,
                    "date_created": "2015-0%d-01T00:00:0%dZ" % (i + 1, i),
                    "date_updated": "2016-01-01T00:00:00Z"}) for i in range(5)) + "\n")
    code, _, err = import_(binary, a, extra)
    check(code == 0, err)
    check("5 inserted" in err, err)

    # Export beside a running store.
    session = Session(binary, "--data-dir", a)
    first = export(binary, a)
    kinds = [r["type"] for r in records(first)]
    check(kinds[0] == "service" and kinds.count("service") == 2, kinds)
    check(kinds.count("role") == 2 * 5, kinds)  # four defaults and RL_X each
    check(kinds.count("user") == len(identities) - 1 + 5, kinds)
    # Each item is exactly what the facade's fetch returns.
    for item in users_of(first)[:4]:
        status, body = session.send("GET", "/v2/Services/%s/Users/%s" %
                                    (item["service_sid"], item["sid"]))
        check(status == 200 and body == item, (body, item))
    session.close()
    out_file = os.path.join(tmp, "a.ndjson")
    code, out, err = run(binary, "export", "--data-dir", a, "-o", out_file)
    check(code == 0 and out == "", err)
    with open(out_file, encoding="utf-8") as f:
        check(f.read() == first)
    check(export(binary, a, "--service", IS_B) ==
          "".join(line + "\n" for line in first.splitlines()
                  if json.loads(line)["item"].get("service_sid", json.loads(line)["item"]["sid"])
                  == IS_B))

    # Into an empty directory, and out again: byte for byte.
    b = os.path.join(tmp, "b")
    code, _, err = import_(binary, b, out_file)
    check(code == 0, err)
    second = export(binary, b)
    check(second == first, "export of the imported store differs")
    code, out, _ = run(binary, "check", b)
    check(code == 0, out)

    # Fetch by SID and identity, and a paging walk, agree.
    sa = Session(binary, "--data-dir", a)
    sb = Session(binary, "--data-dir", b)
    for item in users_of(first):
        for key in (item["sid"], urllib.parse.quote(item["identity"], safe="")):
            path = "/v2/Services/%s/Users/%s" % (item["service_sid"], key)
            ra, rb = sa.send("GET", path), sb.send("GET", path)
            check(ra == rb and ra[0] == 200, (path, ra, rb))
    for service in (IS_A, IS_B):
        check(walk(sa, service, 3) == walk(sb, service, 3), "paging walks differ")
    sa.close()
    sb.close()
    return first


def shapes(binary, src, tmp):
    fixtures = os.path.join(src, "tests", "cli", "import_fixtures")
    reference = os.path.join(tmp, "ref")
    code, _, err = import_(binary, reference, os.path.join(fixtures, "export.ndjson"))
    check(code == 0 and "3 inserted" in err, err)
    expected = export(binary, reference)
    # The Service and roles alone, then each Twilio-shaped file.
    head = os.path.join(tmp, "head.ndjson")
    with open(os.path.join(fixtures, "export.ndjson"), encoding="utf-8") as f:
        write(head, "".join(l for l in f if json.loads(l)["type"] != "user"))
    for name in ["twilio_pages.json", "twilio_pages.ndjson", "twilio_cli.json", "users.ndjson",
                 "-"]:
        d = os.path.join(tmp, "shape-" + name.replace(".", "-"))
        code, _, err = import_(binary, d, head)
        check(code == 0, err)
        if name == "-":
            with open(os.path.join(fixtures, "users.ndjson"), encoding="utf-8") as f:
                code, _, err = import_(binary, d, "-", stdin=f.read())
        else:
            code, _, err = import_(binary, d, os.path.join(fixtures, name))
        check(code == 0 and "3 inserted" in err, (name, err))
        check(export(binary, d) == expected, name)
    code, _, err = import_(binary, os.path.join(tmp, "empty"),
                           os.path.join(fixtures, "twilio_cli_empty.json"))
    check(code == 0 and "0 users read" in err, err)
    check(not os.path.exists(os.path.join(tmp, "empty")), "an empty import created the store")
    return reference


def modes(binary, src, tmp, store):
    users = os.path.join(src, "tests", "cli", "import_fixtures", "users.ndjson")
    code, _, err = import_(binary, store, users)
    check(code == 1, err)
    for line in (1, 2, 3):
        check("userstore: import %s:%d: 409/" % (users, line) in err, err)
    check("3 rejected" in err, err)
    code, _, err = import_(binary, store, "--mode", "skip", users)
    check(code == 0 and "3 skipped" in err, err)
    before = export(binary, store)
    code, _, err = import_(binary, store, "--mode", "upsert", users)
    check(code == 0 and "3 replaced" in err, err)
    check(export(binary, store) == before, "upsert of the same rows changed them")
    # Upsert: new values replace; an identity taken by another SID is 50201.
    changed = write(os.path.join(tmp, "changed.ndjson"), "\n".join([
        bare("US" + "a" * 32, "jing", joined_channels_count=9, friendly_name="new"),
        bare("US" + "d" * 32, "jing"),
    ]) + "\n")
    code, _, err = import_(binary, store, "--mode", "upsert", changed)
    check(code == 1 and "1 replaced" in err and "1 rejected" in err, err)
    check("changed.ndjson:2: 409/50201" in err, err)
    jing = [u for u in users_of(export(binary, store)) if u["identity"] == "jing"][0]
    check(jing["joined_channels_count"] == 9 and jing["friendly_name"] == "new", jing)
    # Insert with a new SID but a taken identity: 50201; skip leaves it.
    code, _, err = import_(binary, store, changed)
    check(code == 1 and "changed.ndjson:1: 409/" in err and "changed.ndjson:2: 409/50201" in err,
          err)
    code, _, err = import_(binary, store, "--mode", "skip", changed)
    check(code == 0 and "2 skipped" in err, err)

    # Per-row errors, each with its Twilio code.
    rows = [
        (bare("US" + "1" * 32, "r1", role_sid="RL" + "9" * 32), "400/50100"),
        (bare("US" + "2" * 32, ""), "400/50204"),
        (bare("US" + "3" * 32, "r3", attributes="{not json"), "400/50304"),
        (bare("US" + "4" * 32, "r4", attributes="[1]"), "400/50304"),
        (bare("US" + "5" * 32, "r5", friendly_name="f" * 300), "400/50003"),
        (bare("not-a-sid", "r6"), "400/20001"),
        (bare("US" + "7" * 32, "r7", joined_channels_count=-1), "400/20001"),
        (bare("US" + "8" * 32, "r8", created="2016-03-24T21:05:19Z",
              updated="2016-03-23T21:05:19Z"), "400/20001"),
        (bare("US" + "9" * 32, "r9", role_sid="RL" + "c" * 32), "400/50105"),  # channel role
        (bare("US" + "b" * 32, "r10"), "409/20001"),  # the SID of zoë
    ]
    bad = write(os.path.join(tmp, "bad.ndjson"), "\n".join(r for r, _ in rows) + "\n")
    code, _, err = import_(binary, store, bad)
    check(code == 1 and "%d rejected" % len(rows) in err, err)
    for i, (_, code_text) in enumerate(rows):
        check("bad.ndjson:%d: %s" % (i + 1, code_text) in err, (i, code_text, err))
    check("RL" + "9" * 32 in err, "the unknown role is not named")


def fifty_rows(binary, tmp, store):
    lines = []
    for i in range(50):
        lines.append(bare("US%032x" % (0xf000 + i), "row-%d" % i))
    lines[6] = '{"sid": "US%032x", "identity": ' % 0xf006  # not JSON
    lines[22] = bare("US%032x" % (0xf000 + 22), "row-22", role_sid="RL" + "8" * 32)
    lines[40] = json.dumps({"sid": "US%032x" % (0xf000 + 40), "identity": "row-40",
                            "service_sid": IS_A})  # no dates
    path = write(os.path.join(tmp, "fifty.ndjson"), "\n".join(lines) + "\n")
    before = len(users_of(export(binary, store)))
    code, _, err = import_(binary, store, path)
    check(code == 1, err)
    # Rows the parser refuses are reported as read, the Store's at the end of
    # their batch: sorted by line here.
    reported = sorted((l for l in err.splitlines() if l.startswith("userstore: import ")),
                      key=lambda l: int(l[len("userstore: import %s:" % path):].split(":")[0]))
    check(len(reported) == 3, err)
    check(reported[0].startswith("userstore: import %s:7: 400/20001" % path), reported)
    check(reported[1].startswith("userstore: import %s:23: 400/50100" % path), reported)
    check(reported[2].startswith("userstore: import %s:41: 400/20001" % path), reported)
    check("47 inserted" in err and "3 rejected" in err, err)
    check(len(users_of(export(binary, store))) == before + 47)


def dry_run(binary, src, tmp, store):
    fixtures = os.path.join(src, "tests", "cli", "import_fixtures")
    missing = os.path.join(tmp, "never")
    code, _, err = import_(binary, missing, "--dry-run", os.path.join(fixtures, "export.ndjson"))
    check(code == 0 and "3 inserted" in err and "dry run" in err, err)
    check(not os.path.exists(missing), "--dry-run created the directory")
    before = export(binary, store)
    new = write(os.path.join(tmp, "new.ndjson"),
                bare("US" + "e" * 32, "brand-new") + "\n" + bare("US" + "a" * 32, "jing") + "\n")
    code, _, dry_err = import_(binary, store, "--dry-run", new)
    check(code == 1 and "1 inserted" in dry_err and "1 rejected" in dry_err, dry_err)
    check(export(binary, store) == before, "--dry-run changed the store")
    code, _, err = import_(binary, store, new)
    check(code == 1 and "1 inserted" in err, err)
    check(export(binary, store) != before)


def services(binary, tmp):
    d = os.path.join(tmp, "svc")
    no_service = write(os.path.join(tmp, "no_service.ndjson"), json.dumps(
        {"sid": "US" + "f" * 32, "identity": "lonely", "date_created": "2020-01-01T00:00:00Z",
         "date_updated": "2020-01-01T00:00:00Z"}) + "\n")
    code, _, err = import_(binary, d, no_service)
    check(code == 1 and "give --service" in err, err)
    code, _, err = import_(binary, d, "--service", IS_C, no_service)
    check(code == 1 and "404/20404" in err and "--create-services" in err, err)
    code, _, err = import_(binary, d, "--service", IS_C, "--create-services", no_service)
    check(code == 0 and "1 inserted" in err and "1 created" in err, err)
    lonely = users_of(export(binary, d))
    check(len(lonely) == 1 and lonely[0]["service_sid"] == IS_C, lonely)
    # Records of another Service are passed over with --service.
    other = write(os.path.join(tmp, "other.ndjson"), bare("US" + "0" * 32, "x") + "\n")
    code, _, err = import_(binary, d, "--service", IS_C, other)
    check(code == 0 and "1 of other Services passed over" in err, err)


def binding(sid, user, endpoint, created, **fields):
    item = {"sid": sid, "account_sid": "AC" + "a" * 32, "service_sid": IS_A,
            "date_created": created, "date_updated": created, "endpoint": endpoint,
            "identity": "ignored", "user_sid": user, "binding_type": "apn",
            "credential_sid": None, "message_types": ["new_message"], "url": "ignored"}
    item.update(fields)
    return json.dumps({"type": "binding", "item": item}, ensure_ascii=False)


def bindings(binary, src, tmp):
    fixture = os.path.join(src, "tests", "cli", "import_fixtures", "export.ndjson")
    with open(fixture, encoding="utf-8") as f:
        text = f.read()
    conf = json.dumps({"type": "configuration", "item": {
        "account_sid": "AC" + "a" * 32, "default_chat_service_sid": IS_A,
        "default_messaging_service_sid": None, "default_inactive_timer": "PT10M",
        "default_closed_timer": None, "url": "x", "links": {}}})
    text += "\n".join([
        binding("BS" + "1" * 32, "US" + "a" * 32, "tok ü", "2016-01-01T00:00:00Z",
                binding_type="fcm", credential_sid="CR" + "c" * 32,
                message_types=["new_message", "added_to_channel"]),
        binding("BS" + "2" * 32, "US" + "b" * 32, "tok-b", "2016-01-02T00:00:00Z"),
        binding("BS" + "3" * 32, "US" + "a" * 32, "tok-a2", "2015-12-01T00:00:00Z",
                binding_type="gcm", message_types=[]),
        conf]) + "\n"
    source = write(os.path.join(tmp, "with_bindings.ndjson"), text)
    d1, d2 = os.path.join(tmp, "bind1"), os.path.join(tmp, "bind2")
    code, _, err = import_(binary, d1, source)
    check(code == 0 and "3 Bindings read: 3 inserted" in err and
          "the Configuration imported" in err, err)
    first = export(binary, d1)
    recs = records(first)
    check([r["type"] for r in recs][-4:] == ["binding"] * 3 + ["configuration"],
          [r["type"] for r in recs])
    got = [r["item"] for r in recs if r["type"] == "binding"]
    # Kept exactly, in the input's order; rendered as Twilio's User Binding.
    check([b["sid"] for b in got] == ["BS" + c * 32 for c in "123"], got)
    check(got[0]["endpoint"] == "tok ü" and got[0]["binding_type"] == "fcm" and
          got[0]["credential_sid"] == "CR" + "c" * 32 and
          got[0]["message_types"] == ["new_message", "added_to_channel"] and
          got[0]["identity"] == "jing" and got[0]["date_created"] == "2016-01-01T00:00:00Z", got)
    check(got[2]["message_types"] == [] and got[2]["date_created"] == "2015-12-01T00:00:00Z", got)
    check(got[1]["url"].endswith("/Users/%s/Bindings/%s" % ("US" + "b" * 32, "BS" + "2" * 32)),
          got[1])
    conf_item = recs[-1]["item"]
    check(conf_item["default_chat_service_sid"] == IS_A and
          conf_item["default_inactive_timer"] == "PT10M" and
          conf_item["default_messaging_service_sid"] is None, conf_item)
    code, _, err = import_(binary, d2, write(os.path.join(tmp, "bind1.ndjson"), first))
    check(code == 0, err)
    check(export(binary, d2) == first, "export of the imported Bindings differs")
    code, out, _ = run(binary, "check", d2)
    check(code == 0, out)
    # A file from before (no such records) imports as before: no new summary.
    code, _, err = import_(binary, os.path.join(tmp, "bind3"), fixture)
    check(code == 0 and "Bindings" not in err and "Configuration" not in err, err)
    # Malformed records, each refused naming its line; the rest goes on.
    bad = write(os.path.join(tmp, "bad_bindings.ndjson"), "\n".join([
        binding("BS" + "4" * 32, "US" + "c" * 32, "ok", "2017-01-01T00:00:00Z"),
        binding("BS" + "5" * 32, "US" + "c" * 32, "x", "2017-01-01T00:00:00Z",
                binding_type="sms"),
        json.dumps({"type": "binding", "item": {"sid": "BS" + "6" * 32}}),
        binding("BS" + "7" * 32, "US" + "9" * 32, "x", "2017-01-01T00:00:00Z"),
        json.dumps({"type": "configuration", "item": {"default_closed_timer": 10}}),
    ]) + "\n")
    code, _, err = import_(binary, d2, "--service", IS_A, bad)
    check(code == 1 and "2 Bindings read: 1 inserted" in err, err)
    check("bad_bindings.ndjson:2: 400/20001 \"binding_type\" of a binding" in err, err)
    check("bad_bindings.ndjson:3: 400/20001 missing \"user_sid\"" in err, err)
    check("bad_bindings.ndjson:4: 404/20404" in err, err)  # no such user
    check("bad_bindings.ndjson:5: 400/20001 \"default_closed_timer\" must be a string" in err,
          err)


def usage(binary, tmp):
    for args, message in [
            (["export"], "export needs --data-dir"),
            (["export", "--data-dir", tmp, "x"], "export takes no argument"),
            (["import", "--data-dir", tmp], "import needs at least one FILE"),
            (["import", "f"], "import needs --data-dir"),
            (["import", "--data-dir", tmp, "--mode", "merge", "f"], "--mode needs insert"),
            (["import", "--data-dir", tmp, "-o", "x", "f"], "import does not take --output"),
            (["export", "--data-dir", tmp, "--dry-run"], "export does not take --dry-run"),
            (["stdio", "--mode", "skip"], "stdio does not take --mode")]:
        code, _, err = run(binary, *args)
        check(code == 2 and message in err, (args, code, err))
    code, _, err = run(binary, "export", "--data-dir", os.path.join(tmp, "nothing"))
    check(code == 2, err)
    code, _, err = import_(binary, os.path.join(tmp, "x"), os.path.join(tmp, "no-such-file"))
    check(code == 1 and "cannot read" in err, err)


def main():
    binary, src = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="userstore-import-") as tmp:
        round_trip(binary, tmp)
        store = shapes(binary, src, tmp)
        modes(binary, src, tmp, store)
        fifty_rows(binary, tmp, store)
        dry_run(binary, src, tmp, store)
        services(binary, tmp)
        bindings(binary, src, tmp)
        usage(binary, tmp)
    print("ok")


if __name__ == "__main__":
    main()
