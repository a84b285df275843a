#!/usr/bin/env python3
"""Checks the layering of docs/design.md against the #include lines.

Every quoted or angled #include of a file in src/, include/, tools/ and
examples/ is classified by its first path segment:

  userstore/...                        the public API (include/userstore/)
  common/ sid/ token/ json/ arena/
  store/ rest/ durable/ shared/        an internal layer (src/<layer>/)
  anything else                        a third-party or same-directory header

and each (including directory -> included layer) edge must be in ALLOWED
below, which is the table docs/design.md shows:

  common  <-  sid, token, json, arena  <-  store  <-  rest, durable, shared

(a layer may include itself and every layer to its left; everyone may include
the public headers; include/userstore/ includes only itself; tools/ and
examples/ include only the public headers and their own files).

A same-directory include ("session.h") is fine only when that file exists
next to the includer; a quoted include that names a file under src/ by a
relative path ("../src/...") is an error too.

Usage:
  check_layering.py --root DIR          exit 0 when every edge is allowed,
                                        1 listing each violation
  check_layering.py --root DIR --self-test
                                        copies DIR's sources to a temporary
                                        directory, adds `#include "rest/router.h"`
                                        (store -> rest) to src/store/store.cc and
                                        checks that the check then fails (exit 0
                                        when it does)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

LAYERS = ["common", "sid", "token", "json", "arena", "store", "rest", "durable", "shared"]
PUBLIC = "userstore"

# Who may include whom (besides PUBLIC, always allowed, and itself).
ALLOWED = {
    "common": set(),
    "sid": {"common"},
    "token": {"common"},
    "json": {"common"},
    "arena": {"common"},
    "store": {"common", "sid", "token", "json", "arena"},
    "rest": {"common", "sid", "token", "json", "arena", "store"},
    "durable": {"common", "sid", "token", "json", "arena", "store"},
    "shared": {"common", "sid", "token", "json", "arena", "store"},
    # Public headers, tools and examples: the public API only.
    "include": set(),
    "tools": set(),
    "examples": set(),
}

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
SOURCE_SUFFIXES = (".h", ".hpp", ".cc", ".cpp")


def owner_of(rel_path):
    """The layer (or 'include' / 'tools' / 'examples') a file belongs to."""
    parts = rel_path.split("/")
    if parts[0] == "src" and len(parts) > 2 and parts[1] in LAYERS:
        return parts[1]
    if parts[0] in ("include", "tools", "examples"):
        return parts[0]
    return None


def check(root):
    problems = []
    checked = 0
    for top in ("src", "include", "tools", "examples"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                owner = owner_of(rel)
                if owner is None:
                    problems.append(f"{rel}: not in a known layer (src/<layer>/ with layer in {LAYERS})")
                    continue
                checked += 1
                with open(path, encoding="utf-8", errors="replace") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE_RE.match(line)
                        if not m:
                            continue
                        quote, target = m.groups()
                        first = target.split("/")[0]
                        close = '"' if quote == '"' else ">"
                        where = f"{rel}:{lineno}: #include {quote}{target}{close}"
                        if first == PUBLIC:
                            continue
                        if first in LAYERS:
                            if first != owner and first not in ALLOWED[owner]:
                                problems.append(f"{where}: {owner} may not include {first} "
                                                f"(allowed: {sorted(ALLOWED[owner]) or 'public headers only'})")
                            continue
                        if quote == '"' and ("src/" in target or target.startswith("..")):
                            problems.append(f"{where}: reaches into another directory")
                            continue
                        if quote == '"' and "/" not in target and owner in LAYERS:
                            problems.append(f"{where}: internal includes name their layer (\"{owner}/{target}\")")
                        # Otherwise a third-party header or a file of the
                        # includer's own directory (tools/, examples/*/).
    return checked, problems


def self_test(root):
    with tempfile.TemporaryDirectory() as tmp:
        for top in ("src", "include", "tools", "examples"):
            shutil.copytree(os.path.join(root, top), os.path.join(tmp, top))
        victim = os.path.join(tmp, "src", "store", "store.cc")
        with open(victim, encoding="utf-8") as f:
            text = f.read()
        with open(victim, "w", encoding="utf-8") as f:
            f.write('#include "rest/router.h"  // deliberately wrong: store -> rest\n' + text)
        run = subprocess.run([sys.executable, os.path.abspath(__file__), "--root", tmp],
                             capture_output=True, text=True)
        sys.stdout.write(run.stdout)
        if run.returncode == 0:
            print("self-test FAILED: a store -> rest include passed the check")
            return 1
        if "src/store/store.cc:1: #include \"rest/router.h\": store may not include rest" not in run.stdout:
            print("self-test FAILED: the check did not name the wrong include")
            return 1
        print("self-test passed: the store -> rest include was rejected")
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the source tree")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test(args.root)
    checked, problems = check(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} violation(s) in {checked} files (docs/design.md)")
        return 1
    print(f"layering: {checked} files, every #include within docs/design.md's table")
    return 0


if __name__ == "__main__":
    sys.exit(main())
