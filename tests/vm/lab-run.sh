# The host side of the lab kernel cases, sourced by tests/vm/run.sh (it uses run.sh's
# helpers: log, die, pack, copy_with_libs, lists, boot, evaluate). The kernel comes from
# tests/vm/lab-kernel.sh (cached), the guest's /init is tests/vm/lab-init.sh, the expected
# verdicts are in tests/vm/expected-lab.
# shellcheck shell=bash

# lab_cert DIR NAME ALG ISSUER EXT...: a key (DIR/NAME.pem) and its certificate (DIR/NAME.der)
# with a subjectKeyIdentifier (whose tail is the keyid IMA matches: DIR/NAME.keyid).
# ALG: rsa, p256 or p384. ISSUER: self, or the basename of a key and certificate in DIR
# (NAME.pem + NAME.crt, PEM). EXT: extension lines (basicConstraints, keyUsage).
lab_cert() {
	local dir=$1 name=$2 alg=$3 issuer=$4 e
	shift 4
	case $alg in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$name.pem" 2>/dev/null ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.pem" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$dir/$name.pem" ;;
	esac
	{
		echo "[x]"
		echo "subjectKeyIdentifier=hash"
		[ "$issuer" = self ] || echo "authorityKeyIdentifier=keyid"
		for e in "$@"; do echo "$e"; done
	} >"$dir/$name.ext"
	openssl req -new -key "$dir/$name.pem" -subj "/CN=imaevm lab $name" -out "$dir/$name.csr"
	if [ "$issuer" = self ]; then
		openssl x509 -req -in "$dir/$name.csr" -signkey "$dir/$name.pem" -days 3650 \
			-set_serial "0x$(openssl rand -hex 8)" -extfile "$dir/$name.ext" -extensions x \
			-out "$dir/$name.crt" 2>/dev/null
	else
		openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$issuer.crt" -CAkey "$dir/$issuer.pem" -days 3650 \
			-set_serial "0x$(openssl rand -hex 8)" -extfile "$dir/$name.ext" -extensions x \
			-out "$dir/$name.crt" 2>/dev/null
	fi
	[ -s "$dir/$name.crt" ] || die "openssl could not make the lab certificate $name"
	openssl x509 -in "$dir/$name.crt" -outform DER -out "$dir/$name.der"
	lab_keyid "$dir/$name.crt" >"$dir/$name.keyid"
	rm -f "$dir/$name.csr" "$dir/$name.ext"
}

lab_keyid() { # the last 4 bytes of the Subject Key Identifier, lowercase hex
	openssl x509 -in "$1" -noout -ext subjectKeyIdentifier | tail -n1 | tr -d ' :\n' | tail -c 8 | tr A-F a-f
}

# make_lab_keys DIR LABDIR: certificates for every case, made fresh each run; only the CA
# (which the kernel has built in) comes from the cache.
make_lab_keys() {
	local dir=$1 labdir=$2 leaf="basicConstraints=critical,CA:FALSE" ds="keyUsage=critical,digitalSignature"
	local ca="basicConstraints=critical,CA:TRUE" cs="keyUsage=critical,keyCertSign,cRLSign"
	mkdir -p "$dir"
	cp "$labdir/ca.pem" "$dir/ca.crt"
	cp "$labdir/ca.key" "$dir/ca.pem"
	lab_keyid "$dir/ca.crt" >"$dir/ca.keyid"
	lab_cert "$dir" leaf rsa ca "$leaf" "$ds"        # evmctl import into .ima
	lab_cert "$dir" leaf2 rsa ca "$leaf" "$ds"       # imactl key import into .ima
	lab_cert "$dir" boot rsa ca "$leaf" "$ds"        # /etc/keys/x509_ima.der, loaded by the kernel
	lab_cert "$dir" ec256 p256 ca "$leaf" "$ds"
	lab_cert "$dir" ec384 p384 ca "$leaf" "$ds"
	lab_cert "$dir" nodigsig rsa ca "$leaf" "keyUsage=critical,keyEncipherment"
	lab_cert "$dir" selfsigned rsa self "$leaf" "$ds"
	lab_cert "$dir" attacker rsa self "$leaf" "$ds"  # root's own key in the attack
	lab_cert "$dir" other-ca rsa self "$ca" "$cs"    # a CA the kernel does not know
	lab_cert "$dir" other-leaf rsa other-ca "$leaf" "$ds"
	lab_cert "$dir" inter rsa ca "$ca" "$cs"         # intermediate CA, for .secondary_trusted_keys
	lab_cert "$dir" inter-leaf rsa inter "$leaf" "$ds"
	rm -f "$dir/ca.pem" # the CA's key stays in the cache: nothing in the guest signs with it
}

# The fs-verity (sigv3) material, made on the host (the guest only enables fs-verity and
# sets the xattrs): an ext4 image (4 KiB blocks, -O verity, the fsuuid of lab-verity.policy)
# holding three copies of a small static program, its `fsverity digest`, and sigv3 values
# made by `evmctl sign_hash --veritysig` with the lab CA's leaf "boot" (loaded into .ima by
# the kernel): signed.sig over the program's fs-verity digest, tampered.sig over the digest
# of the same program with one byte changed. The fs-verity digest depends only on the bytes
# (SHA-256 Merkle tree, 4 KiB blocks, no salt: the defaults of `fsverity digest` and
# `fsverity enable`), so the host's equals the guest kernel's; the guest checks that.
# make_lab_verity DIR KEYS: DIR/out/ holds what goes into the guest's /t/verity/; when a
# host tool is missing, DIR/out/missing says which (the guest then SKIPs the cases).
make_lab_verity() {
	local dir=$1 keys=$2 out=$1/out src=$1/src uuid t digest name value
	rm -rf "$dir"
	mkdir -p "$out" "$src"
	for t in gcc fsverity mkfs.ext4 xxd; do
		command -v $t >/dev/null || { echo "$t missing on the host (tests/vm/packages.txt, tests/setup.sh)" >"$out/missing"; return 0; }
	done
	uuid=$(sed -n 's/^appraise .*fsuuid=\([0-9a-f-]*\).*/\1/p' "$HERE/lab-verity.policy" | head -n1)
	[ -n "$uuid" ] || die "no fsuuid= in $HERE/lab-verity.policy"
	printf '%s\n' '#include <stdio.h>' \
		'int main(int argc, char **argv) { printf("imaevm-verity-program ran as %s\n", argv[0]); return 0; }' >"$dir/prog.c"
	gcc -static -Os -s -o "$dir/prog" "$dir/prog.c" || die "gcc -static could not build the verity test program"
	for t in signed tampered noverity; do install -m 0755 "$dir/prog" "$src/$t"; done
	cp "$dir/prog" "$dir/other"
	printf 'X' | dd of="$dir/other" bs=1 seek=4096 count=1 conv=notrunc 2>/dev/null
	cmp -s "$dir/prog" "$dir/other" && die "the tampered copy of the verity program is not different"
	(cd "$dir" && fsverity digest prog other) >"$dir/digests" || die "fsverity digest failed"
	"$EVMCTL" sign_hash --veritysig --key "$keys/boot.pem" <"$dir/digests" >"$dir/signed-lines" 2>"$dir/sign.err" ||
		die "evmctl sign_hash --veritysig failed: $(cat "$dir/sign.err")"
	while read -r digest name value; do
		case $name in
		prog) printf '%s' "$value" | xxd -r -p >"$out/signed.sig"; echo "$digest" >"$out/digest" ;;
		other) printf '%s' "$value" | xxd -r -p >"$out/tampered.sig" ;;
		esac
	done <"$dir/signed-lines"
	{ [ -s "$out/signed.sig" ] && [ -s "$out/tampered.sig" ]; } || die "sign_hash --veritysig printed no values: $(cat "$dir/signed-lines")"
	truncate -s 8M "$out/fs.img"
	mkfs.ext4 -q -F -b 4096 -I 256 -O verity,^has_journal -U "$uuid" -L imaevm-verity -d "$src" "$out/fs.img" ||
		die "mkfs.ext4 -O verity failed"
}

# The signed-program material (policies/signed-programs.policy), made on the host: an ext4
# image holding three copies of a static kexec (tests/tools/build-static-kexec.sh, from
# Debian's kexec-tools source): `kexec`, signed at build time (`evmctl ima_sign -n --sigfile`
# with the lab CA's leaf "boot", which the kernel loads into .ima: kexec.sig, installed by
# the guest with `evmctl ima_setxattr --sigfile`, as the RPM's %post flow does); `kexec-changed`,
# the same program with bytes appended after signing (the guest gives it kexec.sig's value);
# `kexec-unsigned`, with no signature at all.
# make_lab_exec DIR KEYS: DIR/out/ holds what goes into the guest's /t/exec/; when a host
# tool is missing or the build fails, DIR/out/missing says why (the guest then SKIPs).
make_lab_exec() {
	local dir=$1 keys=$2 out=$1/out src=$1/src kexec t
	rm -rf "$dir"
	mkdir -p "$out" "$src"
	for t in mkfs.ext4 dpkg-source make gcc; do
		command -v $t >/dev/null || { echo "$t missing on the host (tests/vm/packages.txt, tests/setup.sh)" >"$out/missing"; return 0; }
	done
	if ! kexec=$(bash "$ROOT/tests/tools/build-static-kexec.sh" 2>"$dir/build.err"); then
		echo "the static kexec could not be built: $(tail -n 3 "$dir/build.err" | tr '\n' ' ')" >"$out/missing"
		return 0
	fi
	install -m 0755 "$kexec" "$dir/kexec"
	"$EVMCTL" ima_sign -n --sigfile --key "$keys/boot.pem" "$dir/kexec" >"$dir/sign.out" 2>&1 ||
		die "evmctl ima_sign --sigfile of the static kexec failed: $(cat "$dir/sign.out")"
	[ -s "$dir/kexec.sig" ] || die "evmctl ima_sign --sigfile wrote no $dir/kexec.sig"
	cp "$dir/kexec.sig" "$out/kexec.sig"
	install -m 0755 "$dir/kexec" "$src/kexec"
	install -m 0755 "$dir/kexec" "$src/kexec-unsigned"
	install -m 0755 "$dir/kexec" "$src/kexec-changed"
	printf 'changed after signing\n' >>"$src/kexec-changed"
	cmp -s "$src/kexec" "$src/kexec-changed" && die "the changed kexec is not different"
	cp "$(dirname "$kexec")/made-by" "$out/made-by"
	truncate -s 8M "$out/fs.img"
	mkfs.ext4 -q -F -b 4096 -I 256 -O ^has_journal -L imaevm-exec -d "$src" "$out/fs.img" ||
		die "mkfs.ext4 of the signed-program image failed"
}

build_lab_initramfs() { # build_lab_initramfs DIR LABDIR
	local dir=$1 labdir=$2 r=$1/root r2=$1/root2 ih
	rm -rf "$r" "$r2"
	mkdir -p "$r"/{bin,t/boot,t/keys,t/policies,etc/keys} "$r2/bin"
	install -m 0755 /bin/busybox "$r2/bin/busybox"
	install -m 0755 "$HERE/lab-init.sh" "$r2/init"
	pack "$r2" >"$r/t/boot/initrd2"

	install -m 0755 /bin/busybox "$r/bin/busybox"
	install -m 0755 "$HERE/lab-init.sh" "$r/init"
	install -m 0755 "$EVMCTL" "$r/bin/evmctl"
	install -m 0755 "$IMACTL" "$r/bin/imactl"
	copy_with_libs "$(command -v kexec || echo /sbin/kexec)" "$r"
	command -v keyctl >/dev/null || die "keyctl missing (keyutils; tests/setup.sh installs it)"
	copy_with_libs "$(command -v keyctl)" "$r" # the attacker's tool: keyctl newring _ima @u
	cp "$WORK/caps" "$r/t/caps"
	cp "$HERE/guest-lib.sh" "$r/t/guest-lib.sh"
	ih=$(sed -n '/^Commands:/,/^$/p' <<<"$("$IMACTL" --help 2>&1 || true)")
	if lists status <<<"$ih"; then echo imactl:status >>"$r/t/caps"; fi
	if lists modsig <<<"$ih"; then echo imactl:modsig >>"$r/t/caps"; fi
	cp "$dir"/keys/*.pem "$dir"/keys/*.der "$dir"/keys/*.keyid "$r/t/keys/"
	cp "$dir/keys/boot.der" "$r/etc/keys/x509_ima.der"
	cp "$labdir/bzImage" "$r/t/boot/vmlinuz"
	cp "$ROOT/policies/kexec.policy" "$ROOT/policies/signed-policy.policy" "$r/t/policies/"
	# The lab's kexec policy: the project's, with the kexec rule widened to accept an
	# appended signature too (modsig cases); everything else as in policies/kexec.policy.
	{
		echo "# policies/kexec.policy with appraise_type=imasig|modsig (tests/vm/lab-run.sh)"
		sed 's/^appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig$/&|modsig/' "$ROOT/policies/kexec.policy"
	} >"$r/t/policies/lab-kexec.policy"
	grep -qx 'appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig' "$r/t/policies/lab-kexec.policy" ||
		die "policies/kexec.policy has no 'appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig' line to widen"
	cp "$HERE/lab-verity.policy" "$r/t/policies/"
	# fs-verity: the image, digest and sigv3 values (make_lab_verity), and `fsverity enable`
	make_lab_verity "$dir/verity" "$dir/keys"
	mkdir -p "$r/t/verity"
	cp "$dir"/verity/out/* "$r/t/verity/"
	if command -v fsverity >/dev/null; then copy_with_libs "$(command -v fsverity)" "$r"; fi
	# signed programs: the static kexec, its .sig and the ext4 image (make_lab_exec)
	cp "$ROOT/policies/signed-programs.policy" "$r/t/policies/"
	make_lab_exec "$dir/exec" "$dir/keys"
	mkdir -p "$r/t/exec"
	cp "$dir"/exec/out/* "$r/t/exec/"
	pack "$r" >"$dir/initramfs.cpio.gz"
}

run_lab() {
	local dir=$WORK/lab labdir
	if ! labdir=$(LAB_IMACTL="$IMACTL" bash "$HERE/lab-kernel.sh"); then
		KREL="no lab kernel"
		report FAIL lab lab-kernel "the lab kernel could not be built or found (see the lab-kernel.sh message above)"
		return
	fi
	# shellcheck disable=SC2034 # read by run.sh's boot
	KIMAGE=$labdir/bzImage
	KREL="lab kernel $(cat "$labdir/source-version"), CA $(openssl x509 -in "$labdir/ca.pem" -noout -subject | sed 's/.*CN *= *//')"
	rm -rf "$dir"
	mkdir -p "$dir"
	make_lab_keys "$dir/keys" "$labdir"
	build_lab_initramfs "$dir" "$labdir"
	if [ "$NEGATIVE" = 1 ]; then
		log "lab: $KREL, negative control: ima_appraise=log"
		boot lab "$dir" main "imaevm.mode=lab ima_appraise=log"
	else
		log "lab: $KREL, main boot"
		boot lab "$dir" main "imaevm.mode=lab"
	fi
	evaluate lab "$dir/main.log" "$(expected lab)"
}
