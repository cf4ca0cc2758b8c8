#!/usr/bin/env bash
# Kernel end-to-end test: a real Debian kernel, booted in QEMU with only our tools inside,
# holds our keys, loads our policy and appraises our signatures during kexec_file_load.
#
#   tests/vm/run.sh [--kernel 6.1|6.12|lab|sb|arm64|all] [--negative-control] [--strict] [--no-build]
#
# Prints one line per case (PASS/FAIL/SKIP) and a summary "N passed, M failed, K skipped";
# exits non-zero when a case is not as expected (tests/vm/expected, tests/vm/expected-lab)
# or a VM did not reach its END marker. Serial logs of failed runs are kept under target/vm-logs/.
# How it works, how long it takes: tests/vm/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# Downloads and the lab kernel are cached outside the clone, so a fresh clone reuses them:
# in $IMAEVM_CACHE, by default /var/cache/imaevm-tests (a user who cannot write there gets
# ~/.cache/imaevm-tests). lab-kernel.sh gets the same directory through IMAEVM_CACHE.
CACHE_ROOT=${IMAEVM_CACHE:-/var/cache/imaevm-tests}
if [ -z "${IMAEVM_CACHE:-}" ] && ! { mkdir -p "$CACHE_ROOT" 2>/dev/null && [ -w "$CACHE_ROOT" ]; }; then
	CACHE_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/imaevm-tests
fi
export IMAEVM_CACHE=$CACHE_ROOT
CACHE=$CACHE_ROOT/debian-kernels
WORK=$ROOT/target/vm-work
LOGS=$ROOT/target/vm-logs
STATIC_TARGET=$ROOT/target/static
TRIPLE=x86_64-unknown-linux-gnu

KERNELS=all
NEGATIVE=0
STRICT=0
BUILD=1
TIMEOUT=${IMAEVM_VM_TIMEOUT:-420}

usage() {
	sed -n '2,10s/^# \{0,1\}//p' "$0"
	cat <<'EOF'

Options:
  --kernel 6.1|6.12|lab|sb|arm64|all
                          which kernel(s) to boot: Debian's 6.1 and 6.12, the lab
                          kernel built from Debian's 6.12 source with a built-in CA
                          (tests/vm/lab-kernel.sh), its Secure Boot variant under
                          OVMF with the owner's keys and a MOK CA (tests/vm/sb-run.sh),
                          or the lab kernel cross-built for arm64 in qemu-system-aarch64
                          with our aarch64 tools (tests/vm/arm64-run.sh);
                          all = the five (default)
  --negative-control      boot with ima_appraise=log (the kernel logs but does not refuse;
                          sb: no Secure Boot, no lockdown, no IMA policy, and its dbx
                          cases without the dbx):
                          succeeds only if the harness reaches the end and fails the
                          refusals that became loads or runs
  --strict                a SKIPped case counts as a failure
  --no-build              use the static binaries already in target/static
  --timeout SECONDS       per VM boot (default 420, env IMAEVM_VM_TIMEOUT)
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNELS=${2:?--kernel needs 6.1, 6.12, lab, sb, arm64 or all}; shift 2 ;;
	--kernel=*) KERNELS=${1#*=}; shift ;;
	--negative-control) NEGATIVE=1; shift ;;
	--strict) STRICT=1; shift ;;
	--no-build) BUILD=0; shift ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	esac
done
case $KERNELS in
all) KERNELS="6.1 6.12 lab sb arm64" ;;
6.1 | 6.12 | lab | sb | arm64) ;;
*) echo "run.sh: --kernel takes 6.1, 6.12, lab, sb, arm64 or all, not $KERNELS" >&2; exit 2 ;;
esac

# The meta-package that names the current image package of each kernel under test.
meta_package() {
	case $1 in
	6.1) echo linux-image-cloud-amd64 ;;       # bookworm
	6.12) echo linux-image-6.12-cloud-amd64 ;; # bookworm-security
	esac
}

log() { echo "== $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Host packages

ensure_packages() {
	local missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	{ [ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked'; } || missing+=(busybox-static)
	command -v kexec >/dev/null || [ -x /sbin/kexec ] || missing+=(kexec-tools)
	command -v openssl >/dev/null || missing+=(openssl)
	command -v cpio >/dev/null || missing+=(cpio)
	command -v xz >/dev/null || missing+=(xz-utils)
	command -v file >/dev/null || missing+=(file)
	command -v dpkg-deb >/dev/null || die "dpkg-deb missing: this harness needs a Debian host"
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (install them, or run as root)"
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

# fetch_kernel VER: sets KROOT (the unpacked package) and KREL (its release), downloading
# the package the meta-package currently depends on, once; offline, the last one fetched.
fetch_kernel() {
	local ver=$1 meta pkg deb
	meta=$(meta_package "$ver")
	mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] ||
		die "cannot write the cache directory $CACHE (run as root, or set IMAEVM_CACHE to a writable directory)"
	pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ && !n++ { print $2 }' || true)
	if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
		apt-get update >/dev/null 2>&1 || true
		pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ && !n++ { print $2 }' || true)
	fi
	if [ -z "$pkg" ]; then
		[ -f "$CACHE/latest-$ver" ] || die "cannot resolve $meta (apt-cache) and nothing cached"
		pkg=$(cat "$CACHE/latest-$ver")
		log "$meta not resolvable, using cached $pkg"
	fi
	if [ ! -f "$CACHE/$pkg/.unpacked" ]; then
		log "fetching $pkg"
		rm -rf "${CACHE:?}/$pkg"
		mkdir -p "$CACHE/$pkg"
		(cd "$CACHE/$pkg" && { apt-get download "$pkg" 2>&1 | grep -v 'unsandboxed' >&2; }) || true
		deb=$(find "$CACHE/$pkg" -maxdepth 1 -name '*.deb' | head -n1)
		[ -n "$deb" ] || die "apt-get download $pkg failed"
		dpkg-deb -x "$deb" "$CACHE/$pkg/root"
		touch "$CACHE/$pkg/.unpacked"
	fi
	echo "$pkg" >"$CACHE/latest-$ver"
	KROOT=$CACHE/$pkg/root
	KPKG=$pkg
	KREL=$(find "$KROOT/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
	[ -n "$KREL" ] || die "no /boot/vmlinuz-* in $KPKG"
	KREL=${KREL##*/vmlinuz-}
	KIMAGE=$KROOT/boot/vmlinuz-$KREL
}

# ---------------------------------------------------------------------------------------
# Our tools, static

EVMCTL=$STATIC_TARGET/$TRIPLE/release/evmctl
IMACTL=$STATIC_TARGET/$TRIPLE/release/imactl

build_tools() {
	if [ $BUILD = 1 ]; then
		log "building evmctl and imactl (static)"
		mkdir -p "$WORK"
		if ! (cd "$ROOT" && CARGO_TARGET_DIR=$STATIC_TARGET RUSTFLAGS='-C target-feature=+crt-static' \
			cargo build --release --target $TRIPLE --bins) >"$WORK/build.log" 2>&1; then
			tail -n 30 "$WORK/build.log" >&2
			die "static build failed (full log: $WORK/build.log)"
		fi
	fi
	local b
	for b in "$EVMCTL" "$IMACTL"; do
		[ -x "$b" ] || die "$b missing (run without --no-build)"
		file "$b" | grep -Eq 'statically linked|static-pie linked' || die "$b is not static: $(file -b "$b")"
	done
}

# A command counts as present when the tool's own help lists it; a listed command that
# misbehaves then fails its cases (nothing is assumed to work).
lists() { grep -Eq "^[[:space:]]*$1([[:space:]]|,|\$)"; }
detect_caps() {
	local eh ih kh ph c
	eh=$({ "$EVMCTL" help; "$EVMCTL" --help; } 2>&1 || true)
	for c in ima_sign ima_hash ima_setxattr import; do
		if lists "$c" <<<"$eh"; then echo "evmctl:$c"; fi
	done
	ih=$(sed -n '/^Commands:/,/^$/p' <<<"$("$IMACTL" --help 2>&1 || true)")
	if lists key <<<"$ih"; then
		kh=$(sed -n '/^Commands:/,/^$/p' <<<"$("$IMACTL" key --help 2>&1 || true)")
		if lists import <<<"$kh"; then echo "imactl:key-import"; fi
	fi
	if lists verify <<<"$ih"; then echo "imactl:verify"; fi
	if lists status <<<"$ih"; then echo "imactl:status"; fi
	if lists policy <<<"$ih"; then
		ph=$(sed -n '/^Commands:/,/^$/p' <<<"$("$IMACTL" policy --help 2>&1 || true)")
		if lists check <<<"$ph"; then echo "imactl:policy-check"; fi
		if lists load <<<"$ph"; then echo "imactl:policy-load"; fi
	fi
	return 0
}

# ---------------------------------------------------------------------------------------
# Keys (openssl): RSA-2048 with the default subjectKeyIdentifier (the SHA-1 keyid), a second
# RSA key imported with evmctl import, a "wrong" RSA key never imported, EC P-256 and P-384.

make_keys() {
	local dir=$1 name
	mkdir -p "$dir"
	for name in rsa:rsa:2048 rsa2:rsa:2048 wrong:rsa:2048 ec256:ec:P-256 ec384:ec:P-384; do
		IFS=: read -r n alg param <<<"$name"
		if [ "$alg" = rsa ]; then
			openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:"$param" -out "$dir/$n.pem" 2>/dev/null ||
				openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$param" -out "$dir/$n.pem" 2>/dev/null
		else
			openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$param" -out "$dir/$n.pem"
		fi
		openssl req -new -x509 -key "$dir/$n.pem" -days 3650 -subj "/CN=imaevm vm test $n" \
			-addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
			-addext "subjectKeyIdentifier=hash" -outform DER -out "$dir/$n.der" 2>/dev/null
		# the keyid the kernel looks for: the tail of the Subject Key Identifier
		openssl x509 -inform DER -in "$dir/$n.der" -noout -ext subjectKeyIdentifier | tail -n1 |
			tr -d ' :\n' | tail -c 8 | tr A-F a-f >"$dir/$n.keyid"
	done
}

# ---------------------------------------------------------------------------------------
# initramfs

pack() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -1); }

copy_with_libs() { # copy_with_libs BINARY ROOT: the binary as /bin/NAME and the libraries ldd lists
	local bin=$1 root=$2 lib
	install -D -m 0755 "$bin" "$root/bin/$(basename "$bin")"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

build_initramfs() { # build_initramfs VER DIR
	local ver=$1 dir=$2 r r2 kexec mod
	r=$dir/root
	r2=$dir/root2
	rm -rf "$r" "$r2"
	mkdir -p "$r"/{bin,t/boot,t/keys,t/sig,t/vm,t/policies,t/mod} "$r2/bin"

	# second stage: busybox and init2.sh only
	install -m 0755 /bin/busybox "$r2/bin/busybox"
	install -m 0755 "$HERE/init2.sh" "$r2/init"
	pack "$r2" >"$r/t/boot/initrd2"

	install -m 0755 /bin/busybox "$r/bin/busybox"
	install -m 0755 "$HERE/init.sh" "$r/init"
	install -m 0755 "$EVMCTL" "$r/bin/evmctl"
	install -m 0755 "$IMACTL" "$r/bin/imactl"
	kexec=$(command -v kexec || echo /sbin/kexec)
	copy_with_libs "$kexec" "$r"
	cp "$WORK/caps" "$r/t/caps"
	cp "$HERE/guest-lib.sh" "$r/t/guest-lib.sh"
	cp "$WORK"/keys/*.pem "$WORK"/keys/*.der "$WORK"/keys/*.keyid "$r/t/keys/"
	cp "$KROOT/boot/vmlinuz-$KREL" "$r/t/boot/vmlinuz"
	# the kernel's configuration where imactl status looks for it (/boot/config-RELEASE)
	mkdir -p "$r/boot"
	cp "$KROOT/boot/config-$KREL" "$r/boot/"
	cp "$HERE"/*.policy "$r/t/vm/"
	if compgen -G "$ROOT/policies/*.policy" >/dev/null; then cp "$ROOT"/policies/*.policy "$r/t/policies/"; fi

	# sha384/sha512 on 6.1 need sha512_generic (built in on 6.12)
	if grep -q '^CONFIG_CRYPTO_SHA512=m' "$KROOT/boot/config-$KREL"; then
		mod=$(find "$KROOT/lib/modules/$KREL" -name 'sha512_generic.ko*' | head -n1)
		[ -n "$mod" ] || die "sha512_generic missing from $KPKG"
		case $mod in
		*.xz) xz -dc "$mod" >"$r/t/mod/sha512_generic.ko" ;;
		*) cp "$mod" "$r/t/mod/" ;;
		esac
	fi

	# The packager's flow: signed here, on the host, into a .sig file; installed in the guest.
	if grep -qx evmctl:ima_sign "$WORK/caps"; then
		mkdir -p "$dir/host"
		cp "$KROOT/boot/vmlinuz-$KREL" "$dir/host/vmlinuz"
		rm -f "$dir/host/vmlinuz.sig"
		if "$EVMCTL" ima_sign -n --sigfile --key "$WORK/keys/rsa.pem" "$dir/host/vmlinuz" >"$dir/host/sign.out" 2>&1 &&
			[ -s "$dir/host/vmlinuz.sig" ]; then
			cp "$dir/host/vmlinuz.sig" "$r/t/sig/vmlinuz.sig"
		else
			cp "$dir/host/sign.out" "$r/t/sig/host-sign-failed"
		fi
	fi
	pack "$r" >"$dir/initramfs.cpio.gz"
}

# ---------------------------------------------------------------------------------------
# QEMU

accel_args() {
	# /dev/kvm may be a nested software KVM on these machines: use it only with the module.
	if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		echo "-accel kvm -cpu host -smp 1"
	else
		echo "-accel tcg -cpu max -smp 1"
	fi
}

# boot VER DIR NAME APPEND: boots once; the serial log is DIR/NAME.log
boot() {
	local ver=$1 dir=$2 name=$3 append=$4 rc=0 t0
	t0=$(date +%s)
	# no_timer_check: on a loaded host, TCG can miss the IO-APIC timer check and 6.1 then
	# panics at boot ("IO-APIC + timer doesn't work"); seen once in a --kernel all run.
	# shellcheck disable=SC2046
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 $(accel_args) -m 512 -nographic -monitor none \
		-serial "file:$dir/$name.raw" -no-reboot -nic none \
		-kernel "$KIMAGE" -initrd "$dir/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet no_timer_check $append" </dev/null >"$dir/$name.qemu" 2>&1 || rc=$?
	tr -d '\r' <"$dir/$name.raw" >"$dir/$name.log"
	echo "QEMU rc=$rc seconds=$(($(date +%s) - t0))" >>"$dir/$name.log"
	if [ $rc = 124 ] || [ $rc = 137 ]; then echo "QEMU timed out after ${TIMEOUT}s" >>"$dir/$name.log"; fi
}

# ---------------------------------------------------------------------------------------
# Verdicts

PASSED=0
FAILED=0
SKIPPED=0
FAILED_LOGS=()
REFUSALS_LOADED=0
UNFINISHED=0

# expected VER: "case verdict" lines for that kernel; "case SKIP reason..." for a case
# that is expected to skip (tests/vm/expected-lab).
expected() {
	local col
	case $1 in
	6.1) col=2 ;;
	6.12) col=3 ;;
	lab | arm64)
		awk '!/^#/ && NF >= 2' "$HERE/expected-$1"
		return
		;;
	esac
	awk -v c=$col '!/^#/ && NF >= 3 { print $1, $c }' "$HERE/expected"
}

EXPECTED_SKIPS=()
report() { # report STATUS VER CASE TEXT; STATUS XSKIP is a skip tests/vm/expected-lab expects
	printf '%-4s %-5s %-34s %s\n' "${1/XSKIP/SKIP}" "$2" "$3" "$4"
	case $1 in
	XSKIP)
		SKIPPED=$((SKIPPED + 1))
		EXPECTED_SKIPS+=("$3")
		;;
	PASS) PASSED=$((PASSED + 1)) ;;
	FAIL) FAILED=$((FAILED + 1)) ;;
	SKIP)
		if [ $STRICT = 1 ]; then FAILED=$((FAILED + 1)); else SKIPPED=$((SKIPPED + 1)); fi
		;;
	esac
}

# evaluate VER LOG EXPECTED_LINES: compares the RESULT lines of one boot with what we expect
evaluate() {
	local ver=$1 logf=$2 want=$3 failed_before=$FAILED name exp why line got detail
	declare -A seen=()
	while read -r name exp why; do
		[ -n "$name" ] || continue
		line=$(grep -a "^RESULT $name " "$logf" | head -n1 || true)
		if [ -z "$line" ]; then
			report FAIL "$ver" "$name" "no result (expected $exp): the guest did not get there"
			continue
		fi
		seen[$name]=1
		read -r _ _ got detail <<<"$line"
		if [ "$exp" = SKIP ] && [ "$got" = SKIP ]; then
			report XSKIP "$ver" "$name" "$detail (expected: $why)"
		elif [ "$exp" = SKIP ]; then
			report FAIL "$ver" "$name" "got $got, expected a skip ($why): update tests/vm/expected-lab: $detail"
		elif [ "$got" = SKIP ]; then
			report SKIP "$ver" "$name" "$detail"
		elif [ "$got" = "$exp" ]; then
			report PASS "$ver" "$name" "$got ${detail:0:160}"
		else
			report FAIL "$ver" "$name" "got $got, expected $exp: $detail"
			# what the negative control looks for: a refusal (an errno) that became a load
			# (or a run: the lab's fs-verity programs)
			case $exp in E[A-Z]*) if [ "$got" = loaded ] || [ "$got" = ran ]; then REFUSALS_LOADED=$((REFUSALS_LOADED + 1)); fi ;; esac
		fi
	done <<<"$want"
	while read -r line; do
		[ -n "$line" ] || continue
		read -r _ name _ <<<"$line"
		[ -n "${seen[$name]:-}" ] || report FAIL "$ver" "$name" "not in the expected verdicts (tests/vm/expected, expected-lab): $line"
	done < <(grep -a '^RESULT ' "$logf" || true)
	if ! grep -aqx 'END' "$logf"; then
		report FAIL "$ver" "end-of-run" "the VM did not reach END ($(tail -n1 "$logf"))"
		UNFINISHED=$((UNFINISHED + 1))
	fi
	if [ $FAILED -gt "$failed_before" ]; then
		mkdir -p "$LOGS"
		local keep
		keep=$LOGS/$(date -u +%Y%m%dT%H%M%SZ)-$ver-$(basename "$logf")
		cp "$logf" "$keep"
		FAILED_LOGS+=("$keep")
	fi
}

# The lab kernel (built-in CA, restricted .ima): run_lab and its helpers
# shellcheck source=tests/vm/lab-run.sh
. "$HERE/lab-run.sh"
# The Secure Boot lab (OVMF, the sb variant of the lab kernel): run_sb
# shellcheck source=tests/vm/sb-run.sh
. "$HERE/sb-run.sh"
# The arm64 lab (qemu-system-aarch64, our aarch64 build): run_arm64
# shellcheck source=tests/vm/arm64-run.sh
. "$HERE/arm64-run.sh"

# ---------------------------------------------------------------------------------------

main() {
	local t_all ver dir t0 p pol want
	t_all=$(date +%s)
	ensure_packages
	build_tools
	mkdir -p "$WORK"
	detect_caps >"$WORK/caps"
	log "our tools offer: $(tr '\n' ' ' <"$WORK/caps")"
	rm -rf "$WORK/keys"
	make_keys "$WORK/keys"

	for ver in $KERNELS; do
		t0=$(date +%s)
		if [ "$ver" = lab ]; then
			run_lab
			echo "-- lab ($KREL): $(($(date +%s) - t0)) s"
			continue
		fi
		if [ "$ver" = sb ]; then
			run_sb
			echo "-- sb ($KREL): $(($(date +%s) - t0)) s"
			continue
		fi
		if [ "$ver" = arm64 ]; then
			run_arm64
			echo "-- arm64 ($KREL): $(($(date +%s) - t0)) s"
			continue
		fi
		fetch_kernel "$ver"
		dir=$WORK/$ver
		rm -rf "$dir"
		mkdir -p "$dir"
		build_initramfs "$ver" "$dir"
		if [ $NEGATIVE = 1 ]; then
			log "$ver: $KPKG ($KREL), negative control: ima_appraise=log"
			boot "$ver" "$dir" main "imaevm.mode=main ima_appraise=log"
			evaluate "$ver" "$dir/main.log" "$(expected "$ver")"
		else
			log "$ver: $KPKG ($KREL), main boot"
			boot "$ver" "$dir" main "imaevm.mode=main"
			evaluate "$ver" "$dir/main.log" "$(expected "$ver")"
			# Every file in policies/ on its own boot (write-once policy file); kexec.policy
			# was loaded by the main boot already.
			for p in "$dir"/root/t/policies/*.policy; do
				[ -e "$p" ] || { report SKIP "$ver" "policy-file:*" "no policies/*.policy in this tree yet"; break; }
				pol=$(basename "$p")
				if [ "$pol" = kexec.policy ]; then
					want=$(grep -a '^RESULT policy-load-kexec ' "$dir/main.log" | awk '{print $3}' || true)
					case $want in
					ok) report PASS "$ver" "policy-file:$pol" "ok (loaded by the main boot)" ;;
					SKIP) report SKIP "$ver" "policy-file:$pol" "see policy-load-kexec" ;;
					*) report FAIL "$ver" "policy-file:$pol" "the main boot could not load it" ;;
					esac
					continue
				fi
				log "$ver: boot for policies/$pol"
				boot "$ver" "$dir" "policy-$pol" "imaevm.mode=policy imaevm.policy=$pol"
				evaluate "$ver" "$dir/policy-$pol.log" "policy-file:$pol ok"
			done
		fi
		echo "-- $ver ($KREL): $(($(date +%s) - t0)) s"
	done

	local xs=
	[ ${#EXPECTED_SKIPS[@]} = 0 ] || xs=", ${#EXPECTED_SKIPS[@]} of them expected: ${EXPECTED_SKIPS[*]}"
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped$xs ($(($(date +%s) - t_all)) s)"
	for p in "${FAILED_LOGS[@]}"; do echo "serial log kept: $p"; done

	if [ $NEGATIVE = 1 ]; then
		# The harness must have run to the end and failed the cases the kernel no longer refused.
		if [ $UNFINISHED = 0 ] && [ $REFUSALS_LOADED -gt 0 ]; then
			echo "negative control OK: with a kernel that does not enforce (ima_appraise=log; sb: no Secure Boot, lockdown or policy) the harness reported $FAILED failures," \
				"$REFUSALS_LOADED of them refusals that became loads or runs"
			exit 0
		fi
		echo "negative control FAILED: $REFUSALS_LOADED refusals seen turned into loads," \
			"$UNFINISHED VM(s) did not reach END: the harness did not show that it notices a kernel that does not enforce"
		exit 1
	fi
	[ $FAILED = 0 ]
}

main
