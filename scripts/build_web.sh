#!/usr/bin/env bash
# Builds the web page into dist/: `trunk build --release` (release wasm, size-optimised,
# +simd128, wasm-opt -Oz from npm's binaryen, twice: index.html's data-wasm-opt-params, relative
# URLs, then Trunk.toml's post_build hook scripts/web_postbuild.mjs), after checking what Trunk
# does not: that the local tools are there and that wasm-bindgen matches Cargo.lock. With those
# in place and the crates fetched, plain `trunk build --release` gives the same dist/.
# Uses only local tools: Trunk.toml sets offline = true and pins wasm-bindgen / wasm-opt.
#   scripts/build_web.sh [TRUNK_ARGS...]  always build
#   scripts/build_web.sh --if-needed      only when dist/ is missing or older than its sources
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

if [ "${1:-}" = "--if-needed" ]; then
  shift
  if [ -f dist/index.html ] && [ -z "$(find src static models/ser_cnn.onnx models/ser_cnn.json index.html \
      Trunk.toml Cargo.toml Cargo.lock scripts/web_postbuild.mjs -newer dist/index.html -print -quit)" ]; then
    echo "build_web: dist/ is up to date"
    exit 0
  fi
fi

[ -x node_modules/.bin/wasm-opt ] || npm ci --no-audit --no-fund
for tool in trunk wasm-bindgen wasm-opt node; do
  command -v "$tool" >/dev/null || { echo "build_web: $tool not found; run scripts/setup.sh" >&2; exit 1; }
done
if ! wasm-bindgen --version | grep -qF "$WASM_BINDGEN_VERSION"; then
  echo "build_web: wasm-bindgen CLI $(wasm-bindgen --version) does not match Cargo.lock ($WASM_BINDGEN_VERSION)" >&2
  exit 1
fi

# offline = true makes Trunk pass --offline to cargo: fetch first.
cargo fetch --target wasm32-unknown-unknown >/dev/null
trunk build --release "$@"

wasm=$(ls dist/*.wasm)
printf 'build_web: dist/ ready: %s (%s bytes, %s gzipped)\n' "$wasm" "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)"
