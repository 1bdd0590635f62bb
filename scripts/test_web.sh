#!/usr/bin/env bash
# End-to-end tests of the web page: builds dist/ if its sources changed, builds the native
# `ser` (the reference the page must match), then runs tests/e2e with playwright-core driving
# /usr/bin/chromium headless. Screenshots and the network log go to tests/artifacts/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
scripts/build_web.sh --if-needed
# The same features as `cargo test --release`, so scripts/test.sh does not rebuild tract
# (a plain `cargo build` unifies features without the dev-dependencies).
cargo test --release --locked --no-run --quiet
mkdir -p tests/artifacts
node --test --test-concurrency=1 tests/e2e/
echo "test_web: screenshots in tests/artifacts/: $(cd tests/artifacts && ls ./*.png | tr '\n' ' ')"
