# Sourced by the scripts: puts the project's pinned tools first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Pinned versions. wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock.
TRUNK_VERSION=0.21.14
GECKODRIVER_VERSION=0.36.0
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"
export TRUNK_VERSION GECKODRIVER_VERSION WASM_BINDGEN_VERSION ROOT
