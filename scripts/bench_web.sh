#!/usr/bin/env bash
# Web budgets (a benchmark, not a test):
#   - wasm + model, gzipped: <= 3 MB
#   - a 4 s clip, from file chosen to result drawn, in headless Chromium: <= 200 ms,
#     read from the page's performance.measure("ser:input-to-result").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
scripts/build_web.sh --if-needed
node tests/e2e/bench.mjs
