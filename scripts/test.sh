#!/usr/bin/env bash
# Runs every check and test: rustfmt and clippy (native and wasm32), native unit/integration/
# property tests and doctests (librosa parity, decoding, resampling, model vs onnxruntime, eval
# reproduction), the core in wasm32 under headless Chromium, and the web app end to end with
# Playwright. Installs whatever is missing first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh

step "format (cargo fmt --check)"
cargo fmt --check

step "lints (clippy, native and wasm32, warnings are errors)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests and doctests (release)"
cargo test --release --locked

step "core in wasm32, headless Chromium (wasm-bindgen-test)"
# The page's own profile, so tract is compiled for wasm32 once for this test and the page.
CHROMEDRIVER=/usr/bin/chromedriver cargo test --locked --profile web --target wasm32-unknown-unknown --test wasm_core

if [ -x scripts/test_web.sh ]; then
  step "web app end to end (Playwright)"
  scripts/test_web.sh
fi
step "all tests passed"
