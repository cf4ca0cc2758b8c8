# The host side of the Secure Boot lab, sourced by tests/vm/run.sh (it uses run.sh's helpers:
# log, die, pack, copy_with_libs, lists, report, evaluate, accel_args). `--kernel sb`.
#
# The kernel: tests/vm/lab-kernel.sh --variant sb (distribution-style: EFI stub, lockdown in
# Secure Boot, IMA arch policy, KEXEC_SIG, kdump; no CA compiled in). The firmware: Debian's
# OVMF with Secure Boot (OVMF_CODE_4M.secboot.fd, q35 + SMM), its variables made per run with
# the machine owner's own PK, KEK and db, and a MOK CA in MokListRT (virt-fw-vars from PyPI's
# virt-firmware, installed into the cache). The guest's /init is tests/vm/sb-init.sh; the
# expected verdicts, per boot, are in tests/vm/expected-sb.
#
# Boots (each a fresh copy of its variables file):
#   sb      Secure Boot on, MOK CA in MokListRT: state, keys, signed policy, kexec and kdump
#           cases with -l and -p, imactl's predictions; ends with a panic, and the capture
#           kernel (same boot, same serial log) reports on /proc/vmcore.
#   dbx     as sb, with a dbx (sb_dbx_vars): PE-signed images only, no IMA policy loaded;
#           whether dbx's EFI_CERT_X509_SHA256 entries stop kexec, and imactl's predictions.
#   nosb    Secure Boot off (db set, no PK), lockdown=integrity, images IMA-signed by the
#           db key (.platform): IMA satisfies lockdown under an imasig rule.
#   nosig   as nosb, with a KEXEC_KERNEL_CHECK rule that does not require a signature:
#           lockdown's EPERM.
#   --negative-control: the sb cases on a boot with Secure Boot off, no lockdown, no policy;
#                       the dbx cases on the sb variables, which have no dbx.
# shellcheck shell=bash

SB_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
SB_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
SB_MOK_GUID=605dab50-e046-4300-abb6-3dd810dd8b23
SB_OWNER_GUID=8a3e0c4c-5f2d-4c1e-9b7a-2d6f1e0a9c35 # the lab machine owner's (any GUID will do)
SB_VIRT_FIRMWARE=26.10

# sb_virt_fw_vars: prints the path of virt-fw-vars, installing PyPI's virt-firmware into a
# venv in the cache once (it is not packaged in Debian 12).
sb_virt_fw_vars() {
	local venv=$IMAEVM_CACHE/virt-firmware-$SB_VIRT_FIRMWARE/venv
	if [ ! -x "$venv/bin/virt-fw-vars" ]; then
		log "sb: installing virt-firmware $SB_VIRT_FIRMWARE from PyPI into $venv"
		rm -rf "$venv"
		mkdir -p "$(dirname "$venv")"
		python3 -m venv "$venv" >&2 || die "python3 -m venv failed (python3-venv, tests/vm/packages.txt)"
		"$venv/bin/pip" install -q "virt-firmware==$SB_VIRT_FIRMWARE" >&2 ||
			{ rm -rf "$venv"; die "pip install virt-firmware==$SB_VIRT_FIRMWARE failed"; }
	fi
	echo "$venv/bin/virt-fw-vars"
}

# sb_self_signed DIR NAME EXT...: DIR/NAME.key and DIR/NAME.pem (self-signed, PEM).
sb_self_signed() {
	local dir=$1 name=$2 e args=()
	shift 2
	for e in "subjectKeyIdentifier=hash" "$@"; do args+=(-addext "$e"); done
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -out "$dir/$name.pem" -days 3650 \
		-subj "/CN=imaevm sb $name" "${args[@]}" 2>"$dir/$name.err" ||
		die "openssl could not make the certificate $name: $(cat "$dir/$name.err")"
	rm -f "$dir/$name.err"
}

# sb_keys DIR: every key and certificate of the lab, fresh each run. The MOK CA, the IMA key
# it issues and root's own CA are made by the project's own `imactl key ca` / `key new`
# (the kernel judges whether .machine and .ima take them). Each NAME has NAME.key,
# NAME.pem (certificate, PEM), NAME.der and NAME.keyid.
sb_keys() {
	local dir=$1 n
	mkdir -p "$dir"
	local ca="basicConstraints=critical,CA:TRUE" leaf="basicConstraints=critical,CA:FALSE"
	# firmware: the owner's PK, KEK and db; a PE signing key that is in neither db nor MOK
	sb_self_signed "$dir" pk "$ca" "keyUsage=critical,keyCertSign,digitalSignature"
	sb_self_signed "$dir" kek "$ca" "keyUsage=critical,keyCertSign,digitalSignature"
	sb_self_signed "$dir" db "$ca" "keyUsage=critical,keyCertSign,digitalSignature"
	sb_self_signed "$dir" unknownpe "$leaf" "keyUsage=critical,digitalSignature"
	# the owner's CA, enrolled through MOK (MokListRT), and what it issues
	"$IMACTL" key ca --type rsa2048 --subject "CN=imaevm sb MOK CA" --out "$dir" --name mokca >/dev/null ||
		die "imactl key ca could not make the MOK CA"
	"$IMACTL" key new --ca-cert "$dir/mokca.pem" --ca-key "$dir/mokca.key" --type rsa2048 \
		--subject "CN=imaevm sb IMA key" --out "$dir" --name imakey >/dev/null ||
		die "imactl key new could not make the IMA key"
	"$IMACTL" key new --ca-cert "$dir/mokca.pem" --ca-key "$dir/mokca.key" --type rsa2048 \
		--subject "CN=imaevm sb PE signer" --out "$dir" --name pemok >/dev/null ||
		die "imactl key new could not make the PE signing key"
	# a CA certificate that also has digitalSignature: under INTEGRITY_CA_MACHINE_KEYRING_MAX
	# the kernel puts it into .platform, not .machine
	sb_self_signed "$dir" mokcads "$ca" "keyUsage=critical,keyCertSign,digitalSignature"
	# root's own CA, never enrolled, and its leaf; a self-signed leaf
	"$IMACTL" key ca --type rsa2048 --subject "CN=imaevm sb root's own CA" --out "$dir" --name rootca >/dev/null ||
		die "imactl key ca could not make root's CA"
	"$IMACTL" key new --ca-cert "$dir/rootca.pem" --ca-key "$dir/rootca.key" --type rsa2048 \
		--subject "CN=imaevm sb root's own key" --out "$dir" --name rootleaf >/dev/null ||
		die "imactl key new could not make root's key"
	sb_self_signed "$dir" selfsigned "$leaf" "keyUsage=critical,digitalSignature"
	for n in pk kek db unknownpe mokca imakey pemok mokcads rootca rootleaf selfsigned; do
		openssl x509 -in "$dir/$n.pem" -outform DER -out "$dir/$n.der"
		lab_keyid "$dir/$n.pem" >"$dir/$n.keyid"
	done
}

# sb_vars DIR VFV: DIR/sb.fd (own PK/KEK/db, Secure Boot on, the MOK CAs in MokList and as a
# runtime MokListRT, attributes NV|BS|RT) and DIR/nosb.fd (the same db, no PK: setup mode,
# Secure Boot off; the kernel reads db into .platform either way, MOK only under Secure Boot).
# MokListRT is what shim would publish at boot; writing it into the store directly works
# only on Debian-patched kernels (docs/secure-boot.md, "Getting a CA into .machine").
sb_vars() {
	local dir=$1 vfv=$2 keys=$1/keys
	"$vfv" -i "$SB_OVMF_VARS" -o "$dir/sb-moklist.fd" --set-pk "$SB_OWNER_GUID" "$keys/pk.pem" \
		--add-kek "$SB_OWNER_GUID" "$keys/kek.pem" --add-db "$SB_OWNER_GUID" "$keys/db.pem" \
		--add-mok "$SB_MOK_GUID" "$keys/mokca.pem" --add-mok "$SB_MOK_GUID" "$keys/mokcads.pem" \
		--sb --output-json "$dir/moklist.json" >"$dir/vars.log" 2>&1 ||
		die "virt-fw-vars could not make the Secure Boot variables: $(tail -n3 "$dir/vars.log")"
	python3 - "$dir/moklist.json" "$dir/mokrt.json" <<'EOF' || die "no MokList in the variables virt-fw-vars wrote"
import json, sys
src = json.load(open(sys.argv[1]))
mok = [v for v in src["variables"] if v["name"] == "MokList"]
if len(mok) != 1:
    sys.exit(1)
rt = dict(mok[0], name="MokListRT", attr=7)  # NV|BS|RT: visible to the running kernel
json.dump({"version": 2, "variables": [rt]}, open(sys.argv[2], "w"))
EOF
	"$vfv" -i "$dir/sb-moklist.fd" -o "$dir/sb.fd" --set-json "$dir/mokrt.json" >>"$dir/vars.log" 2>&1 ||
		die "virt-fw-vars could not add MokListRT: $(tail -n3 "$dir/vars.log")"
	"$vfv" -i "$SB_OVMF_VARS" -o "$dir/nosb.fd" --add-db "$SB_OWNER_GUID" "$keys/db.pem" >>"$dir/vars.log" 2>&1 ||
		die "virt-fw-vars could not make the variables without Secure Boot: $(tail -n3 "$dir/vars.log")"
	sb_dbx_vars "$dir" "$vfv"
}

# sb_dbx_vars DIR VFV: DIR/dbx.fd, sb.fd plus a dbx of two EFI_CERT_X509_SHA256 lists: the
# SHA-256 of the db certificate's TBSCertificate alone (entries of 16+32 bytes), and that of
# the MOK PE signer's followed by a zero EFI_TIME of revocation (16+48 bytes, the UEFI
# specification's size). The kernel blacklists each entry whole as "tbs:HEX"
# (docs/secure-boot.md, "Revocation: dbx, MokListXRT and the .blacklist keyring").
sb_dbx_vars() {
	local dir=$1 vfv=$2
	python3 - "$dir/moklist.json" "$dir/keys/db.der" "$dir/keys/pemok.der" "$dir/dbx.json" <<'EOF' ||
import hashlib, json, sys, uuid

def tbs(der):
    def hdr(d, o):
        n = d[o + 1]
        if n < 0x80:
            return 2, n
        k = n & 0x7F
        return 2 + k, int.from_bytes(d[o + 2:o + 2 + k], "big")
    h, _ = hdr(der, 0)
    h2, n2 = hdr(der, h)
    return der[h:h + h2 + n2]

def esl(entries):
    size = 16 + len(entries[0])
    out = uuid.UUID("3bd2a492-96c0-4079-b420-fcf98ef103ed").bytes_le
    out += (28 + size * len(entries)).to_bytes(4, "little") + bytes(4) + size.to_bytes(4, "little")
    for e in entries:
        out += uuid.UUID("8a3e0c4c-5f2d-4c1e-9b7a-2d6f1e0a9c35").bytes_le + e
    return out

src = json.load(open(sys.argv[1]))
db = [v for v in src["variables"] if v["name"] == "db"][0]
bare = hashlib.sha256(tbs(open(sys.argv[2], "rb").read())).digest()
spec = hashlib.sha256(tbs(open(sys.argv[3], "rb").read())).digest() + bytes(16)
dbx = dict(db, name="dbx", data=(esl([bare]) + esl([spec])).hex())
json.dump({"version": 2, "variables": [dbx]}, open(sys.argv[4], "w"))
EOF
		die "could not write the dbx variable"
	"$vfv" -i "$dir/sb.fd" -o "$dir/dbx.fd" --set-json "$dir/dbx.json" >>"$dir/vars.log" 2>&1 ||
		die "virt-fw-vars could not add dbx: $(tail -n3 "$dir/vars.log")"
}

# sb_sign IN OUT KEYNAME: an Authenticode (PE) signature by KEYNAME (sbsign).
sb_sign() {
	sbsign --key "$WORK/sb/keys/$3.key" --cert "$WORK/sb/keys/$3.pem" --output "$2" "$1" >"$2.log" 2>&1 ||
		die "sbsign with $3 failed: $(cat "$2.log")"
	rm -f "$2.log"
}

build_sb_initramfs() { # build_sb_initramfs DIR KERNELDIR
	local dir=$1 kdir=$2 r=$1/root r3=$1/root3 ih n
	rm -rf "$r" "$r3"
	mkdir -p "$r"/{bin,t/boot,t/keys,t/policies,etc/keys} "$r3"/{bin,t}

	# The capture kernel's initramfs: busybox, this /init, the marker search.
	gcc -static -O2 -o "$dir/vmcore-find" "$HERE/vmcore-find.c" || die "gcc -static could not build vmcore-find"
	install -m 0755 /bin/busybox "$r3/bin/busybox"
	install -m 0755 "$HERE/sb-init.sh" "$r3/init"
	install -m 0755 "$dir/vmcore-find" "$r3/bin/vmcore-find"
	cp "$HERE/guest-lib.sh" "$r3/t/guest-lib.sh"
	pack "$r3" >"$r/t/boot/capture.cpio.gz"

	install -m 0755 /bin/busybox "$r/bin/busybox"
	install -m 0755 "$HERE/sb-init.sh" "$r/init"
	install -m 0755 "$EVMCTL" "$r/bin/evmctl"
	install -m 0755 "$IMACTL" "$r/bin/imactl"
	copy_with_libs "$(command -v kexec || echo /sbin/kexec)" "$r"
	copy_with_libs "$(command -v keyctl)" "$r"
	cp "$WORK/caps" "$r/t/caps"
	ih=$("$IMACTL" status --help 2>&1 || true)
	if grep -q -- '--kexec' <<<"$ih"; then echo imactl:status-kexec >>"$r/t/caps"; fi
	cp "$HERE/guest-lib.sh" "$r/t/guest-lib.sh"
	install -D -m 0755 "$ROOT/packaging/debian/kernel/postinst.d/zzz-imaevm" "$r/t/hook/zzz-imaevm"
	for n in imakey pemok mokca mokcads rootca rootleaf selfsigned db unknownpe; do
		cp "$dir/keys/$n.der" "$dir/keys/$n.keyid" "$r/t/keys/"
	done
	cp "$dir/keys/imakey.key" "$dir/keys/rootleaf.key" "$dir/keys/db.key" "$r/t/keys/"
	cp "$HERE/sb-kexec.policy" "$HERE/sb-nosb.policy" "$HERE/sb-nosig.policy" "$r/t/policies/"
	# the kernel's configuration (the guest puts it where imactl status looks for it,
	# /boot/config-$(uname -r))
	cp "$kdir/config" "$r/t/boot/config"
	# the kexec images: PE-signed by the db key, by a leaf of the MOK CA, by a key in neither;
	# and without a PE signature. IMA signatures are added in the guest.
	cp "$kdir/bzImage" "$r/t/boot/unsigned"
	sb_sign "$kdir/bzImage" "$r/t/boot/pe-db" db
	sb_sign "$kdir/bzImage" "$r/t/boot/pe-mok" pemok
	sb_sign "$kdir/bzImage" "$r/t/boot/pe-unknown" unknownpe
	pack "$r" >"$dir/initramfs.cpio.gz"
}

# sb_boot DIR NAME VARS INITRAMFS APPEND: one boot under OVMF; the serial log is DIR/NAME.log.
sb_boot() {
	local dir=$1 name=$2 vars=$3 initrd=$4 append=$5 rc=0 t0
	t0=$(date +%s)
	cp "$dir/$vars" "$dir/$name.vars.fd"
	# shellcheck disable=SC2046
	timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 -machine q35,smm=on $(accel_args) -m 512 \
		-global driver=cfi.pflash01,property=secure,value=on \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=$SB_OVMF_CODE" \
		-drive "if=pflash,format=raw,unit=1,file=$dir/$name.vars.fd" \
		-display none -monitor none -serial "file:$dir/$name.raw" -no-reboot -nic none \
		-kernel "$dir/bzImage.signed" -initrd "$dir/$initrd" \
		-append "console=ttyS0 panic=-1 crashkernel=128M $append" </dev/null >"$dir/$name.qemu" 2>&1 || rc=$?
	tr -d '\r' <"$dir/$name.raw" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' >"$dir/$name.log"
	echo "QEMU rc=$rc seconds=$(($(date +%s) - t0))" >>"$dir/$name.log"
	if [ $rc = 124 ] || [ $rc = 137 ]; then echo "QEMU timed out after ${TIMEOUT}s" >>"$dir/$name.log"; fi
}

# expected_sb BOOT: "case verdict" lines of tests/vm/expected-sb for that boot.
expected_sb() { awk -v b="$1" '!/^#/ && NF >= 3 && $1 == b { print $2, $3 }' "$HERE/expected-sb"; }

run_sb() {
	local dir=$WORK/sb kdir vfv b
	for b in "$SB_OVMF_CODE" "$SB_OVMF_VARS"; do
		[ -f "$b" ] || die "$b missing (Debian's ovmf: tests/vm/packages.txt)"
	done
	command -v sbsign >/dev/null || die "sbsign missing (sbsigntool: tests/vm/packages.txt)"
	if ! kdir=$(bash "$HERE/lab-kernel.sh" --variant sb); then
		KREL="no sb kernel"
		report FAIL sb sb-kernel "the Secure Boot lab kernel could not be built or found (see the lab-kernel.sh message above)"
		return
	fi
	KREL="sb lab kernel $(cat "$kdir/source-version")"
	vfv=$(sb_virt_fw_vars)
	rm -rf "$dir"
	mkdir -p "$dir"
	sb_keys "$dir/keys"
	sb_vars "$dir" "$vfv"
	sb_sign "$kdir/bzImage" "$dir/bzImage.signed" db
	build_sb_initramfs "$dir" "$kdir"
	if [ "$NEGATIVE" = 1 ]; then
		log "sb: $KREL, negative control: no Secure Boot, no lockdown, no IMA policy"
		sb_boot "$dir" neg nosb.fd initramfs.cpio.gz "imaevm.mode=sb imaevm.nopolicy=1"
		evaluate sb "$dir/neg.log" "$(expected_sb sb)"
		# the dbx cases on the same firmware variables without the dbx: the revoked
		# signer's image loads, so its refusal must fail
		log "sb: negative control of the dbx cases: Secure Boot on, no dbx"
		sb_boot "$dir" dbxneg sb.fd initramfs.cpio.gz "imaevm.mode=dbx"
		evaluate sb "$dir/dbxneg.log" "$(expected_sb dbx)"
		return
	fi
	log "sb: $KREL, Secure Boot on, MOK CA in MokListRT"
	sb_boot "$dir" sb sb.fd initramfs.cpio.gz "imaevm.mode=sb"
	evaluate sb "$dir/sb.log" "$(expected_sb sb)"
	log "sb: Secure Boot on, dbx revoking the db certificate (and naming the MOK PE signer's)"
	sb_boot "$dir" dbx dbx.fd initramfs.cpio.gz "imaevm.mode=dbx"
	evaluate sb "$dir/dbx.log" "$(expected_sb dbx)"
	log "sb: Secure Boot off, lockdown=integrity, imasig rule"
	sb_boot "$dir" nosb nosb.fd initramfs.cpio.gz "imaevm.mode=nosb lockdown=integrity"
	evaluate sb "$dir/nosb.log" "$(expected_sb nosb)"
	log "sb: Secure Boot off, lockdown=integrity, a rule without imasig"
	sb_boot "$dir" nosig nosb.fd initramfs.cpio.gz "imaevm.mode=nosig lockdown=integrity"
	evaluate sb "$dir/nosig.log" "$(expected_sb nosig)"
}
