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
# Firefox runs Web Audio only where a sound server answers: a PulseAudio daemon (its null sink
# when there is no sound card), started for the tests if none runs, and stopped after them.
if command -v pulseaudio >/dev/null && ! pulseaudio --check 2>/dev/null; then
  if pulseaudio --daemonize=yes --exit-idle-time=-1 2>/dev/null; then
    trap 'pulseaudio --kill 2>/dev/null || true' EXIT
  else
    echo "test_web: could not start PulseAudio; the Firefox live-mode test will say why it skips" >&2
  fi
fi
node --test --test-concurrency=1 tests/e2e/
echo "test_web: screenshots in tests/artifacts/: $(cd tests/artifacts && ls ./*.png | tr '\n' ' ')"
