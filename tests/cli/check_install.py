#!/usr/bin/env python3
"""ctest: `cmake --install` puts the `userstore` program in bin/.

Usage: check_install.py CMAKE BUILD_DIR VERSION

Installs BUILD_DIR (built) into a temporary prefix and checks that
PREFIX/bin/userstore is there, executable, prints "userstore VERSION" for
--version, and reads a store (`list` of a store made by `stdio --data-dir
--create-services` with it). Exits non-zero on a mismatch.
"""
import json
import os
import subprocess
import sys
import tempfile


def check(condition, message="check failed"):
    """An assert that python -O cannot remove."""
    if not condition:
        raise AssertionError(message)


def main():
    cmake, build, version = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory(prefix="userstore-install-") as prefix:
        p = subprocess.run([cmake, "--install", build, "--prefix", prefix],
                           capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, p.stdout + p.stderr)
        program = os.path.join(prefix, "bin", "userstore")
        check(os.path.isfile(program) and os.access(program, os.X_OK),
              "%s missing or not executable; installed:\n%s" % (program, p.stdout))
        check(os.listdir(os.path.join(prefix, "bin")) == ["userstore"],
              os.listdir(os.path.join(prefix, "bin")))
        p = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and p.stdout == "userstore %s\n" % version,
              (p.returncode, p.stdout, p.stderr))

        store = os.path.join(prefix, "store")
        service = "IS" + "a" * 32
        line = json.dumps({"method": "POST", "path": "/v2/Services/%s/Users" % service,
                           "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                           "body": "Identity=alice"})
        p = subprocess.run([program, "stdio", "--data-dir", store, "--create-services"],
                           input=line + "\n", capture_output=True, text=True, timeout=60)
        check(p.returncode == 0 and json.loads(p.stdout)["status"] == 201, p)
        p = subprocess.run([program, "list", store], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        check(p.returncode == 0, p)
        check([json.loads(l)["identity"] for l in p.stdout.splitlines()] == ["alice"], p.stdout)
    print("ok: cmake --install puts bin/userstore, which runs")


if __name__ == "__main__":
    main()
