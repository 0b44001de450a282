#!/usr/bin/env bash
# Runs every test of phongthu: formatting, lints, the whole workspace on SQLite, the storage and
# HTTP suites again on PostgreSQL, and the browser journeys in headless Chromium.
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth (override with PHONGTHU_PG_URL), chromium,
# node/npm, tesseract-ocr (+ -vie), poppler-utils and LibreOffice (installed by .ci/run).
#
# Nothing is skipped quietly: the tests that need an external tool fail when it is missing
# (PHONGTHU_REQUIRE_OCR=1; set PHONGTHU_ALLOW_MISSING_TOOLS=1 to let them skip, loudly), an
# unreachable or mistyped PostgreSQL URL fails the run, a test filter that selects nothing fails,
# and the `pg_only_` tests run only (and must pass) on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PHONGTHU_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$PG_URL" in
  postgres://*|postgresql://*) ;;
  *) echo "PHONGTHU_PG_URL=\"$PG_URL\" không phải địa chỉ PostgreSQL (postgres://…)" >&2; exit 2 ;;
esac
if [ "${PHONGTHU_ALLOW_MISSING_TOOLS:-0}" = 1 ]; then
  echo "!! PHONGTHU_ALLOW_MISSING_TOOLS=1: tests needing tesseract/poppler/LibreOffice SKIP when a tool is missing"
  unset PHONGTHU_REQUIRE_OCR
else
  export PHONGTHU_REQUIRE_OCR=1
fi

# Every cargo command selects the whole workspace, so that dependencies are built once with one
# set of features (selecting single packages would rebuild the typst stack with another set).
if cargo nextest --version >/dev/null 2>&1; then
  run_tests() { cargo nextest run --no-fail-fast --no-tests=fail --workspace "$@"; }
  sqlite_run=(-E 'not test(/^pg_only_/)')
  storage_and_http=(-E 'package(phongthu-store) | package(phongthu-web)')
else
  run_tests() { cargo test --no-fail-fast --workspace "$@"; }
  sqlite_run=(-- --skip pg_only_)
  storage_and_http=()
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests on SQLite (all crates)"
run_tests "${sqlite_run[@]}"

echo "== storage and HTTP suites on PostgreSQL ($PG_URL)"
if command -v pg_isready >/dev/null 2>&1; then
  host_port=$(echo "$PG_URL" | sed -E 's#^[a-z]+://([^@/]*@)?([^/:?]+)(:([0-9]+))?.*#\2 \4#')
  read -r pg_host pg_port <<<"$host_port"
  if ! pg_isready -h "$pg_host" -p "${pg_port:-5432}" >/dev/null 2>&1; then
    echo "PostgreSQL không trả lời tại $pg_host:${pg_port:-5432}: các kiểm thử PostgreSQL không chạy được" >&2
    exit 1
  fi
fi
PHONGTHU_TEST_DATABASE_URL="$PG_URL" run_tests "${storage_and_http[@]}"

echo "== doc tests (nextest does not run them; the crates have none today, any example added runs here)"
cargo test --workspace --doc

echo "== browser journeys (headless Chromium)"
cargo build --workspace --bins
(cd tests/browser && npm ci --no-audit --no-fund --silent)
# The shell expands the glob: node ≥ 21 no longer takes a directory for --test.
node --test tests/browser/*.test.mjs
echo "== all tests passed"
