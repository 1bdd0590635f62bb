#!/usr/bin/env bash
# Runs one libFuzzer target of fuzz/ (cargo-fuzz) for a while, with the limits the results in
# fuzz/README.md were measured under. Not part of CI.
#
# Usage: scripts/fuzz.sh TARGET [SECONDS] [-- EXTRA_LIBFUZZER_ARGS...]   (run from anywhere)
#        TARGET is decode, features or predict; SECONDS defaults to 300.
# Env:   KEEP_GOING  1 (default): fork mode, fuzzing on past findings; 0: stop at the first
#        SANITIZER   address (default) or none (faster builds and runs; no ASan checks)
#        MAX_LEN     largest input libFuzzer tries, in bytes (default 65536)
#
# Idempotent: installs the pinned cargo-fuzz and a nightly toolchain when missing, (re)builds
# the seed corpus with fuzz/seed.sh (keeping what earlier runs added), then fuzzes in a single
# process (one job, one worker: the machine this was written on has 2 cores). Crashes, hangs
# (-timeout) and OOMs (-rss_limit_mb, -malloc_limit_mb) land in fuzz/artifacts/TARGET/, the
# log of the run in fuzz/artifacts/TARGET/run-DATE.log. Minimise a finding with
#   cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...
# and add it to tests/fixtures/fuzz/ (see fuzz/README.md).
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.2

cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh decode|features|predict [SECONDS] [-- LIBFUZZER_ARGS...]}"
shift
seconds=300
if [[ $# -gt 0 && "$1" != "--" ]]; then
    seconds="$1"
    shift
fi
[[ "${1:-}" == "--" ]] && shift
case "$target" in
    decode|features|predict) ;;
    *) echo "unknown target '$target' (decode, features, predict)" >&2; exit 2 ;;
esac
sanitizer="${SANITIZER:-address}"
max_len="${MAX_LEN:-65536}"
# KEEP_GOING=1 (default): libFuzzer's fork mode with one child at a time (-fork=1), which
# records every crash, hang and OOM in fuzz/artifacts/ and keeps fuzzing, so one known bug
# cannot end a run in its first seconds. KEEP_GOING=0: the classic single process, stopping
# at the first finding.
keep_going=()
if [[ "${KEEP_GOING:-1}" == 1 ]]; then
    keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if [[ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

fuzz/seed.sh

mkdir -p "fuzz/artifacts/$target"
log="fuzz/artifacts/$target/run-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "fuzzing $target for ${seconds}s (sanitizer $sanitizer, max_len $max_len); log: $log"
start=$(date +%s)
status=0
# Build first, so the time limit counts fuzzing only.
cargo +nightly fuzz build --sanitizer "$sanitizer" "$target"
cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" -- \
    -max_total_time="$seconds" \
    -max_len="$max_len" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 \
    -print_final_stats=1 \
    "${keep_going[@]}" \
    "$@" 2>&1 | tee "$log" || status=$?
end=$(date +%s)

# Single process: libFuzzer's final stats. Fork mode: the parent's last status line
# ("#EXECS: ... time: SECONDS ..."), which counts the executions of all its children.
stat() { grep -o "stat::$1: *[0-9]*" "$log" | grep -o '[0-9]*$' | tail -1 || true; }
executions=$(stat number_of_executed_units)
exec_rate=$(stat average_exec_per_sec)
if [[ -z "$executions" ]]; then
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
    executions=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    fuzz_time=$(grep -o 'fuzzed for [0-9]* seconds' "$log" | grep -o '[0-9]*' | tail -1 || true)
    [[ -n "$executions" && -n "$fuzz_time" ]] && exec_rate=$(( executions / fuzz_time ))
fi
echo "--- $target: $((end - start)) s wall (build included), ${executions:-?} executions," \
     "${exec_rate:-?} exec/s, corpus $(find "fuzz/corpus/$target" -type f | wc -l) files," \
     "artifacts: $(find "fuzz/artifacts/$target" -type f ! -name '*.log' | wc -l); exit status $status"
exit "$status"
