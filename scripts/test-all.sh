#!/usr/bin/env bash
# Runs every test of phongthu: formatting, lints, the whole workspace on SQLite, the storage and
# HTTP suites again on PostgreSQL, and the browser journeys in headless Chromium.
# Needs: PostgreSQL on 127.0.0.1:5432 with trust auth (override with PHONGTHU_PG_URL), chromium,
# node/npm, tesseract-ocr (+ -vie) and poppler-utils (installed by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PHONGTHU_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
# Every cargo command selects the whole workspace, so that dependencies are built once with one
# set of features (selecting single packages would rebuild the typst stack with another set).
if cargo nextest --version >/dev/null 2>&1; then
  run_tests() { cargo nextest run --no-fail-fast --no-tests=pass --workspace "$@"; }
  storage_and_http=(-E 'package(phongthu-store) | package(phongthu-web)')
else
  run_tests() { cargo test --no-fail-fast --workspace "$@"; }
  storage_and_http=()
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

echo "== tests on SQLite (all crates)"
run_tests

echo "== storage and HTTP suites on PostgreSQL ($PG_URL)"
PHONGTHU_TEST_DATABASE_URL="$PG_URL" run_tests "${storage_and_http[@]}"

echo "== doc tests (nextest does not run them; the crates have none today, any example added runs here)"
cargo test --workspace --doc

echo "== browser journeys (headless Chromium)"
cargo build --workspace --bins
if [ -d tests/browser ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
  node --test tests/browser/
fi
echo "== all tests passed"
