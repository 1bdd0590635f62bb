#!/usr/bin/env bash
# Sets up what is missing, then builds and serves the web app on localhost (printing the URL).
# Before that it shows the CLI on a bundled clip, so a working install is visible at once.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
scripts/setup.sh
cargo build --release --locked --bin ser
echo
echo "ser predict on a bundled RAVDESS clip (actor 01, angry):"
./target/release/ser predict tests/fixtures/librosa/ravdess_01_angry.flac
echo
exec scripts/serve_web.sh "$@"
