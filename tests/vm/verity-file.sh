#!/usr/bin/env bash
# fs-verity signatures (sigv3) on real fs-verity files, in QEMU: a Debian kernel with
# CONFIG_FS_VERITY enables fs-verity on files of an ext4 disk prepared here, and then
# `evmctl ima_verify`, `imactl verify` (kernel keyring) and the kernel's own appraisal
# (`appraise func=FILE_CHECK fsuuid=... digest_type=verity appraise_type=sigv3`) judge each
# file. The values are made here, on the host, from `fsverity digest` lines with
# `evmctl sign_hash --veritysig`, as a packager would.
#
#   tests/vm/verity-file.sh [--kernel 6.1|6.12|all] [--strict]
#
# Prints PASS/FAIL/SKIP lines and "N passed, M failed, K skipped"; exits non-zero when a
# case fails (with --strict also when one is skipped). Root (loop mount, security.ima);
# uses the kernel packages tests/vm/run.sh caches (it fetches them the same way when
# missing). The host's own kernel needs no fs-verity: everything that does runs in the VM.
# Cases and the reason for each expectation: tests/vm/README.md, "fs-verity files".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${IMAEVM_CACHE:-/var/cache/imaevm-tests}/debian-kernels
WORK=$ROOT/target/vm-work/verity
KERNELS="6.1 6.12"
STRICT=0
TIMEOUT=${IMAEVM_VM_TIMEOUT:-300}
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNELS=${2:?}; shift 2 ;;
	--strict) STRICT=1; shift ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "verity-file.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$KERNELS" = all ] && KERNELS="6.1 6.12"

PASSED=0 FAILED=0 SKIPPED=0
report() { # report STATUS KERNEL CASE TEXT
	printf '%-4s %-5s %-26s %s\n' "$1" "$2" "$3" "$4"
	case $1 in PASS) PASSED=$((PASSED + 1)) ;; FAIL) FAILED=$((FAILED + 1)) ;; SKIP) SKIPPED=$((SKIPPED + 1)) ;; esac
}
finish() {
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ $FAILED = 0 ] && { [ $STRICT = 0 ] || [ $SKIPPED = 0 ]; }
}
skip_all() { report SKIP all verity-file "$1"; finish; exit $?; }

[ "$(id -u)" = 0 ] || skip_all "needs root (loop mount, security.ima on the disk image)"
for t in qemu-system-x86_64 fsverity mkfs.ext4 setfattr keyctl openssl cpio dpkg-deb; do
	command -v $t >/dev/null || skip_all "$t is missing (tests/setup.sh installs it)"
done
{ [ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked'; } ||
	skip_all "busybox-static is missing (tests/setup.sh installs it)"

# The kernel package tests/vm/run.sh caches: KROOT (unpacked) and KREL.
kernel() {
	local ver=$1 meta pkg deb
	case $ver in 6.1) meta=linux-image-cloud-amd64 ;; 6.12) meta=linux-image-6.12-cloud-amd64 ;; *) return 1 ;; esac
	pkg=$(cat "$CACHE/latest-$ver" 2>/dev/null || true)
	if [ -z "$pkg" ] || [ ! -f "$CACHE/$pkg/.unpacked" ]; then
		pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ && !n++ { print $2 }' || true)
		[ -n "$pkg" ] || return 1
		mkdir -p "$CACHE/$pkg"
		(cd "$CACHE/$pkg" && apt-get download "$pkg" >/dev/null 2>&1) || return 1
		deb=$(find "$CACHE/$pkg" -maxdepth 1 -name '*.deb' | head -n1)
		[ -n "$deb" ] && dpkg-deb -x "$deb" "$CACHE/$pkg/root" && touch "$CACHE/$pkg/.unpacked" || return 1
		echo "$pkg" >"$CACHE/latest-$ver"
	fi
	KROOT=$CACHE/$pkg/root
	KREL=$(find "$KROOT/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
	KREL=${KREL##*/vmlinuz-}
	[ -n "$KREL" ]
}

copy_with_libs() { # BINARY ROOT: /bin/NAME and the libraries ldd lists
	local lib
	install -D -m 0755 "$1" "$2/bin/$(basename "$1")"
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*'); do
		install -D -m 0755 "$(readlink -f "$lib")" "$2$lib"
	done
}

echo "== building evmctl and imactl" >&2
(cd "$ROOT" && nice -n 10 cargo build --bins --quiet) || { report FAIL all build "cargo build failed"; finish; exit 1; }
EVMCTL=$ROOT/target/debug/evmctl
IMACTL=$ROOT/target/debug/imactl

rm -rf "$WORK"
mkdir -p "$WORK/keys" "$WORK/root/bin" "$WORK/root/t/keys" "$WORK/root/t/mod" "$WORK/mnt"
keys=$WORK/keys
for k in rsa:RSA:rsa_keygen_bits:2048 wrong:RSA:rsa_keygen_bits:2048 ec:EC:ec_paramgen_curve:P-256; do
	IFS=: read -r n alg opt val <<<"$k"
	openssl genpkey -algorithm "$alg" -pkeyopt "$opt:$val" -out "$keys/$n.pem" 2>/dev/null
	openssl req -new -x509 -key "$keys/$n.pem" -days 30 -subj "/CN=imaevm verity $n" \
		-addext "subjectKeyIdentifier=hash" -outform DER -out "$keys/$n.der" 2>/dev/null
	cp "$keys/$n.der" "$WORK/root/t/keys/"
done

# The disk: ext4 with the verity feature, 4 KiB blocks (6.1 needs page-sized ones).
UUID=6c0ffee0-5157-4c3e-9a11-000000000003
disk=$WORK/disk.ext4
truncate -s 64M "$disk"
mkfs.ext4 -q -F -b 4096 -O verity -U "$UUID" "$disk"
mount -o loop "$disk" "$WORK/mnt"
trap 'umount "$WORK/mnt" 2>/dev/null || true' EXIT
sigv3() { # KEY FILE ALGO: the hex value of `fsverity digest` signed by sign_hash --veritysig
	fsverity digest --hash-alg="$3" "$2" | "$EVMCTL" sign_hash --veritysig --key "$1" 2>/dev/null | awk '{ print $NF }'
}
: >"$WORK/root/t/enable.list"
for k in rsa ec; do
	m=$WORK/mnt
	for f in signed signed512 other algo plain; do
		seq 1 3000 | sed "s/^/$k $f line /" >"$m/$k-$f"
	done
	setfattr -n security.ima -v "0x$(sigv3 "$keys/$k.pem" "$m/$k-signed" sha256)" "$m/$k-signed"
	setfattr -n security.ima -v "0x$(sigv3 "$keys/$k.pem" "$m/$k-signed512" sha512)" "$m/$k-signed512"
	# another file's value; a sha256 value on a sha512 file; no fs-verity at all
	setfattr -n security.ima -v "0x$(sigv3 "$keys/$k.pem" "$m/$k-signed" sha256)" "$m/$k-other"
	setfattr -n security.ima -v "0x$(sigv3 "$keys/$k.pem" "$m/$k-algo" sha256)" "$m/$k-algo"
	setfattr -n security.ima -v "0x$(sigv3 "$keys/$k.pem" "$m/$k-plain" sha256)" "$m/$k-plain"
	printf '%s\n' "$k-signed sha256" "$k-signed512 sha512" "$k-other sha256" "$k-algo sha512" \
		>>"$WORK/root/t/enable.list"
done
# executables (BPRM_CHECK): busybox signed; a changed copy carrying its value
mkdir "$WORK/mnt/exec" "$WORK/mnt/bad"
install -m 0755 /bin/busybox "$WORK/mnt/exec/busybox"
{ cat /bin/busybox; echo tampered; } >"$WORK/mnt/bad/busybox"
chmod 0755 "$WORK/mnt/bad/busybox"
chown 1000:1000 "$WORK/mnt/exec/busybox" "$WORK/mnt/bad/busybox"
value=$(sigv3 "$keys/rsa.pem" "$WORK/mnt/exec/busybox" sha256)
setfattr -n security.ima -v "0x$value" "$WORK/mnt/exec/busybox"
setfattr -n security.ima -v "0x$value" "$WORK/mnt/bad/busybox"
printf '%s\n' "exec/busybox sha256" "bad/busybox sha256" >>"$WORK/root/t/enable.list"
umount "$WORK/mnt"
trap - EXIT
echo "$UUID" >"$WORK/root/t/uuid"

r=$WORK/root
install -m 0755 /bin/busybox "$r/bin/busybox"
install -m 0755 "$HERE/verity-init.sh" "$r/init"
for b in "$EVMCTL" "$IMACTL" "$(command -v fsverity)" "$(command -v keyctl)"; do copy_with_libs "$b" "$r"; done

# Second boot: tests/evmctl_verity_file.rs itself, which skips on a host kernel without
# fs-verity, with what it runs at the paths compiled into it (CARGO_BIN_EXE_*,
# CARGO_TARGET_TMPDIR, CARGO_MANIFEST_DIR) and upstream 1.5 when it is cached.
echo "== building tests/evmctl_verity_file.rs" >&2
vtest=$(
	cd "$ROOT"
	nice -n 10 cargo test --test evmctl_verity_file --no-run --message-format=json 2>/dev/null |
		grep -o '"executable":"[^"]*evmctl_verity_file[^"]*"' | tail -n1 | cut -d'"' -f4
) || vtest=
r2=$WORK/root-rust
if [ -n "$vtest" ]; then
	cp -a "$r" "$r2"
	copy_with_libs "$vtest" "$r2"
	mv "$r2/bin/$(basename "$vtest")" "$r2/bin/evmctl_verity_file"
	install -D -m 0755 "$EVMCTL" "$r2$EVMCTL"
	install -D -m 0755 "$IMACTL" "$r2$IMACTL"
	mkdir -p "$r2$ROOT/target/tmp" "$r2/etc" "$r2/usr/lib/ssl"
	install -D -m 0755 "$ROOT/tests/tools/build-upstream-1.5.sh" "$r2$ROOT/tests/tools/build-upstream-1.5.sh"
	for b in openssl mkfs.ext4 bash; do copy_with_libs "$(command -v $b)" "$r2"; done
	cp /etc/mke2fs.conf "$r2/etc/"
	cp "$(openssl version -d | cut -d'"' -f2)/openssl.cnf" "$r2/usr/lib/ssl/" 2>/dev/null || true
	echo "$ROOT" >"$r2/t/root-dir"
	upc=${IMAEVM_CACHE:-/var/tmp/imaevm-cache}
	echo "$upc" >"$r2/t/upstream-cache"
	up=$upc/upstream-1.5
	if [ -x "$up/evmctl-1.5" ] && [ -x "$up/ima-evm-utils-1.5/src/.libs/evmctl" ]; then
		mkdir -p "$r2$up/ima-evm-utils-1.5/src"
		cp -a "$up/evmctl-1.5" "$r2$up/"
		cp -a "$up/ima-evm-utils-1.5/src/.libs" "$r2$up/ima-evm-utils-1.5/src/"
		for lib in $(LD_LIBRARY_PATH=$up/ima-evm-utils-1.5/src/.libs ldd "$up/ima-evm-utils-1.5/src/.libs/evmctl" | grep -o '/[^ ]*'); do
			[ -e "$r2$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$r2$lib"
		done
	fi
fi

# case expected-rc expected-text (a fixed string the case's output must contain)
expectations() {
	local k
	echo "mount 0 -"
	echo "enable-exec/busybox 0 -"
	echo "enable-bad/busybox 0 -"
	for k in rsa ec; do
		for f in signed signed512 other algo; do echo "enable-$k-$f 0 -"; done
		echo "evmctl-$k-signed 0 /mnt/$k-signed: verification is OK"
		echo "evmctl-$k-signed512 0 /mnt/$k-signed512: verification is OK"
		echo "evmctl-$k-other 1 invalid-signature"
		echo "evmctl-$k-algo 1 the sigv3 signature is over a sha256 fs-verity digest, and the file's is sha512"
		echo "evmctl-$k-plain 1 /mnt/$k-plain: verification failed: fs-verity is not enabled on /mnt/$k-plain; a sigv3 signature needs it"
		echo "evmctl-$k-stranger 1 unknown key id:"
	done
	echo "import 0 -"
	echo "imactl-rsa-signed 0 /mnt/rsa-signed: OK (key id:"
	echo "imactl-rsa-signed512 0 /mnt/rsa-signed512: OK (key id:"
	echo "imactl-rsa-other 1 invalid-signature"
	echo "imactl-rsa-algo 1 is over a sha256 fs-verity digest, and the file's is sha512"
	echo "imactl-rsa-plain 1 /mnt/rsa-plain: no-verity-digest (fs-verity is not enabled on the file; a sigv3 signature needs it)"
	echo "policy 0 -"
	echo "kernel-rsa-signed 0 -"
	echo "kernel-rsa-signed512 0 -"
	echo "kernel-rsa-other 1 Permission denied"
	echo "kernel-rsa-algo 1 Permission denied"
	echo "kernel-rsa-plain 1 Permission denied"
	echo "kernel-exec 0 ran"
	echo "kernel-exec-bad 126 Permission denied"
	echo "audit-exec-bad 0 cause=invalid-verity-signature"
	# the kernel's audit causes (grep's status: 1 when the file caused no record)
	echo "audit-rsa-signed 1 -"
	echo "audit-rsa-signed512 1 -"
	echo "audit-rsa-other 0 cause=invalid-verity-signature"
	echo "audit-rsa-algo 0 cause=invalid-verity-signature"
	echo "audit-rsa-plain 0 cause=no-verity-digest"
}

accel() {
	if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		echo "-accel kvm -cpu host -smp 1"
	else
		echo "-accel tcg -cpu max -smp 1"
	fi
}

# boot ROOT LOG DISK APPEND: one VM with ROOT as its initramfs (and DISK as /dev/vda)
boot() {
	local disk_args=()
	[ -z "$3" ] || disk_args=(-drive "file=$3,if=virtio,format=raw")
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet | gzip -n -1) >"$1.cpio.gz"
	# shellcheck disable=SC2046
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 $(accel) -m 1024 -nographic -monitor none \
		-serial "file:$2.raw" -no-reboot -nic none \
		-kernel "$KROOT/boot/vmlinuz-$KREL" -initrd "$1.cpio.gz" "${disk_args[@]}" \
		-append "console=ttyS0 panic=-1 quiet no_timer_check $4" </dev/null >"$2.qemu" 2>&1 || true
	tr -d '\r' <"$2.raw" >"$2"
}

# rust_test VER LOG: the test passed in the guest, with no skip
rust_test() {
	local out skips
	out=$(grep -a '^OUT rust-test ' "$2" | cut -d' ' -f3- || true)
	skips=$(grep '^SKIP ' <<<"$out" || true)
	if ! grep -qx 'RESULT rust-test rc=0' "$2"; then
		report FAIL "$1" rust-test "tests/evmctl_verity_file.rs failed in the VM (serial log: $2): $(grep -E 'panicked|FAILED' <<<"$out" | head -c 400)"
	elif ! grep -q '^test result: ok. 2 passed' <<<"$out"; then
		report FAIL "$1" rust-test "tests/evmctl_verity_file.rs did not run its 2 tests (serial log: $2)"
	elif [ -n "$skips" ]; then
		report SKIP "$1" rust-test "passed, but skipped: $skips"
	else
		report PASS "$1" rust-test "tests/evmctl_verity_file.rs: 2 passed, no skip"
	fi
}

for ver in $KERNELS; do
	if ! kernel "$ver"; then
		report SKIP "$ver" verity-file "Debian's $ver kernel package is neither cached nor downloadable"
		continue
	fi
	if ! grep -q '^CONFIG_FS_VERITY=y' "$KROOT/boot/config-$KREL"; then
		report SKIP "$ver" verity-file "$KREL has no CONFIG_FS_VERITY"
		continue
	fi
	rm -f "$r"/t/mod/*
	for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk sha512_generic loop; do
		p=$(find "$KROOT/lib/modules/$KREL" -name "$m.ko*" | head -n1)
		case $p in
		"") ;;
		*.xz) xz -dc "$p" >"$r/t/mod/$m.ko" ;;
		*) cp "$p" "$r/t/mod/$m.ko" ;;
		esac
	done
	cp "$disk" "$WORK/disk-$ver.ext4"
	log=$WORK/serial-$ver.log
	echo "== $ver: booting $KREL" >&2
	boot "$r" "$log" "$WORK/disk-$ver.ext4" ""
	if [ -n "$vtest" ]; then
		cp "$r"/t/mod/* "$r2/t/mod/"
		echo "== $ver: booting $KREL for tests/evmctl_verity_file.rs" >&2
		boot "$r2" "$WORK/serial-rust-$ver.log" "" "imaevm.mode=rust"
		rust_test "$ver" "$WORK/serial-rust-$ver.log"
	else
		report FAIL "$ver" rust-test "cannot build tests/evmctl_verity_file.rs (cargo test --no-run)"
	fi
	if ! grep -qx END "$log"; then
		report FAIL "$ver" verity-file "the VM did not reach END (serial log: $log)"
		continue
	fi
	while read -r c want text; do
		got=$(grep -a "^RESULT $c rc=" "$log" | head -n1 | sed 's/.*rc=//' || true)
		out=$(grep -a "^OUT $c " "$log" | cut -d' ' -f3- || true)
		if [ -z "$got" ]; then
			report FAIL "$ver" "$c" "no result (serial log: $log)"
		elif [ "$got" != "$want" ]; then
			report FAIL "$ver" "$c" "exit $got, expected $want: $(head -c 300 <<<"$out")"
		elif [ "$text" != - ] && ! grep -qF -- "$text" <<<"$out"; then
			report FAIL "$ver" "$c" "output lacks '$text': $(head -c 300 <<<"$out")"
		else
			[ "$text" = - ] && text= || text=": $text"
			report PASS "$ver" "$c" "exit $got$text"
		fi
	done < <(expectations)
	# Our FS_IOC_MEASURE_VERITY reads what `fsverity measure` reads.
	for k in rsa ec; do
		for f in signed signed512; do
			d=$(grep -a "^OUT measure-$k-$f " "$log" | awk '{ print $3 }' || true)
			if [ -n "$d" ] && grep -a "^OUT evmctl-$k-$f " "$log" | grep -qF "fs-verity digest: $d"; then
				report PASS "$ver" "measure-$k-$f" "evmctl -v shows $d, as fsverity measure"
			else
				report FAIL "$ver" "measure-$k-$f" "fsverity measure says '$d'; evmctl -v does not show it"
			fi
		done
	done
done
finish
