#!/usr/bin/env bash
# Installs, idempotently and at pinned versions, everything the app and its tests need on a
# Debian/Ubuntu machine that has rustup. Only crates.io, npm, PyPI and Debian's archive are used.
#   scripts/setup.sh           tools for building, serving and testing
#   scripts/setup.sh --python  also the Python venv (trainer, librosa/onnxruntime references)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: the browsers for the end-to-end and wasm tests (Chromium, and Firefox ESR
# driven by geckodriver); PulseAudio, whose null sink gives Firefox the sound server its Web
# Audio needs on a machine without a sound card (the Firefox live-mode test); GNU time, which
# measures the peak memory of the hour-long test; libopus-dev, which the native build links to
# decode Opus (the CLI only, not the page).
missing=()
for pkg in chromium chromium-driver firefox-esr pulseaudio time libopus-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Rust target for the browser build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# rustfmt and clippy: scripts/test.sh checks formatting and lints.
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "rustup component add $component"
    rustup component add "$component"
  fi
done

# Cargo tools at exact versions. wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock.
if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "cargo install trunk $TRUNK_VERSION"
  cargo install --locked --force trunk --version "$TRUNK_VERSION"
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lockfile pins a crate version the registry lacks (TOOLCHAIN.md).
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "$(geckodriver --version 2>/dev/null | head -n1 | cut -d' ' -f1-2 || true)" != "geckodriver $GECKODRIVER_VERSION" ]; then
  say "cargo install geckodriver $GECKODRIVER_VERSION"
  cargo install --locked --force geckodriver --version "$GECKODRIVER_VERSION"
fi

# npm packages from the lockfile: wasm-opt (binaryen) and playwright-core.
if [ -f package-lock.json ]; then
  if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.package-lock.json.src 2>/dev/null; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.package-lock.json.src
  fi
fi

# Crates, so Trunk's offline build finds everything.
cargo fetch --quiet

if [ "${1:-}" = "--python" ]; then
  if [ ! -x .venv/bin/python ]; then
    say "python3 -m venv .venv"
    python3 -m venv .venv
  fi
  say "pip install -r models/train/requirements.txt -r tests/requirements.txt"
  .venv/bin/pip install --quiet --disable-pip-version-check -r models/train/requirements.txt -r tests/requirements.txt
fi
say "ready"
