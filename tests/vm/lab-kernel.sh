#!/usr/bin/env bash
# The lab kernel: Debian's linux-source-6.12 built from tinyconfig plus tests/vm/lab-kernel.config,
# with a lab CA compiled in (CONFIG_SYSTEM_TRUSTED_KEYS), so that `.ima` accepts only
# certificates that CA (or an intermediate in .secondary_trusted_keys) signed.
#
#   tests/vm/lab-kernel.sh                  make sure the cached kernel exists; print its directory
#   tests/vm/lab-kernel.sh --variant sb     the Secure Boot variant (tests/vm/lab-kernel-sb.config
#                                           on top): EFI stub, lockdown, arch policy, KEXEC_SIG,
#                                           kdump, and NO CA compiled in; trust comes from
#                                           firmware variables (tests/vm/sb-run.sh)
#   tests/vm/lab-kernel.sh --variant arm64  the same lab kernel cross-built for arm64
#                                           (tests/vm/lab-kernel-arm64.config on top, Image),
#                                           with its own CA and cache directory (.../lab-arm64/)
#
# The directory holds bzImage (arm64: Image), config, ca.pem and ca.key (the lab CA; test material only).
# It lives outside the clone, in ${IMAEVM_CACHE:-/var/cache/imaevm-tests}/lab/, named after the
# source package version, the fragment's hash and the CA's fingerprint, so a fresh clone on
# the same machine (CI) reuses it. The CA itself is made once and kept in .../lab/ca/.
# The unpacked source and the build are in a temporary directory, removed afterwards
# (peak about 2 GB; about 4 minutes with `make -j2` on 2 cores).
set -Eeuo pipefail

LAB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SOURCE_PKG=linux-source-6.12
LAB_FRAGMENT=$LAB_HERE/lab-kernel.config
LAB_VARIANT=lab # or sb: lab-kernel-sb.config on top, no built-in CA; or arm64
LAB_JOBS=${IMAEVM_LAB_JOBS:-2}

lab_log() { echo "== lab kernel: $*" >&2; }
lab_die() { echo "lab-kernel.sh: $*" >&2; exit 1; }
# Any command that fails without its own message is named, with its status.
trap 'rc=$?; echo "lab-kernel.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit $rc)" >&2' ERR

# The cache: $IMAEVM_CACHE, by default /var/cache/imaevm-tests, or ~/.cache/imaevm-tests for a
# user who cannot write there (tests/vm/run.sh makes the same choice and passes it on).
lab_cache_root() {
	local root=${IMAEVM_CACHE:-/var/cache/imaevm-tests}
	if [ -z "${IMAEVM_CACHE:-}" ] && ! { mkdir -p "$root" 2>/dev/null && [ -w "$root" ]; }; then
		root=${XDG_CACHE_HOME:-$HOME/.cache}/imaevm-tests
	fi
	mkdir -p "$root" 2>/dev/null || lab_die "cannot create the cache directory $root (set IMAEVM_CACHE to a writable directory)"
	[ -w "$root" ] || lab_die "the cache directory $root is not writable (set IMAEVM_CACHE)"
	echo "$root"
}

# make_lab_ca DIR: writes DIR/ca.pem and DIR/ca.key, an RSA CA that may sign certificates
# (CA:TRUE, keyCertSign). Made with the project's own `imactl key ca` (LAB_IMACTL, the
# harness's static build); openssl only when no imactl is given, and DIR/made-by says which.
make_lab_ca() {
	local dir=$1
	rm -f "$dir/ca.key" "$dir/ca.pem" "$dir/ca.der"
	if [ -n "${LAB_IMACTL:-}" ] && [ -x "$LAB_IMACTL" ]; then
		env -u IMACTL_CA_KEY_PASSWORD "$LAB_IMACTL" key ca --type rsa2048 --subject "CN=imaevm lab CA" \
			--days 36500 --out "$dir" --name ca >/dev/null ||
			lab_die "imactl key ca could not make the lab CA in $dir"
		echo "made with imactl key ca ($LAB_IMACTL)" >"$dir/made-by"
	else
		echo "made with openssl: no imactl was given (LAB_IMACTL)" >"$dir/made-by"
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/ca.key.tmp" 2>/dev/null
		openssl req -new -x509 -key "$dir/ca.key.tmp" -days 36500 -subj "/CN=imaevm lab CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
			-addext "subjectKeyIdentifier=hash" -out "$dir/ca.pem.tmp" 2>/dev/null
		chmod 600 "$dir/ca.key.tmp"
		mv "$dir/ca.key.tmp" "$dir/ca.key"
		mv "$dir/ca.pem.tmp" "$dir/ca.pem"
	fi
	echo "lab CA: $(cat "$dir/made-by")" >&2
}

lab_ca_fingerprint() { # SHA-256 of the DER certificate, hex
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f
}

# The version apt would download now; empty when apt knows none (offline, no lists).
# awk reads to the end: an early exit would kill apt-cache with SIGPIPE, and under
# pipefail this script with it (exit 141, no message).
lab_source_version() {
	apt-cache policy "$LAB_SOURCE_PKG" 2>/dev/null | awk '/Candidate:/ && !n++ { if ($2 != "(none)") print $2 }'
}

# The fragments of this variant, in order.
lab_fragments() {
	echo "$LAB_FRAGMENT"
	[ "$LAB_VARIANT" != sb ] || echo "$LAB_HERE/lab-kernel-sb.config"
	[ "$LAB_VARIANT" != arm64 ] || echo "$LAB_HERE/lab-kernel-arm64.config"
}

# What this variant builds: make's arguments (arm64: cross-compiled with Debian's
# gcc-aarch64-linux-gnu), the image target and where make leaves it.
lab_make_args() { [ "$LAB_VARIANT" != arm64 ] || echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"; }
lab_image_name() { if [ "$LAB_VARIANT" = arm64 ]; then echo Image; else echo bzImage; fi; }
lab_image_path() { if [ "$LAB_VARIANT" = arm64 ]; then echo arch/arm64/boot/Image; else echo arch/x86/boot/bzImage; fi; }
# The cache directory of this variant's kernels (and CA, for lab and arm64), under the root.
lab_subdir() { if [ "$LAB_VARIANT" = arm64 ]; then echo lab-arm64; else echo lab; fi; }

# lab_check_config CONFIG CA: every line of the fragments (and the CA line, for the lab
# variant) must be in the final .config as written; every one that is not is named.
lab_check_config() {
	local config=$1 ca=$2 line sym now bad=0 frag
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		if ! grep -qxF -- "$line" "$config"; then
			sym=${line%%=*}
			now=$(grep -E "^$sym=|^# $sym is not set" "$config" || echo "absent")
			echo "lab-kernel.sh: $line did not stick after olddefconfig (the .config has: $now):" \
				"a dependency is missing from tests/vm/lab-kernel.config" >&2
			bad=1
		fi
	done < <(lab_fragments | xargs cat)
	if [ "$LAB_VARIANT" = sb ]; then
		grep -qxF 'CONFIG_SYSTEM_TRUSTED_KEYS=""' "$config" || {
			echo "lab-kernel.sh: the sb variant must have no built-in CA (CONFIG_SYSTEM_TRUSTED_KEYS is set)" >&2
			bad=1
		}
	elif ! grep -qxF "CONFIG_SYSTEM_TRUSTED_KEYS=\"$ca\"" "$config"; then
		echo "lab-kernel.sh: CONFIG_SYSTEM_TRUSTED_KEYS=\"$ca\" did not stick after olddefconfig" >&2
		bad=1
	fi
	[ $bad = 0 ] || lab_die "the lab kernel configuration is not what tests/vm/lab-kernel.config asks for"
}

# lab_build VERSION CADIR OUT: builds into OUT (bzImage, config, ca.pem, ca.key).
lab_build() {
	local version=$1 cadir=$2 out=$3 tmp deb src t0 free img margs
	img=$(lab_image_name)
	# shellcheck disable=SC2207 # two words or none
	margs=($(lab_make_args))
	t0=$(date +%s)
	free=$(df -Pk "${TMPDIR:-/tmp}" | awk 'NR == 2 { print $4 }')
	[ "${free:-0}" -ge $((3 * 1024 * 1024)) ] ||
		lab_die "the build needs about 2.5 GB in ${TMPDIR:-/tmp} (free: $((${free:-0} / 1024)) MB); set TMPDIR"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/imaevm-lab-kernel.XXXXXX")
	# shellcheck disable=SC2064 # expand now: the trap must remove this very directory
	trap "rm -rf '$tmp'" EXIT
	[ "$LAB_VARIANT" != arm64 ] || command -v aarch64-linux-gnu-gcc >/dev/null ||
		lab_die "aarch64-linux-gnu-gcc is missing: install gcc-aarch64-linux-gnu (tests/setup.sh)"
	for c in make gcc flex bison bc; do
		command -v $c >/dev/null || lab_die "$c is missing: install the packages in tests/vm/packages.txt (tests/setup.sh)"
	done
	[ -e /usr/include/libelf.h ] || lab_die "libelf-dev is missing (tests/vm/packages.txt, tests/setup.sh)"
	[ -e /usr/include/openssl/ssl.h ] || lab_die "libssl-dev is missing (tests/vm/packages.txt, tests/setup.sh)"
	lab_log "building from $LAB_SOURCE_PKG $version in $tmp (make -j$LAB_JOBS $img ${margs[*]}, a few minutes)"
	(cd "$tmp" && apt-get download "$LAB_SOURCE_PKG=$version" 2>&1 | grep -v unsandboxed >&2) || true
	deb=$(find "$tmp" -maxdepth 1 -name "${LAB_SOURCE_PKG}_*.deb" | head -n1)
	[ -n "$deb" ] || lab_die "apt-get download $LAB_SOURCE_PKG=$version failed"
	dpkg-deb -x "$deb" "$tmp/pkg"
	rm -f "$deb"
	tar -xaf "$tmp/pkg/usr/src/$LAB_SOURCE_PKG.tar.xz" -C "$tmp"
	rm -rf "$tmp/pkg"
	src=$tmp/$LAB_SOURCE_PKG
	[ -f "$src/Makefile" ] || lab_die "$LAB_SOURCE_PKG did not unpack to $src"
	[ -z "$cadir" ] || cp "$cadir/ca.pem" "$tmp/lab-ca.pem"
	(
		cd "$src"
		make "${margs[@]}" tinyconfig >"$tmp/config.log" 2>&1
		{
			lab_fragments | xargs cat
			[ "$LAB_VARIANT" = sb ] || echo "CONFIG_SYSTEM_TRUSTED_KEYS=\"$tmp/lab-ca.pem\""
		} >>.config
		make "${margs[@]}" olddefconfig >>"$tmp/config.log" 2>&1
	) || { tail -n 20 "$tmp/config.log" >&2; lab_die "make tinyconfig/olddefconfig failed"; }
	lab_check_config "$src/.config" "$tmp/lab-ca.pem"
	if ! (cd "$src" && make "${margs[@]}" -j"$LAB_JOBS" "$img") >"$tmp/build.log" 2>&1; then
		tail -n 40 "$tmp/build.log" >&2
		lab_die "make $img failed"
	fi
	mkdir -p "$out.tmp"
	cp "$src/$(lab_image_path)" "$out.tmp/$img"
	cp "$src/.config" "$out.tmp/config"
	[ -z "$cadir" ] || cp "$cadir/ca.pem" "$cadir/ca.key" "$out.tmp/"
	echo "$version" >"$out.tmp/source-version"
	echo "$(($(date +%s) - t0))" >"$out.tmp/build-seconds"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	rm -rf "$tmp"
	trap - EXIT
	lab_log "built in $(cat "$out/build-seconds") s: $out/$img ($(stat -c %s "$out/$img") bytes)"
}

# lab_kernel: prints the directory of the cached lab kernel, building it when needed.
lab_kernel() {
	local root cadir fp frag version entry prefix=kernel img
	[ "$LAB_VARIANT" = lab ] || prefix=kernel-$LAB_VARIANT
	img=$(lab_image_name)
	root=$(lab_cache_root)/$(lab_subdir)
	mkdir -p "$root"
	exec 9>"$root/.lock"
	flock 9 # one build at a time (two runs on the same machine share the cache)
	cadir=$root/ca
	frag=$(lab_fragments | xargs cat | sha256sum | cut -c1-16)
	if [ "$LAB_VARIANT" = sb ]; then
		# no built-in CA: the name does not depend on the lab CA
		cadir= fp=
	else
		# A CA made by openssl before the project had its own command is made again with it.
		if [ ! -s "$cadir/ca.pem" ] || [ ! -s "$cadir/ca.key" ] ||
			{ [ -n "${LAB_IMACTL:-}" ] && ! grep -q '^made with imactl' "$cadir/made-by" 2>/dev/null; }; then
			mkdir -p "$cadir"
			make_lab_ca "$cadir"
		fi
		fp=$(lab_ca_fingerprint "$cadir/ca.pem")
		lab_log "lab CA $cadir/ca.pem (SHA-256 ${fp:0:16}...), $(cat "$cadir/made-by" 2>/dev/null || echo 'made before its maker was recorded')"
		frag=$frag-${fp:0:16}
	fi
	version=$(lab_source_version)
	if [ -z "$version" ] && [ "$(id -u)" = 0 ]; then
		apt-get update >/dev/null 2>&1 || true
		version=$(lab_source_version)
	fi
	if [ -z "$version" ]; then
		# offline: the newest kernel built from this fragment and CA
		entry=$(find "$root" -maxdepth 1 -type d -name "$prefix-*-$frag" -printf '%T@ %p\n' 2>/dev/null |
			sort -rn | awk 'NR == 1 { print $2 }')
		[ -n "$entry" ] && [ -s "$entry/$img" ] || lab_die "apt knows no $LAB_SOURCE_PKG and no lab kernel is cached in $root"
		lab_log "$LAB_SOURCE_PKG not resolvable, using the cached $(basename "$entry")"
	else
		entry=$root/$prefix-$version-$frag
		if [ -s "$entry/$img" ]; then
			lab_log "cached: $entry (built in $(cat "$entry/build-seconds" 2>/dev/null || echo '?') s)"
		else
			lab_build "$version" "$cadir" "$entry"
		fi
	fi
	echo "$entry"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
		--variant)
			[ $# -ge 2 ] || lab_die "--variant needs lab, sb or arm64"
			case $2 in lab | sb | arm64) LAB_VARIANT=$2 ;; *) lab_die "unknown variant $2 (lab, sb or arm64)" ;; esac
			shift 2
			;;
		*) lab_die "unknown option $1 (see --help)" ;;
		esac
	done
	lab_kernel
fi
