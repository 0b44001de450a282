#!/usr/bin/env bash
# Benchmarks of the spine, recorded in docs/PERFORMANCE.md:
#  1. loading the bundled territory into an empty SQLite file and into PostgreSQL;
#  2. in-memory lookups: the unit a code meant on a date, the roll-up path;
#  3. the home page and territory pages under load (wrk, 50 connections, 30 s, SQLite);
#  4. idle server memory (RSS).
# Usage: scripts/bench-spine.sh [path/to/phongthu]   (default: a release build in target/release)
# Needs: wrk; PostgreSQL at $PHONGTHU_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/phongthu}"
PG_URL="${PHONGTHU_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
DUR="${BENCH_SECONDS:-30}"
work=$(mktemp -d)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== machine"
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== territory load and lookups (SQLite)"
"$BIN" --database "sqlite://$work/bench.db" bench territory --repeat 3
if command -v psql >/dev/null && psql "$PG_URL" -c 'select 1' >/dev/null 2>&1; then
  echo "== territory load (PostgreSQL)"
  psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS phongthu_bench WITH (FORCE)' -c 'CREATE DATABASE phongthu_bench'
  "$BIN" --database "${PG_URL%/*}/phongthu_bench" bench territory --repeat 3
  psql "$PG_URL" -qc 'DROP DATABASE IF EXISTS phongthu_bench WITH (FORCE)'
fi

echo "== web under load (SQLite, wrk -c50 -d${DUR}s)"
port=18089
"$BIN" --database "sqlite://$work/web.db" serve --demo --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.2; done
sleep 2
echo "idle RSS after start: $(ps -o rss= -p $server | awk '{printf "%.1f MB", $1/1024}')"
# Log in once as the province administrator and reuse the session cookie.
jar="$work/jar"
csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=quantri&password=phongthu-demo-2026&next=/" "http://127.0.0.1:$port/login"
cookie=$(awk '$6 == "phongthu_session" {print $7}' "$jar")
[ -n "$cookie" ] || { echo "login failed"; cat "$work/serve.log"; exit 1; }
for path in / /territory "/territory/33?level=province" "/territory/12298?level=commune&on=2025-06-30"; do
  echo "-- GET $path"
  wrk -t2 -c50 -d"${DUR}s" --latency -H "Cookie: phongthu_session=$cookie" "http://127.0.0.1:$port$path" \
    | grep -E 'Requests/sec|Non-2xx|Socket errors|^ +(50|90|99)%|Latency ' || true
done
sleep 5
echo "idle RSS after load: $(ps -o rss= -p $server | awk '{printf "%.1f MB", $1/1024}')"
