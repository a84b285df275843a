"""Helpers of the Python tests that need PostgreSQL (tests/postgres/README.md):
the cluster's connection string from USERSTORE_PG_CONNINFO, and a database
of the test's own, made and dropped with psql.

    from pg_support import TempDatabase, skip_reason
    reason = skip_reason()          # None when the tests can run
    with TempDatabase("cli") as db: # CREATE DATABASE ust_cli_<random>
        run(..., "--postgres", db.conninfo)
    # DROP DATABASE ... WITH (FORCE) at the end (after the processes using it
    # have stopped: that also drops the replication slots they left)
"""
import glob
import os
import secrets
import shutil
import subprocess

SKIP_MESSAGE = ("USERSTORE_PG_CONNINFO is not set: start PostgreSQL with "
                "scripts/postgres.sh start")


def admin_conninfo():
    """The cluster's connection string, or None when the variable is unset."""
    value = os.environ.get("USERSTORE_PG_CONNINFO", "")
    return value or None


def skip_reason():
    """Why the PostgreSQL tests cannot run (SKIP_MESSAGE), or None. With
    USERSTORE_PG_REQUIRED=1 a missing variable is an error instead."""
    if admin_conninfo() is not None:
        return None
    if os.environ.get("USERSTORE_PG_REQUIRED") == "1":
        raise RuntimeError("USERSTORE_PG_REQUIRED=1 but " + SKIP_MESSAGE)
    return SKIP_MESSAGE


def psql_binary():
    """psql from PATH, else Debian's /usr/lib/postgresql/N/bin/psql."""
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))
    if not candidates:
        raise RuntimeError("psql not found (apt-get install postgresql-client)")
    return candidates[-1]


def psql(conninfo, sql, timeout=120):
    """Runs one SQL command; returns its output (unaligned, tuples only)."""
    p = subprocess.run([psql_binary(), "-X", "-v", "ON_ERROR_STOP=1", "-At", "-d", conninfo,
                        "-c", sql], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise RuntimeError("psql %r failed (%d): %s" % (sql, p.returncode, p.stderr))
    return p.stdout


class TempDatabase:
    """A database of the test's own: CREATE DATABASE ust_<tag>_<random> on
    the cluster of USERSTORE_PG_CONNINFO; drop() (or leaving the with block)
    drops it WITH (FORCE)."""

    def __init__(self, tag="t"):
        admin = admin_conninfo()
        if admin is None:
            raise RuntimeError(SKIP_MESSAGE)
        self.admin = admin
        # Lowercase letters, digits and '_': no quoting needed.
        self.name = "ust_%s_%s" % (tag, secrets.token_hex(6))
        # libpq takes the last of a repeated keyword.
        self.conninfo = "%s dbname=%s" % (admin, self.name)
        self.created = False

    def create(self):
        psql(self.admin, "CREATE DATABASE " + self.name)
        self.created = True
        return self

    def drop(self):
        if self.created:
            psql(self.admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
            self.created = False

    def sql(self, statement):
        """Runs `statement` in this database; returns psql's output."""
        return psql(self.conninfo, statement)

    def __enter__(self):
        return self.create()

    def __exit__(self, *exc):
        self.drop()


def random_name(prefix):
    """A replica name (SharedOptions::replica_name: [a-z0-9_]{1,40}) unique
    on the cluster: a slot name is the cluster's, not the database's."""
    return "%s_%s" % (prefix, secrets.token_hex(4))
