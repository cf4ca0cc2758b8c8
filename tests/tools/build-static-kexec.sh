#!/usr/bin/env bash
# Builds a static kexec from Debian bookworm's kexec-tools source package, once, into a
# cache outside the repository, and prints the path of the stripped binary.
#
#   tests/tools/build-static-kexec.sh [--host TRIPLE]
#
# Why static: the Fedora "Kdump with secureboot" change signs /sbin/kexec with evmctl so that
# IMA appraises it at exec (BPRM_CHECK). A dynamically linked kexec would still load shared
# libraries that the exec-time check never looks at, so the signed program is built without
# any (policies/signed-programs.policy explains the scope).
#
# --host aarch64-linux-gnu cross-builds with aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross). Without it the build is for this machine.
#
# The cache is $IMAEVM_CACHE/kexec-static/<version>-<host>/ (IMAEVM_CACHE defaults to
# /var/cache/imaevm-tests, as for tests/vm). The system's apt configuration is not touched:
# a private sources list and state directory are used (deb-src of bookworm). Needs apt-get,
# dpkg-source (dpkg-dev), gcc and make. zlib, lzma and Xen support are left out: kexec then
# reads uncompressed or self-decompressing images, which is what kexec_file_load takes anyway.
set -Eeuo pipefail
trap 'echo "build-static-kexec.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

host=
while [ $# -gt 0 ]; do
	case $1 in
	--host) host=${2:?--host needs a triple, e.g. aarch64-linux-gnu}; shift 2 ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "build-static-kexec.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

root=${IMAEVM_CACHE:-/var/cache/imaevm-tests}/kexec-static
src=$root/source
mkdir -p "$src/lists/partial" "$src/archives"
apt_opts=(
	-o "Dir::Etc::SourceList=$src/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$src/lists" -o "Dir::Cache::archives=$src/archives"
	-o APT::Sandbox::User=root
)
echo "deb-src http://deb.debian.org/debian bookworm main" >"$src/sources.list"

# The newest source once fetched is kept; a fresh cache fetches the current one.
dsc=$(ls "$src"/kexec-tools_*.dsc 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$dsc" ]; then
	(cd "$src" && apt-get "${apt_opts[@]}" update && apt-get "${apt_opts[@]}" source --download-only kexec-tools) >&2
	dsc=$(ls "$src"/kexec-tools_*.dsc | sort -V | tail -n1)
fi
version=$(basename "$dsc" .dsc)
version=${version#kexec-tools_}
tag=${host:-native}
out=$root/$version-$tag
if [ -x "$out/kexec" ]; then
	echo "$out/kexec"
	exit 0
fi

work=$(mktemp -d "$root/build.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
dpkg-source -x "$dsc" "$work/src" >&2
cd "$work/src"
conf=(--without-lzma --without-zlib --without-xen)
strip=strip
if [ -n "$host" ]; then
	conf+=(--host="$host")
	export CC=$host-gcc
	strip=$host-strip
fi
{
	./configure "${conf[@]}" LDFLAGS=-static
	make -j"$(nproc)" build/sbin/kexec
} >"$work/build.log" 2>&1 || {
	tail -n 30 "$work/build.log" >&2
	echo "build-static-kexec.sh: building kexec-tools $version failed (log above)" >&2
	exit 1
}
"$strip" -o "$work/kexec" build/sbin/kexec
if ! file "$work/kexec" | grep -q 'statically linked'; then
	echo "build-static-kexec.sh: $work/kexec is not statically linked: $(file -b "$work/kexec")" >&2
	exit 1
fi
mkdir -p "$out.tmp"
mv "$work/kexec" "$out.tmp/kexec"
echo "kexec-tools $version (Debian source), static, for ${host:-this machine}" >"$out.tmp/made-by"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/kexec"
