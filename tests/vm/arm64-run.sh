# The host side of the arm64 cases (tests/vm/run.sh --kernel arm64), sourced by run.sh (it
# uses run.sh's helpers: log, die, pack, lists, evaluate, report). The seven steps of the
# arm64 kexec_file_load series' cover letter, with our tools and an arm64 kernel as judge:
#   1. keys: `imactl key new` (leaves signed by the lab CA) and `imactl key ca` (another
#      CA), on the host;
#   2. a kernel with that CA built in: the arm64 lab kernel (tests/vm/lab-kernel.sh
#      --variant arm64, cross-built; Debian 12's arm64 kernels have no CONFIG_KEXEC_FILE);
#   3. `evmctl ima_sign` of the arm64 Image: on the host (x86_64 build, into Image.sig) and
#      in the guest (the aarch64 build);
#   4. boot: qemu-system-aarch64 -machine virt -cpu max (TCG);
#   5. `imactl policy load` of policies/kexec.policy;
#   6. `evmctl import` and `imactl key import` into .ima;
#   7. `kexec -s -l` (Debian's kexec-tools for arm64), then `kexec -e`.
# The guest's /init is tests/vm/arm64-init.sh, the expected verdicts tests/vm/expected-arm64.
# The guest's programs: our static aarch64 evmctl and imactl (tests/tools/build-aarch64.sh),
# and Debian's arm64 packages (busybox-static, kexec-tools, keyutils and their libraries),
# fetched with apt-get download into $IMAEVM_CACHE/arm64-debs/.
# shellcheck shell=bash

A64_TRIPLE=aarch64-unknown-linux-gnu
# Debian's arm64 packages in the guest: busybox (the shell), kexec-tools (kexec -s -l, as
# Debian users have it: with zlib, so it takes a gzip-compressed Image too), keyutils
# (keyctl: the _ima attack and the keyring listings) and the shared libraries they need.
# (Debian builds arm64 kexec-tools with Xen support: libxenmisc and the libraries it needs.)
A64_DEBS="busybox-static kexec-tools keyutils libkeyutils1 libc6 zlib1g libgcc-s1 libxenmisc4.17
libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1
libxenstore4 libxentoolcore1 libxentoollog1 libyajl2 libext2fs2 libcom-err2 libfdt1 libuuid1"

# a64_debs: unpacks the arm64 packages into $A64_ROOT (cached: downloaded again only when
# apt's candidate versions change).
a64_debs() {
	local dir=$IMAEVM_CACHE/arm64-debs p specs=() key
	mkdir -p "$dir" || die "cannot write $dir"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		[ "$(id -u)" = 0 ] || die "the arm64 architecture is not enabled (tests/setup.sh: dpkg --add-architecture arm64)"
		dpkg --add-architecture arm64
		apt-get update >/dev/null 2>&1 || true
	fi
	for p in $A64_DEBS; do
		v=$(apt-cache policy "$p:arm64" 2>/dev/null | awk '/Candidate:/ && !n++ { if ($2 != "(none)") print $2 }')
		[ -n "$v" ] || { apt-get update >/dev/null 2>&1 || true; v=$(apt-cache policy "$p:arm64" 2>/dev/null | awk '/Candidate:/ && !n++ { if ($2 != "(none)") print $2 }'); }
		[ -n "$v" ] || die "apt knows no $p:arm64 (tests/setup.sh adds the arm64 architecture)"
		specs+=("$p:arm64=$v")
	done
	key=$(printf '%s\n' "${specs[@]}" | sha256sum | cut -c1-16)
	A64_ROOT=$dir/root-$key
	if [ ! -f "$A64_ROOT/.unpacked" ]; then
		log "arm64: fetching ${specs[*]}"
		rm -rf "$dir/dl" "$dir"/root-* # the packages of older versions too
		mkdir -p "$dir/dl" "$A64_ROOT"
		chmod 0777 "$dir/dl" # apt-get download runs as _apt when it can
		(cd "$dir/dl" && apt-get download "${specs[@]}" 2>&1 | grep -v unsandboxed >&2) || true
		for p in $A64_DEBS; do
			compgen -G "$dir/dl/${p}_*_arm64.deb" >/dev/null || die "apt-get download $p:arm64 failed"
		done
		for p in "$dir"/dl/*.deb; do dpkg-deb -x "$p" "$A64_ROOT"; done
		rm -rf "$dir/dl"
		touch "$A64_ROOT/.unpacked"
	fi
	for p in bin/busybox sbin/kexec bin/keyctl; do
		[ -e "$A64_ROOT/$p" ] || die "$A64_ROOT/$p missing from the arm64 packages"
	done
}

a64_keyid() { # the last 4 bytes of the Subject Key Identifier, lowercase hex
	openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -n1 | tr -d ' :\n' | tail -c 8 | tr A-F a-f
}

# a64_keys DIR LABDIR: step 1 with our own imactl. The CA is the lab kernel's built-in one
# (made when the kernel was built, cached with it); the leaves are made
# here, fresh each run: leaf, leaf2 (RSA) and ec256 (P-256) signed by it; other-ca, a second
# CA the kernel does not know, and other-leaf, signed by that one ("another key").
a64_keys() {
	local dir=$1 labdir=$2 n
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$labdir/ca.pem" "$dir/ca.pem"
	for n in leaf:rsa2048 leaf2:rsa2048 ec256:p256; do
		env -u IMACTL_CA_KEY_PASSWORD -u EVMCTL_KEY_PASSWORD "$IMACTL" key new --ca-cert "$labdir/ca.pem" --ca-key "$labdir/ca.key" \
			--type "${n#*:}" --subject "CN=imaevm arm64 ${n%%:*}" --out "$dir" --name "${n%%:*}" >"$dir/${n%%:*}.out" 2>&1 ||
			die "imactl key new ${n%%:*}: $(cat "$dir/${n%%:*}.out")"
	done
	env -u IMACTL_CA_KEY_PASSWORD "$IMACTL" key ca --type rsa2048 --subject "CN=imaevm arm64 other CA" --out "$dir" --name other-ca >/dev/null 2>&1 ||
		die "imactl key ca (other-ca) failed"
	env -u IMACTL_CA_KEY_PASSWORD -u EVMCTL_KEY_PASSWORD "$IMACTL" key new --ca-cert "$dir/other-ca.pem" --ca-key "$dir/other-ca.key" \
		--type rsa2048 --subject "CN=imaevm arm64 other leaf" --out "$dir" --name other-leaf >"$dir/other-leaf.out" 2>&1 ||
		die "imactl key new other-leaf: $(cat "$dir/other-leaf.out")"
	rm -f "$dir/other-ca.key" "$dir"/*.out
	for n in ca leaf leaf2 ec256 other-ca other-leaf; do
		[ -s "$dir/$n.der" ] || openssl x509 -in "$dir/$n.pem" -outform DER -out "$dir/$n.der"
		a64_keyid "$dir/$n.pem" >"$dir/$n.keyid"
	done
}

# a64_initramfs DIR LABDIR BIN: the guest's initramfs in DIR/initramfs.cpio.gz.
a64_initramfs() {
	local dir=$1 labdir=$2 bin=$3 r=$1/root r2=$1/root2 l
	rm -rf "$r" "$r2"
	mkdir -p "$r"/{bin,sbin,t/boot,t/keys,t/policies,t/host} "$r2/bin"
	install -m 0755 "$A64_ROOT/bin/busybox" "$r2/bin/busybox"
	install -m 0755 "$HERE/arm64-init.sh" "$r2/init"
	pack "$r2" >"$r/t/boot/initrd2"

	install -m 0755 "$A64_ROOT/bin/busybox" "$r/bin/busybox"
	install -m 0755 "$HERE/arm64-init.sh" "$r/init"
	install -m 0755 "$bin/evmctl" "$r/bin/evmctl"
	install -m 0755 "$bin/imactl" "$r/bin/imactl"
	install -m 0755 "$A64_ROOT/sbin/kexec" "$r/sbin/kexec"
	install -m 0755 "$A64_ROOT/bin/keyctl" "$r/bin/keyctl"
	# the dynamic loader and the shared libraries of the packages (those of kexec and keyctl)
	for l in lib usr/lib; do
		mkdir -p "$r/$l/aarch64-linux-gnu"
		find "$A64_ROOT/$l/aarch64-linux-gnu" -maxdepth 1 -name '*.so*' -exec cp -a {} "$r/$l/aarch64-linux-gnu/" \; 2>/dev/null || true
	done
	cp -L "$r/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "$r/lib/ld-linux-aarch64.so.1" # PT_INTERP
	# checked on the host, under qemu-user with the initramfs as the library root
	for l in sbin/kexec bin/keyctl; do
		qemu-aarch64-static -L "$r" "$r/$l" --version >"$dir/libcheck.out" 2>&1 || true
		! grep -q 'error while loading shared libraries' "$dir/libcheck.out" ||
			die "$l does not start in the guest's root: $(head -n3 "$dir/libcheck.out")"
	done
	# the capabilities of our tools, from the x86_64 build of the same tree (same help)
	cp "$WORK/caps" "$r/t/caps"
	cp "$HERE/guest-lib.sh" "$r/t/guest-lib.sh"
	cp "$dir"/keys/*.der "$dir"/keys/*.keyid "$r/t/keys/"
	cp "$dir"/keys/leaf2.key "$dir"/keys/ec256.key "$dir"/keys/other-leaf.key "$r/t/keys/"
	cp "$labdir/Image" "$r/t/boot/Image"
	cp "$labdir/config" "$r/t/boot/config"
	cp "$ROOT/policies/kexec.policy" "$r/t/policies/"

	# Step 3 on the host, the packager's way: the x86_64 evmctl signs the Image into
	# Image.sig with leaf; the guest puts it in security.ima (evmctl ima_setxattr).
	# The same for the gzip-compressed Image (Image.gz): what kexec-tools hands the
	# kernel for it decides whether that signature can count.
	cp "$labdir/Image" "$dir/host-Image"
	gzip -n -9 -c "$labdir/Image" >"$dir/host-Image.gz"
	rm -f "$dir/host-Image.sig" "$dir/host-Image.gz.sig"
	"$EVMCTL" ima_sign -n --sigfile --key "$dir/keys/leaf.key" "$dir/host-Image" >/dev/null 2>"$dir/sign.err" ||
		die "host evmctl ima_sign of the arm64 Image failed: $(cat "$dir/sign.err")"
	"$EVMCTL" ima_sign -n --sigfile --key "$dir/keys/leaf.key" "$dir/host-Image.gz" >/dev/null 2>"$dir/sign.err" ||
		die "host evmctl ima_sign of Image.gz failed: $(cat "$dir/sign.err")"
	cp "$dir/host-Image.sig" "$r/t/host/Image.sig"
	cp "$dir/host-Image.gz" "$r/t/host/Image.gz"
	cp "$dir/host-Image.gz.sig" "$r/t/host/Image.gz.sig"
	pack "$r" >"$dir/initramfs.cpio.gz"
}

# a64_boot DIR NAME KERNEL APPEND: one boot of qemu-system-aarch64; serial log DIR/NAME.log
a64_boot() {
	local dir=$1 name=$2 kernel=$3 append=$4 rc=0 t0
	t0=$(date +%s)
	# -cpu max,lpa2=off: QEMU 7.2's "max" has FEAT_LPA2, which some kernels cannot boot with
	timeout --kill-after=10 "$TIMEOUT" qemu-system-aarch64 -machine virt -accel tcg -cpu max,lpa2=off -smp 1 -m 512 \
		-nographic -monitor none -serial "file:$dir/$name.raw" -no-reboot -nic none \
		-kernel "$kernel" -initrd "$dir/initramfs.cpio.gz" \
		-append "console=ttyAMA0 panic=-1 quiet $append" </dev/null >"$dir/$name.qemu" 2>&1 || rc=$?
	tr -d '\r' <"$dir/$name.raw" >"$dir/$name.log"
	A64_BOOT_SECONDS=$(($(date +%s) - t0))
	echo "QEMU rc=$rc seconds=$A64_BOOT_SECONDS" >>"$dir/$name.log"
	if [ $rc = 124 ] || [ $rc = 137 ]; then echo "QEMU timed out after ${TIMEOUT}s" >>"$dir/$name.log"; fi
}

run_arm64() {
	local dir=$WORK/arm64 labdir bin t0
	command -v qemu-system-aarch64 >/dev/null || {
		[ "$(id -u)" = 0 ] || die "qemu-system-aarch64 missing (qemu-system-arm; tests/setup.sh installs it)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null
	}
	# our tools for aarch64 (cached in target/aarch64; tests/run.sh built them already)
	if [ "$BUILD" = 1 ]; then
		bin=$(bash "$ROOT/tests/tools/build-aarch64.sh" --quiet) || {
			KREL="no aarch64 build"
			report FAIL arm64 arm64-build "tests/tools/build-aarch64.sh failed (see above)"
			return
		}
	else
		bin=$ROOT/target/aarch64/$A64_TRIPLE/release
		[ -x "$bin/evmctl" ] || die "$bin/evmctl missing (run without --no-build)"
	fi
	a64_debs
	t0=$(date +%s)
	# The built-in CA is made by openssl (lab-kernel.sh without LAB_IMACTL): the cached
	# arm64 kernel of the first runs was built that way, and a CA made by `imactl key ca`
	# would mean another cross build of the kernel (tests/vm/README.md). Our imactl makes
	# every key the guest uses, and the other CA.
	if ! labdir=$(env -u LAB_IMACTL bash "$HERE/lab-kernel.sh" --variant arm64); then
		KREL="no arm64 lab kernel"
		report FAIL arm64 arm64-lab-kernel "the arm64 lab kernel could not be built or found (see the lab-kernel.sh message above)"
		return
	fi
	log "arm64: lab kernel ready after $(($(date +%s) - t0)) s (built in $(cat "$labdir/build-seconds") s when it was built)"
	KREL="arm64 lab kernel $(cat "$labdir/source-version"), CA $(openssl x509 -in "$labdir/ca.pem" -noout -subject | sed 's/.*CN *= *//')"
	rm -rf "$dir"
	mkdir -p "$dir"
	a64_keys "$dir/keys" "$labdir"
	a64_initramfs "$dir" "$labdir" "$bin"
	if [ "$NEGATIVE" = 1 ]; then
		log "arm64: $KREL, negative control: ima_appraise=log"
		a64_boot "$dir" main "$labdir/Image" "imaevm.mode=arm64 ima_appraise=log"
	else
		log "arm64: $KREL, main boot (qemu-system-aarch64, TCG)"
		a64_boot "$dir" main "$labdir/Image" "imaevm.mode=arm64"
	fi
	echo "-- arm64: the boot (both kernels, kexec -e included) took $A64_BOOT_SECONDS s"
	evaluate arm64 "$dir/main.log" "$(expected arm64)"
}
