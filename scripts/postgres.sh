#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for userstore's shared-mode tests (issue 16).
#
#   scripts/postgres.sh start    install postgresql-15 / libpq-dev if missing, start the
#                                cluster (fresh, or on the data left by a crash), create the
#                                role and the database; the LAST line of stdout is the libpq
#                                connection string. Already running: prints it again.
#   scripts/postgres.sh restart  stop (fast) if running, start again on the SAME data.
#   scripts/postgres.sh crash    kill -9 the postmaster (for tests); the data stays, and the
#                                next `start` or `restart` recovers from the WAL.
#   scripts/postgres.sh stop     stop (fast) and REMOVE the cluster and its data.
#   scripts/postgres.sh status   exit 0 when running and accepting connections (prints the
#                                connection string), 3 when not.
#   scripts/postgres.sh conninfo print the connection string (does not check the server).
#
# So: `stop` then `start` is a new, empty cluster; a crash (kill -9 of the server, by a test
# or by `crash`) then `start`/`restart` is crash recovery on the same data, with every
# acknowledged commit in it (fsync and synchronous_commit stay on).
#
# Usage in a test run:
#   export USERSTORE_PG_CONNINFO="$(scripts/postgres.sh start | tail -n 1)"
#
# Where:  ${USERSTORE_PG_DIR:-/tmp/userstore-pg}/{data,socket,postgres.log}; port
#         ${USERSTORE_PG_PORT:-5432} (a unix socket only: listen_addresses = ''; the port only
#         names the socket file, so a system cluster on 5432 does not conflict).
# Who:    the server runs as the `postgres` system user (PostgreSQL refuses root). Role
#         `userstore` (LOGIN REPLICATION CREATEDB: tests make their own databases) owns
#         database `userstore`. Local connections are
#         `trust`; the directory is 0700, owned by postgres, so only postgres and root reach
#         the socket. A throwaway test cluster: not for production.
# Server: wal_level = logical, max_replication_slots = max_wal_senders = 16,
#         max_slot_wal_keep_size = 1GB (a slot left behind by a killed test host cannot fill
#         the disk), fsync = on, synchronous_commit = on.
# Time:   measured on the 2-core dev machine while a CI build kept both cores busy, packages
#         already installed: `start` of a fresh cluster 1.2-3.5 s (mostly initdb and its
#         fsyncs); `start` when running 0.08 s; `start` after a kill -9 (crash recovery, whose
#         end-of-recovery checkpoint fsyncs) 1.8-5.5 s; `restart` 0.3 s; `stop` 4 s.
set -euo pipefail

pg_dir=${USERSTORE_PG_DIR:-/tmp/userstore-pg}
port=${USERSTORE_PG_PORT:-5432}
bin=${USERSTORE_PG_BIN:-/usr/lib/postgresql/15/bin}
data=$pg_dir/data
socket=$pg_dir/socket
log=$pg_dir/postgres.log
lock=${pg_dir%/}.lock   # beside the directory: `stop` removes the directory
conninfo="host=$socket port=$port dbname=userstore user=userstore"

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

[[ $pg_dir == /* && $pg_dir != *[[:space:]\'\"\\]* ]] ||
  die "USERSTORE_PG_DIR must be an absolute path without spaces or quotes: '$pg_dir'"
[[ $port =~ ^[0-9]+$ ]] || die "USERSTORE_PG_PORT must be a number: '$port'"

install_packages() {
  local p missing=()
  for p in postgresql-15 libpq-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  ((EUID == 0)) || die "needs root to install: ${missing[*]}"
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# The postmaster's pid when the cluster in $data is running, else nothing. A postmaster.pid
# left by a kill -9 names a dead process, or one whose pid was reused: the postmaster is the
# process with that pid whose working directory is $data (PostgreSQL chdirs there).
postmaster_pid() {
  local pid
  [[ -f $data/postmaster.pid ]] || return 0
  pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$data" ]] && echo "$pid"
  return 0
}

# Every process of this cluster (postmaster and backends): working directory $data.
cluster_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/cwd" 2>/dev/null) == "$data" ]] && echo "${p#/proc/}"
  done
  return 0
}

as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() {
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$socket" -p "$port" -U postgres -d "${1:-postgres}"
}

# After a kill -9 of the postmaster its backends notice the death and exit within moments;
# a new postmaster refuses to start while they still hold the old shared memory. Wait for
# them, then end any that remain (they belong to this dead cluster: cwd is $data).
clear_orphans() {
  local pids i
  for ((i = 0; i < 50; i++)); do
    pids=$(cluster_pids)
    [[ -z $pids ]] && return 0
    sleep 0.1
  done
  say "ending leftover server processes: $(echo "$pids" | tr '\n' ' ')"
  # shellcheck disable=SC2086  # one pid per word
  kill -9 $pids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    [[ -z $(cluster_pids) ]] && return 0
    sleep 0.1
  done
  die "server processes of $data did not exit"
}

init_cluster() {
  say "initdb in $data"
  rm -rf "$pg_dir"
  mkdir -p "$data" "$socket"
  chown -R postgres:postgres "$pg_dir"
  chmod 0700 "$pg_dir" "$data" "$socket"
  # fsync stays on: initdb syncs its files too (no --no-sync).
  as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=reject \
    --encoding=UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 ||
    { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
  cat >>"$data/postgresql.conf" <<EOF

# scripts/postgres.sh (userstore tests)
listen_addresses = ''
port = $port
unix_socket_directories = '$socket'
unix_socket_permissions = 0770
wal_level = logical
max_replication_slots = 16
max_wal_senders = 16
max_slot_wal_keep_size = 1GB
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
}

start_server() {
  local pid
  if [[ -f $data/postmaster.pid && -z $(postmaster_pid) ]]; then
    say "stale postmaster.pid (the server was killed): recovering on the same data"
    clear_orphans
    # No process of the cluster is left (clear_orphans), so its lock files are stale. The
    # server would refuse them while the dead postmaster's pid still answers kill(pid, 0):
    # here the killed postmaster stays a zombie until pid 1 reaps it.
    rm -f "$data/postmaster.pid" "$socket/.s.PGSQL.$port.lock" "$socket/.s.PGSQL.$port"
  fi
  mkdir -p "$socket" && chown postgres:postgres "$socket" && chmod 0700 "$socket"
  # -w: wait until it accepts connections, crash recovery included. 9>&-: the server must
  # not inherit the lock's descriptor (it would hold the lock for its whole life).
  as_postgres "$bin/pg_ctl" -D "$data" -l "$log" -w -t 120 start >/dev/null 9>&- ||
    { tail -n 20 "$log" >&2; die "the server did not start (log: $log)"; }
  pid=$(postmaster_pid)
  [[ -n $pid ]] || die "the server started but postmaster.pid names no live postmaster"
}

ensure_role_and_database() {
  psql_admin postgres <<'EOF'
SELECT 'CREATE ROLE userstore'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'userstore') \gexec
ALTER ROLE userstore LOGIN REPLICATION CREATEDB;
SELECT 'CREATE DATABASE userstore OWNER userstore'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'userstore') \gexec
EOF
}

ready() { "$bin/pg_isready" -q -h "$socket" -p "$port" -d postgres -U postgres; }

cmd_start() {
  install_packages
  [[ -x $bin/initdb ]] || die "no $bin/initdb (set USERSTORE_PG_BIN?)"
  if [[ -n $(postmaster_pid) ]]; then
    ready || die "a server runs on $data but does not accept connections (log: $log)"
  else
    [[ -f $data/PG_VERSION ]] || init_cluster
    start_server
  fi
  ensure_role_and_database
  echo "$conninfo"
}

cmd_stop_server() {  # fast mode; nothing when not running
  local pid
  pid=$(postmaster_pid)
  if [[ -n $pid ]]; then
    as_postgres "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ||
      die "pg_ctl stop failed (log: $log)"
  elif [[ -f $data/postmaster.pid ]]; then
    clear_orphans
  fi
}

cmd_stop() {
  if [[ -d $data ]]; then cmd_stop_server; fi
  rm -rf "$pg_dir"
  say "stopped; removed $pg_dir"
}

cmd_restart() {
  [[ -f $data/PG_VERSION ]] || die "no cluster in $data: use start"
  cmd_stop_server
  start_server
  ensure_role_and_database
  echo "$conninfo"
}

cmd_crash() {
  local pid
  pid=$(postmaster_pid)
  [[ -n $pid ]] || die "not running"
  kill -9 "$pid"
  say "killed postmaster $pid (data kept in $data)"
}

cmd_status() {
  if [[ -n $(postmaster_pid) ]] && ready; then
    say "running (pid $(postmaster_pid), data $data)"
    echo "$conninfo"
    return 0
  fi
  say "not running"
  return 3
}

exec 9>"$lock"   # one invocation at a time (parallel test runners)
flock 9
case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_restart ;;
  crash) cmd_crash ;;
  status) cmd_status ;;
  conninfo) echo "$conninfo" ;;
  *) echo "usage: $0 start|stop|restart|crash|status|conninfo" >&2; exit 2 ;;
esac
