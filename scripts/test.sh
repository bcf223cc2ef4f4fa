#!/usr/bin/env bash
# Runs every check of `make test`: lint, types, the suite on SQLite, then again on a real
# PostgreSQL, with a real Redis for the bus tests and a real Chromium for browser tests.
#
# KEFU_TEST_DATABASE_URL / KEFU_TEST_REDIS_URL point at servers you run yourself; without
# them this script starts throwaway ones on loopback (installing Debian's packages when
# they are missing and we are root) and removes them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export PYTHONDONTWRITEBYTECODE=1

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
loud() { printf '\n\033[1;33m!! %s\033[0m\n' "$*" >&2; }

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/postgres" ] || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
  else
    loud "missing ${missing[*]}: install them (sudo apt-get install ${missing[*]}); the runs that need them are SKIPPED"
  fi
fi

STATE=$(mktemp -d /tmp/kefu-test-services.XXXXXX)
cleanup() {
  [ -n "${PG_STARTED:-}" ] && runas "$(pg_bindir)/pg_ctl" -D "$STATE/pg" -m immediate stop >/dev/null 2>&1 || true
  [ -f "$STATE/redis.pid" ] && kill "$(cat "$STATE/redis.pid")" 2>/dev/null || true
  rm -rf "$STATE"
}
trap cleanup EXIT

free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
runas() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [ -z "${KEFU_TEST_DATABASE_URL:-}" ] && [ -x "$(pg_bindir)/postgres" ]; then
  PGPORT=$(free_port)
  [ "$(id -u)" = 0 ] && chown postgres "$STATE"
  runas "$(pg_bindir)/initdb" -D "$STATE/pg" -U kefu -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  runas "$(pg_bindir)/pg_ctl" -D "$STATE/pg" -l "$STATE/pg.log" -w -o \
    "-p $PGPORT -k $STATE -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  PG_STARTED=1
  runas "$(pg_bindir)/createdb" -h 127.0.0.1 -p "$PGPORT" -U kefu kefu
  export KEFU_TEST_DATABASE_URL_PG="postgresql://kefu@127.0.0.1:$PGPORT/kefu"
elif [ -n "${KEFU_TEST_DATABASE_URL:-}" ]; then
  export KEFU_TEST_DATABASE_URL_PG="$KEFU_TEST_DATABASE_URL"
fi
if [ -z "${KEFU_TEST_REDIS_URL:-}" ] && command -v redis-server >/dev/null; then
  RPORT=$(free_port)
  redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$STATE/redis.pid" --dir "$STATE" --logfile "$STATE/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export KEFU_TEST_REDIS_URL="redis://127.0.0.1:$RPORT/0"
fi
unset KEFU_TEST_DATABASE_URL
[ -n "${KEFU_TEST_REDIS_URL:-}" ] || loud "no Redis: the Redis bus tests are SKIPPED"

say "ruff"
"$BIN/ruff" check src tests setup.py $(ls -d bench 2>/dev/null)
say "mypy"
"$BIN/mypy" src
say "tests on SQLite"
"$BIN/pytest" -q -m "not browser" "$@"
say "browser tests (headless Chromium)"
# Their own process: Playwright's sync API keeps an event loop on the main thread, which
# would make Django refuse database access in the tests that follow.
"$BIN/pytest" -q -m browser "$@" || [ $? -eq 5 ]  # 5: none selected
if [ -n "${KEFU_TEST_DATABASE_URL_PG:-}" ]; then
  say "tests on PostgreSQL"
  # Browser tests drive the UI, which does not depend on the database engine: once is enough.
  KEFU_TEST_DATABASE_URL="$KEFU_TEST_DATABASE_URL_PG" "$BIN/pytest" -q -m "not browser" "$@"
else
  loud "no PostgreSQL: the PostgreSQL run is SKIPPED"
fi
say "all checks passed"
