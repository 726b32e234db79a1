#!/bin/sh
# pg.sh start|stop DIR: a private PostgreSQL 15 server with PostGIS for the
# tests, on a Unix socket in DIR (no TCP port), trust authentication.
# `start` prints the connection URL of a fresh database `sitewatch` and
# leaves DIR/up (the URL) for the tests, or DIR/down (why not) and exits 0
# when given --fixture (the tests then say they are skipped); `stop` stops
# it. As root the server runs as the `postgres` user (PostgreSQL refuses
# root).
set -eu
cmd=$1 dir=$2 fixture=${3:-}
down() {
    echo "$1" >"$dir/down"
    echo "pg.sh: $1" >&2
    [ -n "$fixture" ] && exit 0 || exit 1
}
as=""
if [ "$(id -u)" -eq 0 ]; then as="runuser -u postgres --"; fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
case $cmd in
start)
    [ -d "$dir/data" ] && $as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    [ -n "$bin" ] || down "PostgreSQL is not installed (postgresql-15)"
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 ||
        down "PostGIS is not installed (postgresql-15-postgis-3)"
    [ -z "$as" ] || chown postgres "$dir"
    $as "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
        down "initdb failed: $(tail -1 "$dir/initdb.log")"
    $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -c max_connections=200 -c fsync=off" start >/dev/null ||
        down "the server did not start: $(tail -1 "$dir/server.log")"
    "$bin/psql" -h "$dir" -U postgres -q -c "CREATE DATABASE sitewatch" postgres >/dev/null
    echo "postgresql:///sitewatch?host=$dir&user=postgres" | tee "$dir/up"
    ;;
stop)
    [ -d "$dir/data" ] && $as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
*) echo "usage: pg.sh start|stop DIR" >&2; exit 2 ;;
esac
