#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after the other, with the
# limits issue 12 sets (256 MiB RSS, 20 s per input), then minimizes each corpus in place.
# Usage: bash fuzz/run.sh [SECONDS] [TARGET...]
# Environment: FUZZ_RUNS=N also stops a target after N executions (whichever comes first);
# FUZZ_SANITIZER=address (default) or none (2-5x faster: the fuzzed code is safe Rust, and a
# panic, a timeout or the RSS limit is caught either way).
# Needs the nightly toolchain; installs cargo-fuzz from crates.io when it is missing.
# Prints one line per target: executions, seconds, corpus size, and crashes (0 or the
# artifact paths under fuzz/artifacts/<target>/); exits 1 when any target crashed.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^imaevm-fuzz$')
fi
[ -d corpus/policy ] || bash seeds.sh
san=${FUZZ_SANITIZER:-address}
runs_opt=()
[ -z "${FUZZ_RUNS:-}" ] || runs_opt=(-runs="$FUZZ_RUNS")
cargo +nightly fuzz build --release -s "$san" >/dev/null
# AddressSanitizer's quarantine would count towards the 256 MiB limit: keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=0}"
failed=0
printf '%-18s %14s %8s %8s %s\n' target executions seconds corpus crashes
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log=$(mktemp)
  if cargo +nightly fuzz run --release -s "$san" "$t" "corpus/$t" -- \
      -max_total_time="$secs" "${runs_opt[@]}" -rss_limit_mb=256 -timeout=20 \
      -print_final_stats=1 \
      >"$log" 2>&1; then
    crashes=0
  else
    crashes=$(ls "artifacts/$t" | tr '\n' ' ')
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  # Keep the corpus small: only inputs that add coverage.
  cargo +nightly fuzz cmin --release -s "$san" "$t" "corpus/$t" >/dev/null 2>&1 || true
  printf '%-18s %14s %8s %8s %s\n' "$t" "${runs:-?}" "${took:-$secs}" "$(ls "corpus/$t" | wc -l)" "$crashes"
  [ "$crashes" = 0 ] || tail -40 "$log"
  rm -f "$log"
done
exit "$failed"
