#!/usr/bin/env bash
# Cross-builds static aarch64 (arm64) `evmctl` and `imactl` from this tree on an x86_64
# Debian 12 host, and prints the directory that holds them.
#
#   tests/tools/build-aarch64.sh [--toolchain auto|rustup|debian] [--quiet]
#
# Output: ${IMAEVM_AARCH64_TARGET_DIR:-target/aarch64}/aarch64-unknown-linux-gnu/release/
# (a cargo target directory of its own: a second run with nothing changed takes seconds).
# Both binaries are checked to be "ELF 64-bit ... ARM aarch64 ... statically linked".
#
# The Rust standard library for aarch64 comes from one of two places:
#   rustup  `rustup target add aarch64-unknown-linux-gnu` for the toolchain cargo runs with
#           (needs https://static.rust-lang.org);
#   debian  Debian 12's bookworm-security `rustc-web` (1.96) with `libstd-rust-web-dev:arm64`
#           (needs `dpkg --add-architecture arm64`), used as RUSTC=/usr/bin/rustc;
#   auto    (default) rustup when the target is installed or can be added, debian otherwise.
# Either way the C parts (AWS-LC, through aws-lc-sys) and the link use Debian's cross
# compiler: gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (tests/setup.sh installs them).
# Missing packages are installed when run as root. docs/developing.md describes the build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TRIPLE=aarch64-unknown-linux-gnu
OUT=${IMAEVM_AARCH64_TARGET_DIR:-$ROOT/target/aarch64}
TOOLCHAIN=auto
QUIET=0

while [ $# -gt 0 ]; do
	case $1 in
	--toolchain) TOOLCHAIN=${2:?--toolchain needs auto, rustup or debian}; shift 2 ;;
	--quiet) QUIET=1; shift ;;
	-h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "build-aarch64.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $TOOLCHAIN in auto | rustup | debian) ;; *) echo "build-aarch64.sh: --toolchain auto|rustup|debian" >&2; exit 2 ;; esac

log() { [ $QUIET = 1 ] || echo "== build-aarch64: $*" >&2; }
die() { echo "build-aarch64.sh: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need_packages() {
	local missing=() p
	for p in "$@"; do installed "$p" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run tests/setup.sh, or install them)"
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross file

# Which rustc builds for aarch64.
rustc_env=()
use_rustup() {
	command -v rustup >/dev/null || return 1
	rustup target list --installed 2>/dev/null | grep -qx $TRIPLE && return 0
	log "rustup target add $TRIPLE"
	rustup target add $TRIPLE >&2
}
use_debian() {
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" = 0 ] || die "the arm64 architecture is not enabled (dpkg --add-architecture arm64, as root)"
		dpkg --add-architecture arm64
		apt-get update -qq
	fi
	need_packages rustc-web libstd-rust-web-dev:arm64
	rustc_env=(RUSTC=/usr/bin/rustc)
}
case $TOOLCHAIN in
rustup) use_rustup || die "rustup cannot add $TRIPLE (try --toolchain debian)" ;;
debian) use_debian ;;
auto)
	if use_rustup; then
		TOOLCHAIN=rustup
	else
		log "rustup cannot provide $TRIPLE: Debian's rustc-web"
		TOOLCHAIN=debian
		use_debian
	fi
	;;
esac

t0=$(date +%s)
log "cargo build --release --target $TRIPLE --bins ($TOOLCHAIN toolchain) into $OUT"
mkdir -p "$OUT"
# The linker, the C compiler and archiver for aws-lc-sys; static like the x86_64 VM build.
# RUSTFLAGS for this target only, so host build scripts are built as usual.
if ! (cd "$ROOT" && env "${rustc_env[@]}" \
	CARGO_TARGET_DIR="$OUT" \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
	CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS='-C target-feature=+crt-static' \
	CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
	AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
	cargo build --release --target $TRIPLE --bins -j "${IMAEVM_BUILD_JOBS:-2}") >"$OUT/build.log" 2>&1; then
	tail -n 30 "$OUT/build.log" >&2
	die "the aarch64 build failed (full log: $OUT/build.log)"
fi
BIN=$OUT/$TRIPLE/release
for b in evmctl imactl; do
	desc=$(file -b "$BIN/$b")
	case $desc in
	*"ARM aarch64"*"statically linked"* | *"ARM aarch64"*"static-pie linked"*) ;;
	*) die "$BIN/$b is not a static aarch64 executable: $desc" ;;
	esac
done
echo "$TOOLCHAIN $(env "${rustc_env[@]}" sh -c '"${RUSTC:-rustc}" --version')" >"$OUT/toolchain"
log "done in $(($(date +%s) - t0)) s ($(cat "$OUT/toolchain")): $(file -b "$BIN/evmctl" | sed "s/, BuildID[^,]*//; s/, for GNU.*//")"
echo "$BIN"
