#!/bin/busybox sh
# The guest's /init on the arm64 lab kernel (tests/vm/arm64-run.sh): an arm64 kernel with
# the lab CA built in and the restricted `.ima` keyring, in qemu-system-aarch64. Runs steps
# 3 (in the guest), 5, 6 and 7 of the arm64 kexec_file_load series' IMA walk-through with
# our static aarch64 evmctl and imactl, and Debian's arm64 kexec-tools.
#
# Like the other guests, it never decides whether a case passed: it prints one line per case,
#   RESULT <case> <verdict> <detail...>
# and the host (tests/vm/run.sh) compares the verdicts with tests/vm/expected-arm64.
#
# Files from the host: /t/caps, /t/keys/NAME.{der,keyid} (leaf, leaf2, ec256: signed by the
# lab CA with imactl key new; other-ca and other-leaf: another CA and its leaf) and the
# private keys leaf2.key, ec256.key, other-leaf.key (the guest signs with them),
# /t/boot/Image (the lab kernel itself, uncompressed), /t/boot/initrd2 (this script as the
# second stage's /init), /t/host/Image.sig (the Image signed on the x86_64 host with leaf),
# /t/host/Image.gz and Image.gz.sig (the same Image gzip-compressed, and its signature,
# made on the host), /t/policies/kexec.policy.
#
# The kernel has no ACPI: the VM ends with `reboot -f` (PSCI; QEMU runs with -no-reboot).

PATH=/bin:/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /w /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline | head -n1; }

# Second stage: booted by `kexec -e` from the first; proves the appraised image boots.
if [ "$(arg imaevm.stage)" = 2 ]; then
	echo "GUEST stage 2: kernel=$(uname -r) machine=$(uname -m) cmdline=$(cat /proc/cmdline)"
	echo "RESULT arm64-kexec-boot booted kernel=$(uname -r) machine=$(uname -m) marker=$(arg imaevm.marker)"
	echo "END"
	reboot -f
	exit 0
fi

mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t tmpfs tmpfs /w
mount -t tmpfs tmpfs /tmp
dmesg -n 1
echo 0 >/proc/sys/kernel/printk_ratelimit 2>/dev/null

KERNEL_ARGS="console=ttyAMA0 panic=-1 quiet"

# The kernel's configuration where a distribution installs it (/boot/config-VERSION), so
# imactl status --kexec can read the kernel's options as on a real system.
mkdir -p /boot
cp /t/boot/config "/boot/config-$(uname -r)"
IMG=/w/Image

# res, skip, has, oneline, keyid, errname, ring, in_ring, kernel_reason
# shellcheck source=tests/vm/guest-lib.sh
. /t/guest-lib.sh

# try_kexec FILE: KV = loaded | EACCES:<IMA cause> | errno name (kexec_file_load's answer,
# the cause from IMA's audit record); KR, KOUT.
try_kexec() {
	dmesg -c >/dev/null
	out=$(kexec -s -l "$1" --append="$KERNEL_ARGS" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		kernel_reason
		KV=loaded
		kexec -s -u >/dev/null 2>&1
	else
		kernel_reason refused
		KV=$(errname "$out")
		[ "$KV" != EACCES ] || KV="EACCES:$KC"
	fi
	KOUT=$(echo "$out" | oneline)
	dmesg | grep -Ei 'ima|integrity|digsig|key|audit|kexec' | sed 's/^/KLOG /'
}

# The keys in .ima grant userspace only "view", even to root: `imactl verify` checks with a
# possessed mirror, a keyring in @u holding the certificates (of /t/keys) that .ima holds
# (as tests/vm/lab-init.sh does).
MIRROR=
make_mirror() {
	MIRROR=$(keyctl newring arm64-ima-mirror @u 2>/dev/null)
	held=
	for f in /t/keys/*.der; do
		n=$(basename "$f" .der)
		if in_ring .ima "$(keyid "$n")"; then
			if imactl key import --keyring "$MIRROR" "$f" >/dev/null 2>&1; then held="$held $n"; else held="$held $n(mirror-import-failed)"; fi
		fi
	done
	echo "GUEST .ima holds (mirrored in $MIRROR):$held"
	# the same certificates for imactl status --kexec (the keys of .ima are view-only)
	CERTS=
	for n in $held; do
		case "$n" in *'('*) ;; *) CERTS="$CERTS --cert /t/keys/$n.der" ;; esac
	done
}

# load_case NAME FILE WHY: imactl verify of FILE (with the mirror), then kexec_file_load of
# FILE; "verify:NAME" says whether imactl agrees with the kernel. WHY: "-" (it should load),
# an extended regex of the words imactl's refusal must use, or unknown:KEY (imactl must say
# "unknown key" and that key's id; the kernel's verdict gets :unknown-in-.ima when it
# logged that key as unknown in .ima).
load_case() {
	name=$1 file=$2 why=$3
	vout=$(imactl verify --keyring "$MIRROR" "$file" 2>&1)
	vrc=$?
	try_kexec "$file"
	case "$why" in
	unknown:*)
		if [ "${KV%%:*}" = EACCES ] && echo "$KU" | grep -qi "$(keyid "${why#unknown:}") in \.ima"; then
			KV="$KV:unknown-in-.ima"
		fi
		;;
	esac
	res "$name" "$KV" "kernel: $KR; kexec: $KOUT"
	vo=$(echo "$vout" | oneline)
	if [ $vrc -eq 0 ]; then iv=ok; else iv=refused; fi
	if [ "$KV" = loaded ]; then kv=ok; else kv=refused; fi
	agree=differ
	if [ "$iv" = "$kv" ]; then
		if [ $kv = ok ]; then
			agree=agree
		else
			case "$why" in
			unknown:*)
				if echo "$vo" | grep -qi "unknown key" && echo "$vo" | grep -qi "$(keyid "${why#unknown:}")"; then agree=agree; fi
				;;
			-) if echo "$vo" | grep -Eqi -- "$KC"; then agree=agree; fi ;;
			*) if echo "$vo" | grep -Eqi -- "$why"; then agree=agree; fi ;;
			esac
		fi
	fi
	res "verify:$name" $agree "kernel=$kv($KR) imactl=$iv(rc=$vrc, expected reason: $why): $vo"
	predict "$name" "$file"
}

# predict NAME FILE: imactl status --kexec FILE with the certificates .ima holds (--cert:
# the keys in .ima grant userspace only "view", so they cannot check a signature here),
# compared with the kernel's verdict KV; "predict:NAME" is agree or disagree.
predict() {
	# shellcheck disable=SC2086 # CERTS: --cert options
	pout=$(imactl status --kexec "$2" $CERTS 2>&1)
	prc=$?
	pred=$(echo "$pout" | sed -n 's/^prediction: \([a-z]*\).*/\1/p' | head -n1)
	if [ "${KV%%:*}" = loaded ]; then k=load; else k=refuse; fi
	if [ "$pred" = "$k" ]; then v=agree; else v=disagree; fi
	res "predict:$1" "$v" "imactl=${pred:-none}(rc=$prc) kernel=$KV: $(echo "$pout" | grep -v '^prediction' | oneline) $(echo "$pout" | grep '^prediction' | oneline)"
}

fresh_image() { rm -f "$IMG"; cp /t/boot/Image "$IMG"; }

# guest_signed NAME KEY ALGO WHY: step 3 in the guest: the aarch64 evmctl signs a fresh Image.
guest_signed() {
	fresh_image
	out=$(evmctl ima_sign -a "$3" --key "/t/keys/$2.key" "$IMG" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		res "$1" sign-failed "rc=$rc $(echo "$out" | oneline)"
		res "verify:$1" sign-failed -
		return
	fi
	load_case "$1" "$IMG" "$4"
}

# flip FILE: changes one byte at offset 600000 (inside the Image's code)
flip() {
	old=$(dd if="$1" bs=1 skip=600000 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	if [ "$old" = 120 ]; then new=y; else new=x; fi
	printf '%s' "$new" | dd of="$1" bs=1 seek=600000 count=1 conv=notrunc 2>/dev/null
}

echo "GUEST kernel=$(uname -r) machine=$(uname -m) cmdline=$(cat /proc/cmdline)"
echo "GUEST evmctl: $(evmctl --version 2>&1 | head -n1); kexec: $(kexec --version 2>&1 | head -n1)"

# Before any policy: the kernel loads an unsigned Image (nothing is appraised yet).
fresh_image
try_kexec "$IMG"
res arm64-baseline-unsigned-nopolicy "$KV" "kernel: $KR; kexec: $KOUT"

# Step 2's result: the lab CA (made by imactl key ca) is built in.
IMA=$(ring .ima)
echo "GUEST .ima=$IMA .builtin_trusted_keys=$(ring .builtin_trusted_keys)"
if in_ring .builtin_trusted_keys "$(keyid ca)"; then v=present; else v=absent; fi
res arm64-builtin-ca "$v" "$(keyctl rlist "$(ring .builtin_trusted_keys)" 2>/dev/null | oneline)"

# Step 6: certificates made by imactl key new, into .ima
serial=$(evmctl import /t/keys/leaf.der "$IMA" 2>/tmp/e)
rc=$?
o="$serial $(oneline </tmp/e)"
if [ $rc -eq 0 ] && in_ring .ima "$(keyid leaf)"; then v=ok; elif [ $rc -eq 0 ]; then v=ok-not-in-.ima; else v=$(errname "$o"); fi
res arm64-evmctl-import-ca-leaf "$v" "rc=$rc $o"
for n in leaf2 ec256; do
	out=$(imactl key import "/t/keys/$n.der" 2>&1)
	rc=$?
	o=$(echo "$out" | oneline)
	if [ $rc -eq 0 ] && in_ring .ima "$(keyid $n)"; then v=ok; elif [ $rc -eq 0 ]; then v=ok-elsewhere; else v=$(errname "$o"); fi
	res "arm64-imactl-import-ca-$n" "$v" "rc=$rc $o"
done
# Another CA's leaf: .ima refuses it (the kernel does not know that CA).
out=$(imactl key import /t/keys/other-leaf.der 2>&1)
rc=$?
o=$(echo "$out" | oneline)
if [ $rc -eq 0 ]; then
	v=ok
	imactl key remove "id:$(keyid other-leaf)" >/dev/null 2>&1
else
	v=$(errname "$o")
	if [ "$v" = ENOKEY ] && echo "$o" | grep -q 'builtin or secondary trusted'; then v=ENOKEY-explained; fi
fi
res arm64-import-other-ca-leaf "$v" "rc=$rc $o"
make_mirror

# Step 5: the project's kexec policy
dmesg -c >/dev/null
out=$(imactl policy load /t/policies/kexec.policy 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q '^appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig' /sys/kernel/security/ima/policy; then
	v=ok
else
	v=fail
fi
res arm64-policy-load-kexec $v "rc=$rc $(echo "$out" | oneline)"

# Step 7: kexec -s -l, judged by the kernel
fresh_image
load_case arm64-unsigned "$IMG" 'IMA-signature-required|no signature'

# Step 3 on the host (x86_64 evmctl, leaf), the signature installed here
fresh_image
out=$(cp /t/host/Image.sig "$IMG.sig" && evmctl ima_setxattr "$IMG" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	res arm64-signed-on-host sign-failed "ima_setxattr rc=$rc $(echo "$out" | oneline)"
	res verify:arm64-signed-on-host sign-failed -
else
	load_case arm64-signed-on-host "$IMG" -
fi

# Step 3 in the guest (aarch64 evmctl): RSA (leaf2) and ECDSA P-256 (ec256)
guest_signed arm64-signed-in-guest-rsa leaf2 sha256 -
guest_signed arm64-signed-in-guest-ecdsa-p256 ec256 sha256 -

# Tampered: one byte changed after signing
fresh_image
evmctl ima_sign --key /t/keys/leaf2.key "$IMG" >/dev/null 2>&1 || echo "GUEST sign failed"
flip "$IMG"
load_case arm64-byte-changed-after-signing "$IMG" invalid-signature

# Another key: signed by other-leaf, whose certificate .ima refused
guest_signed arm64-another-key other-leaf sha256 unknown:other-leaf

# Root's own _ima keyring (what Debian's kernels use) with that other key in it: this
# kernel looks only in .ima, so it changes nothing.
out=$(keyctl newring _ima @u 2>&1)
rc=$?
ring_u=$(echo "$out" | tail -n1)
out2=$(evmctl import /t/keys/other-leaf.der "$ring_u" 2>&1)
rc2=$?
if [ $rc -eq 0 ] && [ $rc2 -eq 0 ]; then v=ok; else v=fail; fi
res arm64-attack-own-_ima "$v" "keyctl newring rc=$rc ring=$ring_u; evmctl import rc=$rc2 $(echo "$out2" | oneline)"
guest_signed arm64-attack-kexec other-leaf sha256 unknown:other-leaf

# preflight FILE: imactl status --kexec FILE, the IMA signatures checked with the
# certificates of leaf (the host's key, which signed Image.gz) and leaf2 (which signs the
# final Image), both in .ima; PRED is its prediction word, POUT its prediction line.
preflight() {
	pout=$(imactl status --kexec "$1" --cert /t/keys/leaf.der --cert /t/keys/leaf2.der 2>&1)
	prc=$?
	PRED=$(echo "$pout" | sed -n 's/^prediction: \([a-z]*\).*/\1/p' | head -n1)
	POUT="${PRED:-none}(rc=$prc) $(echo "$pout" | grep '^prediction' | oneline)"
}

# The image format: the gzip-compressed Image with a valid signature of its own (made on
# the host, installed here). What the kernel appraises is the file kexec-tools hands to
# kexec_file_load; this case records what that is by the kernel's verdict, and imactl's
# preflight for Image.gz: a refusal it does not predict ("load" or "unknown") is appended
# to the verdict (":preflight-WORD"), so the case fails.
cp /t/host/Image.gz /w/Image.gz
cp /t/host/Image.gz.sig /w/Image.gz.sig
out=$(evmctl ima_setxattr /w/Image.gz 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	res arm64-image-gz-signed sign-failed "ima_setxattr rc=$rc $(echo "$out" | oneline)"
else
	vout=$(imactl verify --keyring "$MIRROR" /w/Image.gz 2>&1)
	vrc=$?
	preflight /w/Image.gz
	try_kexec /w/Image.gz
	# the file IMA appraised: the audit record's name=
	an=$(dmesg | grep 'op=appraise_data' | grep -o 'name="[^"]*"' | head -n1)
	v=$KV
	[ "$KV" = loaded ] || [ "$PRED" = refuse ] || v="$KV:preflight-${PRED:-none}"
	res arm64-image-gz-signed "$v" "kernel: $KR, appraised ${an:-name unknown}; kexec: $KOUT; imactl verify of Image.gz itself: rc=$vrc $(echo "$vout" | oneline); imactl status --kexec Image.gz: $POUT"
fi

# Finally: load the appraised Image (signed in the guest) and boot it with kexec -e.
cp /t/boot/Image /w/k2
cp /t/boot/initrd2 /w/i2
evmctl ima_sign --key /t/keys/leaf2.key /w/k2 >/dev/null 2>&1 || echo "GUEST sign /w/k2 failed"
vout=$(imactl verify --keyring "$MIRROR" /w/k2 2>&1)
vrc=$?
preflight /w/k2
dmesg -c >/dev/null
out=$(kexec -s -l /w/k2 --initrd=/w/i2 --append="$KERNEL_ARGS imaevm.stage=2 imaevm.marker=arm64-second-kernel" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	kernel_reason refused
	res arm64-kexec-final-load "$(errname "$out")" "kernel: $KR; kexec: $(echo "$out" | oneline); imactl verify rc=$vrc"
	echo "END"
	reboot -f
fi
res arm64-kexec-final-load loaded "the Image signed in the guest, policy in force; imactl verify rc=$vrc $(echo "$vout" | oneline); imactl status --kexec: $POUT"
KV=loaded
predict arm64-kexec-final-load /w/k2
# Without --cert on the live system the signature cannot be checked (view-only keys):
# the prediction must be unknown, never refuse, for an image the kernel loads.
lout=$(imactl status --kexec /w/k2 2>&1)
lpred=$(echo "$lout" | sed -n 's/^prediction: \([a-z]*\).*/\1/p' | head -n1)
res live:arm64-kexec-final-load "${lpred:-none}" "imactl status --kexec without --cert: $(echo "$lout" | grep -E '^(ima|prediction)' | oneline)"
echo "END-STAGE1 kexec -e"
kexec -e
echo "kexec -e returned: $?"
echo "END"
reboot -f
