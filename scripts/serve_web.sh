#!/usr/bin/env bash
# Builds the page (if its sources changed) and serves dist/ on this machine only.
#   scripts/serve_web.sh [port]      (default 8080; PORT also works)
# 127.0.0.1 counts as a secure origin, so the microphone and offline mode work there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

scripts/build_web.sh --if-needed
exec node scripts/serve_static.mjs dist "${1:-${PORT:-8080}}"
