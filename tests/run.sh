#!/usr/bin/env bash
# The whole test suite: installs what it needs, then unit and integration tests (including
# the comparisons with upstream evmctl and the host-kernel keyring tests), then the QEMU
# end-to-end test on real Debian kernels when its harness is present.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings

echo "== cargo test"
cargo test --all-targets 2>&1 | tee target/cargo-test.log
grep -q '^test result: ok' target/cargo-test.log

echo "== RPM packaging (packaging/rpm: project and demo RPMs, scratch-root install; root, minutes)"
cargo test --test rpm_packaging -- --ignored --nocapture 2>&1 | tee target/rpm-test.log
grep -q '^test result: ok. 1 passed' target/rpm-test.log

if [ -x tests/vm/run.sh ]; then
  echo "== VM end-to-end test (tests/vm/run.sh --kernel all --strict)"
  bash tests/vm/run.sh --kernel all --strict
fi
