#!/usr/bin/env bash
# Boot integration end to end: Debian's kernels boot an initramfs built by the real tools
# (Debian's dracut with packaging/dracut/98imaevm, Debian's mkinitramfs with
# packaging/initramfs-tools), carrying our static imactl, a certificate in
# /etc/keys/ima/ and policies/kexec.policy as /etc/ima/ima-policy. The initramfs runs
# `imactl boot` and switches to a small ext4 root whose init (tests/vm/boot-init.sh)
# checks that the key and the policy were in force before it started, that running the
# boot step again is harmless, and that a signed kexec load succeeds and an unsigned one
# is refused.
#
#   tests/vm/boot.sh [--kernel 6.1|6.12|all] [--builder dracut|initramfs-tools|all]
#                    [--no-build] [--strict] [--timeout SECONDS] [--negative-control]
#
# --negative-control builds the same images WITHOUT our module and hook: it passes only
# if the harness then reports the key and the policy missing and the unsigned load not
# refused (it proves that the checks notice an image that does not do the boot step).
#
# Prints one line per case and "N passed, M failed, K skipped"; exits non-zero when a
# case is not as expected. Needs root (mount namespaces for mkinitramfs), Debian bookworm.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=$ROOT/target/vm-cache
WORK=$ROOT/target/vm-boot
LOGS=$ROOT/target/vm-logs
STATIC_TARGET=$ROOT/target/static
TRIPLE=x86_64-unknown-linux-gnu
EVMCTL=$STATIC_TARGET/$TRIPLE/release/evmctl
IMACTL=$STATIC_TARGET/$TRIPLE/release/imactl

KERNELS="6.1 6.12"
BUILDERS="dracut initramfs-tools"
BUILD=1
STRICT=0
NEGATIVE=0
TIMEOUT=${IMAEVM_VM_TIMEOUT:-420}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) KERNELS=${2:?}; shift 2 ;;
	--builder) BUILDERS=${2:?}; shift 2 ;;
	--no-build) BUILD=0; shift ;;
	--strict) STRICT=1; shift ;;
	--negative-control) NEGATIVE=1; shift ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$KERNELS" = all ] && KERNELS="6.1 6.12"
[ "$BUILDERS" = all ] && BUILDERS="dracut initramfs-tools"

log() { echo "== $*" >&2; }
die() { echo "boot.sh: $*" >&2; exit 1; }

PASSED=0 FAILED=0 SKIPPED=0
report() { # report STATUS KERNEL BUILDER CASE TEXT
	printf '%-4s %-5s %-16s %-16s %s\n' "$1" "$2" "$3" "$4" "$5"
	case $1 in
	PASS) PASSED=$((PASSED + 1)) ;;
	FAIL) FAILED=$((FAILED + 1)) ;;
	SKIP) if [ $STRICT = 1 ]; then FAILED=$((FAILED + 1)); else SKIPPED=$((SKIPPED + 1)); fi ;;
	esac
}
CASES="boot-keys:ok boot-policy:ok boot-rerun:ok kexec-signed:loaded kexec-unsigned:EACCES"
# Without the boot step: no key, no policy (the real init's own imactl boot then loads it,
# so boot-rerun is not judged), nothing appraised.
NEGATIVE_CASES="boot-keys:missing boot-policy:missing kexec-signed:loaded kexec-unsigned:loaded"

# ---------------------------------------------------------------------------------------
# Host tools

ensure_packages() {
	local missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	{ [ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked'; } || missing+=(busybox-static)
	command -v kexec >/dev/null || [ -x /sbin/kexec ] || missing+=(kexec-tools)
	command -v openssl >/dev/null || missing+=(openssl)
	command -v mkfs.ext4 >/dev/null || missing+=(e2fsprogs)
	command -v depmod >/dev/null || missing+=(kmod)
	command -v xz >/dev/null || missing+=(xz-utils)
	# dracut-core and initramfs-tools-core install side by side (the meta-packages
	# dracut and initramfs-tools conflict; neither is needed here).
	command -v dracut >/dev/null || missing+=(dracut-core)
	command -v mkinitramfs >/dev/null || missing+=(initramfs-tools-core)
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}"
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
}

meta_package() {
	case $1 in
	6.1) echo linux-image-cloud-amd64 ;;
	6.12) echo linux-image-6.12-cloud-amd64 ;;
	esac
}

# fetch_kernel VER: KROOT (the unpacked package, modules indexed by depmod) and KREL; the
# same cache and packages as tests/vm/run.sh.
fetch_kernel() {
	local ver=$1 meta pkg deb
	meta=$(meta_package "$ver")
	mkdir -p "$CACHE"
	pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/ && !n++ { print $2 }' || true)
	if [ -z "$pkg" ]; then
		[ -f "$CACHE/latest-$ver" ] || die "cannot resolve $meta (apt-cache) and nothing cached"
		pkg=$(cat "$CACHE/latest-$ver")
	fi
	if [ ! -f "$CACHE/$pkg/.unpacked" ]; then
		log "fetching $pkg"
		rm -rf "${CACHE:?}/$pkg"
		mkdir -p "$CACHE/$pkg"
		(cd "$CACHE/$pkg" && apt-get download "$pkg" >/dev/null 2>&1) || true
		deb=$(find "$CACHE/$pkg" -maxdepth 1 -name '*.deb' | head -n1)
		[ -n "$deb" ] || die "apt-get download $pkg failed"
		dpkg-deb -x "$deb" "$CACHE/$pkg/root"
		touch "$CACHE/$pkg/.unpacked"
	fi
	echo "$pkg" >"$CACHE/latest-$ver"
	KROOT=$CACHE/$pkg/root
	KREL=$(find "$KROOT/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
	KREL=${KREL##*/vmlinuz-}
	[ -n "$KREL" ] || die "no /boot/vmlinuz-* in $pkg"
	KMOD=$KROOT/lib/modules/$KREL
	[ -d "$KMOD" ] || KMOD=$KROOT/usr/lib/modules/$KREL
	[ -f "$KMOD/modules.dep" ] || depmod -b "${KMOD%/lib/modules/*}" "$KREL"
}

build_tools() {
	if [ $BUILD = 1 ]; then
		log "building evmctl and imactl (static)"
		mkdir -p "$WORK"
		(cd "$ROOT" && CARGO_TARGET_DIR=$STATIC_TARGET RUSTFLAGS='-C target-feature=+crt-static' \
			cargo build --release --target $TRIPLE --bins) >"$WORK/build.log" 2>&1 ||
			{ tail -n 30 "$WORK/build.log" >&2; die "static build failed"; }
	fi
	[ -x "$EVMCTL" ] && [ -x "$IMACTL" ] || die "static binaries missing (run without --no-build)"
}

# ---------------------------------------------------------------------------------------
# What the initramfs carries, and the real root

make_host_files() { # the build host's /etc, as the module and hook read it (IMAEVM_*)
	local etc=$WORK/etc
	rm -rf "$etc"
	mkdir -p "$etc/keys/ima" "$etc/ima"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/ima.key" 2>/dev/null
	openssl req -new -x509 -key "$WORK/ima.key" -days 3650 -subj "/CN=imaevm boot test" \
		-addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=critical,digitalSignature" \
		-addext "subjectKeyIdentifier=hash" -outform DER -out "$etc/keys/ima/boot-test.der" 2>/dev/null
	openssl x509 -inform DER -in "$etc/keys/ima/boot-test.der" -noout -ext subjectKeyIdentifier |
		tail -n1 | tr -d ' :\n' | tail -c 8 | tr A-F a-f >"$WORK/keyid"
	cp "$ROOT/policies/kexec.policy" "$etc/ima/ima-policy"
	export IMAEVM_IMACTL=$IMACTL IMAEVM_KEYS_DIR=$etc/keys/ima IMAEVM_POLICY=$etc/ima/ima-policy
	export IMAEVM_KERNEL_CERT=$etc/keys/x509_ima.der
}

copy_with_libs() { # copy_with_libs BINARY ROOT
	local bin=$1 root=$2 lib
	install -D -m 0755 "$bin" "$root/sbin/$(basename "$bin")"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

make_rootfs() { # make_rootfs DIR: DIR/rootfs.ext4 for the current kernel
	local dir=$1 r=$1/rootfs
	rm -rf "$r"
	mkdir -p "$r"/{bin,sbin,etc/keys/ima,etc/ima,proc,sys,dev,run,tmp,t}
	install -m 0755 /bin/busybox "$r/bin/busybox"
	install -m 0755 "$HERE/boot-init.sh" "$r/sbin/init"
	install -m 0755 "$EVMCTL" "$r/bin/evmctl"
	install -m 0755 "$IMACTL" "$r/bin/imactl"
	copy_with_libs "$(command -v kexec || echo /sbin/kexec)" "$r"
	cp "$WORK/etc/keys/ima/boot-test.der" "$r/etc/keys/ima/"
	cp "$WORK/etc/ima/ima-policy" "$r/etc/ima/"
	cp "$WORK/keyid" "$r/t/keyid"
	cp "$KROOT/boot/vmlinuz-$KREL" "$r/t/vmlinuz"
	# Signed on the host (the packager's flow), installed in the guest from the .sig.
	cp "$KROOT/boot/vmlinuz-$KREL" "$dir/vmlinuz"
	rm -f "$dir/vmlinuz.sig"
	"$EVMCTL" ima_sign -n --sigfile --key "$WORK/ima.key" "$dir/vmlinuz" >/dev/null 2>&1
	cp "$dir/vmlinuz.sig" "$r/t/vmlinuz.sig"
	rm -f "$dir/rootfs.ext4"
	mkfs.ext4 -q -F -L imaevm-root -d "$r" "$dir/rootfs.ext4" 96M
}

DRIVERS="virtio_pci virtio_blk ext4"

image_dracut() { # image_dracut OUT
	local out=$1 base=$WORK/dracut-base m
	rm -rf "$base"
	mkdir -p "$base/modules.d" "$WORK/dracut.conf.d"
	for m in /usr/lib/dracut/*; do [ "${m##*/}" = modules.d ] || ln -s "$m" "$base/"; done
	for m in /usr/lib/dracut/modules.d/*; do ln -s "$m" "$base/modules.d/"; done
	ln -s "$ROOT/packaging/dracut/98imaevm" "$base/modules.d/98imaevm"
	local mods="base kernel-modules rootfs-block udev-rules imaevm"
	[ $NEGATIVE = 1 ] && mods="base kernel-modules rootfs-block udev-rules"
	# No host-only image, no systemd in the initramfs: dracut's shell init, root from the
	# kernel command line, our module.
	dracutbasedir=$base dracut --force --no-hostonly --kver "$KREL" --kmoddir "$KMOD" \
		--conf /dev/null --confdir "$WORK/dracut.conf.d" \
		-m "$mods" --omit systemd \
		--add-drivers "$DRIVERS" --compress gzip "$out" >"$out.log" 2>&1 ||
		{ tail -n 20 "$out.log" >&2; return 1; }
	if grep -q "module 'imaevm' cannot" "$out.log"; then cat "$out.log" >&2; return 1; fi
	return 0
}

image_initramfs_tools() { # image_initramfs_tools OUT
	local out=$1 conf=$WORK/itools-conf ovl=$WORK/itools-ovl
	rm -rf "$conf" "$ovl"
	mkdir -p "$conf/hooks" "$conf/scripts/init-bottom" "$conf/conf.d" "$ovl"/{upper,work,boot}
	cat >"$conf/initramfs.conf" <<-CONF
		MODULES=list
		BUSYBOX=y
		COMPRESS=gzip
		CONF
	printf '%s\n' $DRIVERS >"$conf/modules"
	if [ $NEGATIVE = 0 ]; then
		install -m 0755 "$ROOT/packaging/initramfs-tools/hooks/imaevm" "$conf/hooks/imaevm"
		install -m 0755 "$ROOT/packaging/initramfs-tools/scripts/init-bottom/imaevm" "$conf/scripts/init-bottom/imaevm"
	fi
	cp "$KROOT/boot/config-$KREL" "$ovl/boot/"
	# mkinitramfs reads /lib/modules/RELEASE and /boot/config-RELEASE: in a mount
	# namespace of its own, an overlay on /usr/lib and a bind of /boot show it the
	# unpacked kernel; the host's directories are not touched.
	unshare -m sh -euc '
		mount --make-rprivate /
		mount -t overlay overlay -o lowerdir=/usr/lib,upperdir="$1/upper",workdir="$1/work" /usr/lib
		mkdir -p "/usr/lib/modules/$2"
		mount --bind "$3" "/usr/lib/modules/$2"
		mount --bind "$1/boot" /boot
		mkinitramfs -d "$4" -o "$5" "$2"
	' sh "$ovl" "$KREL" "$KMOD" "$conf" "$out" >"$out.log" 2>&1 || { tail -n 20 "$out.log" >&2; return 1; }
}

# ---------------------------------------------------------------------------------------

accel_args() {
	if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		echo "-accel kvm -cpu host -smp 1"
	else
		echo "-accel tcg -cpu max -smp 1"
	fi
}

boot() { # boot DIR NAME IMAGE BUILDER
	local dir=$1 name=$2 img=$3 builder=$4 rc=0 extra
	case $builder in
	dracut) extra="rd.shell=0 rd.emergency=poweroff rd.retry=30" ;;
	*) extra="" ;;
	esac
	[ $NEGATIVE = 0 ] || extra="$extra imaevm.rerun=0"
	cp "$dir/rootfs.ext4" "$dir/$name.ext4"
	# shellcheck disable=SC2046
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 $(accel_args) -m 512 -nographic -monitor none \
		-serial "file:$dir/$name.raw" -no-reboot -nic none \
		-kernel "$KROOT/boot/vmlinuz-$KREL" -initrd "$img" \
		-drive "file=$dir/$name.ext4,if=virtio,format=raw" \
		-append "console=ttyS0 panic=-1 root=/dev/vda rootfstype=ext4 rw init=/sbin/init imaevm.builder=$builder $extra" \
		</dev/null >"$dir/$name.qemu" 2>&1 || rc=$?
	tr -d '\r' <"$dir/$name.raw" >"$dir/$name.log"
	echo "QEMU rc=$rc" >>"$dir/$name.log"
	rm -f "$dir/$name.ext4"
}

evaluate() { # evaluate VER BUILDER LOG
	local ver=$1 b=$2 logf=$3 c name exp line got detail failed_before=$FAILED cases=$CASES
	[ $NEGATIVE = 1 ] && cases=$NEGATIVE_CASES
	for c in $cases; do
		name=${c%%:*} exp=${c#*:}
		line=$(grep -a "^RESULT $name " "$logf" | head -n1 || true)
		if [ -z "$line" ]; then
			report FAIL "$ver" "$b" "$name" "no result (expected $exp): the real init did not get there"
			continue
		fi
		read -r _ _ got detail <<<"$line"
		if [ "$got" = "$exp" ]; then
			report PASS "$ver" "$b" "$name" "$got ${detail:0:100}"
		else
			report FAIL "$ver" "$b" "$name" "got $got, expected $exp: $detail"
		fi
	done
	grep -aqx END "$logf" || report FAIL "$ver" "$b" end-of-run "the VM did not reach END ($(tail -n1 "$logf"))"
	if [ $FAILED -gt "$failed_before" ]; then
		mkdir -p "$LOGS"
		cp "$logf" "$LOGS/$(date -u +%Y%m%dT%H%M%SZ)-boot-$ver-$b.log"
		echo "serial log kept: $LOGS/$(date -u +%Y%m%dT%H%M%SZ)-boot-$ver-$b.log"
	fi
}

main() {
	local t0 ver b dir img
	t0=$(date +%s)
	[ "$(id -u)" = 0 ] || { report SKIP - - all "needs root (mount namespace for mkinitramfs)"; echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"; exit 0; }
	ensure_packages
	build_tools
	mkdir -p "$WORK"
	make_host_files
	for ver in $KERNELS; do
		fetch_kernel "$ver"
		dir=$WORK/$ver
		rm -rf "$dir"
		mkdir -p "$dir"
		make_rootfs "$dir"
		for b in $BUILDERS; do
			img=$dir/initrd-$b.img
			log "$ver ($KREL): building the $b image"
			if ! "image_${b//-/_}" "$img"; then
				report FAIL "$ver" "$b" image "the $b image could not be built (log: $img.log)"
				continue
			fi
			log "$ver: booting the $b image"
			boot "$dir" "boot-$b" "$img" "$b"
			evaluate "$ver" "$b" "$dir/boot-$b.log"
		done
	done
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped ($(($(date +%s) - t0)) s)"
	if [ $NEGATIVE = 1 ]; then
		if [ $FAILED = 0 ] && [ $PASSED -gt 0 ]; then
			echo "negative control OK: without the module and hook the harness saw no key, no policy and unsigned loads"
		else
			echo "negative control FAILED: the harness did not notice images without the boot step"
		fi
	fi
	[ $FAILED = 0 ]
}

main
