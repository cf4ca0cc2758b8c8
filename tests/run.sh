#!/usr/bin/env bash
# The whole test suite: installs what it needs, then unit and integration tests (including
# the comparisons with upstream evmctl and the host-kernel keyring tests), then the QEMU
# end-to-end test on real Debian kernels when its harness is present.
#
# Ends with the skips (each with its reason) and one line "N passed, M failed, K skipped":
# - passed/failed: libtest's counts from every `test result:` line (cargo test, the RPM
#   test) plus the VM harness's own summary; a test skipped as a whole is taken off
#   "passed" (libtest counts it as passed);
# - skipped: every distinct entry the tests appended to $IMAEVM_SKIP_LOG (a whole test, or
#   "test[part]" for a part of one; tests/common/skip.rs) plus the VM harness's skips.
# Exits non-zero when a test failed, cargo test ran no test at all, or (on CI, env CI=true,
# or with IMAEVM_STRICT_SKIPS=1) a skip is not listed in tests/expected-skips.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/setup.sh

# The Secure Boot lab's kernel takes the longest to build on a fresh machine (about 10
# minutes on 2 cores) and needs nothing from this tree's Rust build: it is built in the
# background, at low priority, while the Rust tests run (they leave the cores idle much of
# the time), into the same cache tests/vm/run.sh uses. The VM stage waits for it.
mkdir -p target
prepare_pid=
# The arm64 lab kernel (cross-built, tests/vm/arm64-run.sh) follows it in the same job: it
# needs nothing from this tree's build either (its CA is made by openssl).
if [ -x tests/vm/run.sh ] && [ -f tests/vm/lab-kernel-sb.config ]; then
	echo "== in the background: the Secure Boot lab kernel, then the arm64 lab kernel (tests/vm/lab-kernel.sh --variant sb, --variant arm64; log target/prepare-sb-kernel.log)"
	{
		nice -n 10 bash tests/vm/lab-kernel.sh --variant sb &&
			{ [ ! -f tests/vm/lab-kernel-arm64.config ] || nice -n 10 bash tests/vm/lab-kernel.sh --variant arm64; }
	} >target/prepare-sb-kernel.log 2>&1 </dev/null &
	prepare_pid=$!
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings

export IMAEVM_SKIP_LOG=$PWD/target/skips.log
: >"$IMAEVM_SKIP_LOG"
status=0
problems=()

# The aarch64 build (static evmctl and imactl, cross-compiled) that tests/aarch64_identity.rs
# compares with this build under qemu-user: built before cargo test, so that test runs.
# Its cargo target directory is kept in the cache outside the clone (like the lab kernels),
# so a fresh clone rebuilds only this crate, not AWS-LC and the other dependencies.
export IMAEVM_AARCH64_TARGET_DIR=${IMAEVM_AARCH64_TARGET_DIR:-${IMAEVM_CACHE:-/var/cache/imaevm-tests}/aarch64-target}
export IMAEVM_AARCH64_BIN=$IMAEVM_AARCH64_TARGET_DIR/aarch64-unknown-linux-gnu/release
echo "== aarch64 build (tests/tools/build-aarch64.sh; log $IMAEVM_AARCH64_TARGET_DIR/build.log)"
t_arm=$(date +%s)
if nice -n 10 bash tests/tools/build-aarch64.sh >/dev/null; then
	echo "== aarch64 build: $(($(date +%s) - t_arm)) s ($(cat "$IMAEVM_AARCH64_TARGET_DIR/toolchain"))"
else
	status=1
	problems+=("the aarch64 build failed (tests/tools/build-aarch64.sh)")
fi

echo "== cargo test"
if ! cargo test --all-targets --no-fail-fast 2>&1 | tee target/cargo-test.log; then
	status=1
	problems+=("cargo test failed")
fi

echo "== the signature tests again, every signature made by RustCrypto (IMAEVM_SIGN_BACKEND=rustcrypto)"
if ! IMAEVM_SIGN_BACKEND=rustcrypto cargo test --test evmctl_compat --test evmctl_kernel --no-fail-fast 2>&1 | tee -a target/cargo-test.log; then
	status=1
	problems+=("the signature tests failed with the RustCrypto backend")
fi

echo "== the verification tests again, every signature checked by RustCrypto (IMAEVM_VERIFY_BACKEND=rustcrypto)"
if ! IMAEVM_VERIFY_BACKEND=rustcrypto cargo test --test evmctl_compat --test evmctl_measurement --test robustness --no-fail-fast 2>&1 | tee -a target/cargo-test.log; then
	status=1
	problems+=("the verification tests failed with the RustCrypto backend")
fi

echo "== RPM packaging (packaging/rpm: project and demo RPMs, scratch-root install; root, minutes)"
if ! cargo test --test rpm_packaging -- --ignored --nocapture 2>&1 | tee target/rpm-test.log; then
	status=1
	problems+=("the RPM test failed")
elif ! grep -q '^test result: ok. 1 passed' target/rpm-test.log; then
	status=1
	problems+=("the RPM test did not run")
fi

: >target/vm-test.log
if [ -n "$prepare_pid" ]; then
	# run.sh builds the kernel itself (and names the failure) when this did not
	if wait "$prepare_pid"; then
		echo "== the Secure Boot and arm64 lab kernels: $(tail -n1 target/prepare-sb-kernel.log)"
	else
		echo "== the background build of the Secure Boot or arm64 lab kernel failed; its log:" >&2
		tail -n 20 target/prepare-sb-kernel.log >&2
	fi
fi
if [ -x tests/vm/run.sh ]; then
	echo "== VM end-to-end test (tests/vm/run.sh --kernel all --strict)"
	if ! bash tests/vm/run.sh --kernel all --strict 2>&1 | tee target/vm-test.log; then
		status=1
		problems+=("the VM test failed")
	fi
fi

# Boot integration: dracut and initramfs-tools images with packaging/'s module and hook.
: >target/vm-boot-test.log
if [ -x tests/vm/boot.sh ]; then
	echo "== VM boot integration test (tests/vm/boot.sh --strict)"
	if ! bash tests/vm/boot.sh --strict 2>&1 | tee target/vm-boot-test.log; then
		status=1
		problems+=("the VM boot integration test failed")
	fi
fi

# sigv3 on real fs-verity files: this machine kind's kernel has no CONFIG_FS_VERITY.
: >target/vm-verity-test.log
if [ -x tests/vm/verity-file.sh ]; then
	echo "== VM fs-verity test (tests/vm/verity-file.sh --kernel all --strict)"
	if ! bash tests/vm/verity-file.sh --kernel all --strict 2>&1 | tee target/vm-verity-test.log; then
		status=1
		problems+=("the VM fs-verity test failed")
	fi
fi

# ---------------------------------------------------------------------------------------
# Summary

# libtest: "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ..."
read -r lt_passed lt_failed lt_results < <(
	awk '/^test result:/ {
		n++
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^passed/) p += $(i - 1)
			if ($i ~ /^failed/) f += $(i - 1)
		}
	} END { print p + 0, f + 0, n + 0 }' target/cargo-test.log target/rpm-test.log
)
read -r cargo_ran < <(
	awk '/^test result:/ {
		for (i = 2; i <= NF; i++) if ($i ~ /^(passed|failed)/) t += $(i - 1)
	} END { print t + 0 }' target/cargo-test.log
)
if [ "$cargo_ran" -eq 0 ]; then
	status=1
	problems+=("cargo test ran no test ($lt_results result lines)")
fi

# VM harness: "P passed, F failed, S skipped (T s)" (with --strict a skip counts as failed)
vm_passed=0 vm_failed=0 vm_skipped=0
if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' target/vm-test.log | tail -n1); then
	read -r vm_passed _ vm_failed _ vm_skipped _ <<<"${line//,/}"
fi
for log in target/vm-boot-test.log target/vm-verity-test.log; do
	if line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n1); then
		read -r b_passed _ b_failed _ b_skipped _ <<<"${line//,/}"
		vm_passed=$((vm_passed + b_passed)) vm_failed=$((vm_failed + b_failed)) vm_skipped=$((vm_skipped + b_skipped))
	fi
done

# One entry per name (a part skipped in a loop is logged once per pass), the first reason.
mapfile -t skips < <(awk '!seen[substr($0, 1, index($0, ": "))]++' "$IMAEVM_SKIP_LOG" | sort)
whole=0
for s in "${skips[@]}"; do
	name=${s%%: *}
	[[ $name == *\[* ]] || whole=$((whole + 1))
done

strict_skips=0
if [ "${CI:-}" = true ] || [ "${IMAEVM_STRICT_SKIPS:-}" = 1 ]; then strict_skips=1; fi
declare -A expected=()
if [ -f tests/expected-skips.txt ]; then
	while read -r name _; do
		[ -n "$name" ] && [ "${name:0:1}" != "#" ] && expected[$name]=1
	done <tests/expected-skips.txt
fi

echo "== summary"
unexpected=0
if [ ${#skips[@]} -gt 0 ]; then
	echo "skipped (name: reason):"
	for s in "${skips[@]}"; do
		name=${s%%: *}
		if [ -n "${expected[$name]:-}" ]; then
			echo "  $s"
		else
			echo "  $s   [not in tests/expected-skips.txt]"
			unexpected=$((unexpected + 1))
		fi
	done
fi
if [ $unexpected -gt 0 ] && [ $strict_skips = 1 ]; then
	status=1
	problems+=("$unexpected skip(s) not in tests/expected-skips.txt (CI fails on an unexpected skip)")
fi
for p in "${problems[@]}"; do echo "FAILED: $p"; done

passed=$((lt_passed - whole + vm_passed))
failed=$((lt_failed + vm_failed))
skipped=$((${#skips[@]} + vm_skipped))
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
