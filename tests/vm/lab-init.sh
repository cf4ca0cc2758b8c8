#!/bin/busybox sh
# The guest's /init on the lab kernel (tests/vm/lab-kernel.sh): a kernel with a lab CA
# built in, the restricted `.ima` keyring and IMA appraisal. Here the kernel judges the
# trust chain: which certificates `.ima` takes, which kernel images kexec_file_load takes,
# whether a root user's own `_ima` keyring changes anything (it must not).
#
# Like init.sh, it never decides whether a case passed: it prints one line per case,
#   RESULT <case> <verdict> <detail...>
# and the host (tests/vm/run.sh) compares the verdicts with tests/vm/expected-lab.
#
# Files from the host: /t/caps, /t/keys/NAME.{der,pem,keyid} (certificates signed by the
# lab CA, by an intermediate, by another CA, self-signed), /t/boot/vmlinuz (the lab kernel
# itself), /t/boot/initrd2 (this script as the second stage's /init), /t/policies/ (the
# project's kexec.policy and signed-policy.policy, lab-kexec.policy: kexec.policy with
# appraise_type=imasig|modsig, lab-verity.policy and signed-programs.policy), /t/verity/ (the
# fs-verity material: see verity_cases), /t/exec/ (the static kexec: see
# signed_program_cases), /etc/keys/x509_ima.der (a certificate the kernel loads into .ima at
# boot, CONFIG_IMA_LOAD_X509).
#
# The kernel has no ACPI: the VM ends with `reboot -f` (QEMU runs with -no-reboot).

PATH=/bin:/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /w /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline | head -n1; }

# ---------------------------------------------------------------------------------------
# Second stage: booted by `kexec -e` from the first; proves the appraised image boots.
if [ "$(arg imaevm.stage)" = 2 ]; then
	echo "GUEST stage 2: kernel=$(uname -r) cmdline=$(cat /proc/cmdline)"
	echo "RESULT lab-kexec-boot booted kernel=$(uname -r) marker=$(arg imaevm.marker)"
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

KERNEL_ARGS="console=ttyS0 panic=-1 quiet"
IMG=/w/img

# res, skip, has, oneline, keyid, errname, ring, in_ring, kernel_reason
# shellcheck source=tests/vm/guest-lib.sh
. /t/guest-lib.sh

# ---------------------------------------------------------------------------------------
# Certificates into the kernel's keyrings

# import_refused NAME FILE [WORD]: imactl key import of a certificate .ima must refuse.
# Verdict ENOKEY-explained when the kernel said ENOKEY and imactl's explanation names the
# rule (and WORD, e.g. digitalSignature, when given); ENOKEY-unexplained otherwise; ok when
# the kernel took it (then the key is removed again so it cannot help later cases).
import_refused() {
	name=$1 file=$2 word=${3:-}
	out=$(imactl key import "/t/keys/$file.der" 2>&1)
	rc=$?
	o=$(echo "$out" | oneline)
	full=$(echo "$out" | tr '\n' ' ')
	if [ $rc -eq 0 ]; then
		v=ok
		imactl key remove "id:$(keyid "$file")" >/dev/null 2>&1
	else
		v=$(errname "$full")
		if [ "$v" = ENOKEY ]; then
			if echo "$full" | grep -q 'builtin or secondary trusted' &&
				{ [ -z "$word" ] || echo "$full" | grep -q "$word"; }; then
				v=ENOKEY-explained
			else
				v=ENOKEY-unexplained
			fi
		fi
	fi
	res "$name" "$v" "rc=$rc $o"
}

key_cases() {
	IMA=$(ring .ima)
	echo "GUEST .ima=$IMA .secondary_trusted_keys=$(ring .secondary_trusted_keys) .builtin_trusted_keys=$(ring .builtin_trusted_keys)"
	[ -n "$IMA" ] || echo "GUEST no .ima keyring in /proc/keys"

	# The lab CA is built in.
	if in_ring .builtin_trusted_keys "$(keyid ca)"; then v=present; else v=absent; fi
	res lab-builtin-ca "$v" "$(keyctl rlist "$(ring .builtin_trusted_keys)" 2>/dev/null | oneline)"

	# CONFIG_IMA_LOAD_X509: the kernel loaded /etc/keys/x509_ima.der into .ima at boot.
	if in_ring .ima "$(keyid boot)"; then v=loaded-by-kernel; else v=absent; fi
	res lab-boot-x509 "$v" "keyid $(keyid boot); $(dmesg | grep -Ei 'x509_ima|X.509' | head -n3 | oneline)"

	# A CA-signed certificate with evmctl import into .ima, by its id
	if ! has evmctl:import; then
		skip lab-evmctl-import-ca-leaf "evmctl import not in this build"
	elif [ -z "$IMA" ]; then
		res lab-evmctl-import-ca-leaf no-.ima "the kernel made no .ima keyring"
	else
		serial=$(evmctl import /t/keys/leaf.der "$IMA" 2>/tmp/e)
		rc=$?
		o="$serial $(oneline </tmp/e)"
		if [ $rc -eq 0 ] && in_ring .ima "$(keyid leaf)"; then v=ok; elif [ $rc -eq 0 ]; then v=ok-not-in-.ima; else v=$(errname "$o"); fi
		res lab-evmctl-import-ca-leaf "$v" "rc=$rc $o"
	fi

	# The same with imactl key import, which finds .ima by itself
	if ! has imactl:key-import; then
		skip lab-imactl-import-ca-leaf "imactl key import not in this build"
	else
		out=$(imactl key import /t/keys/leaf2.der 2>&1)
		rc=$?
		o=$(echo "$out" | oneline)
		if [ $rc -eq 0 ] && in_ring .ima "$(keyid leaf2)" && echo "$o" | grep -q '\.ima'; then v=ok; elif [ $rc -eq 0 ]; then v=ok-elsewhere; else v=$(errname "$o"); fi
		res lab-imactl-import-ca-leaf "$v" "rc=$rc $o"
	fi

	# Refusals: self-signed, another CA's leaf, no digitalSignature in keyUsage
	if has imactl:key-import; then
		import_refused lab-import-self-signed selfsigned
		import_refused lab-import-other-ca other-leaf
		import_refused lab-import-no-digitalsignature nodigsig digitalSignature
	else
		for c in lab-import-self-signed lab-import-other-ca lab-import-no-digitalsignature; do
			skip "$c" "imactl key import not in this build"
		done
	fi

	# An intermediate CA: its leaf is refused until the intermediate is in
	# .secondary_trusted_keys (where the kernel takes only what a built-in key signed).
	if ! has imactl:key-import; then
		for c in lab-intermediate-leaf-before lab-intermediate-into-secondary lab-intermediate-leaf-after; do
			skip "$c" "imactl key import not in this build"
		done
	else
		import_refused lab-intermediate-leaf-before inter-leaf
		out=$(imactl key import --keyring .secondary_trusted_keys /t/keys/inter.der 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && in_ring .secondary_trusted_keys "$(keyid inter)"; then v=ok; else v=$(errname "$out"); fi
		res lab-intermediate-into-secondary "$v" "rc=$rc $(echo "$out" | oneline)"
		out=$(imactl key import /t/keys/inter-leaf.der 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && in_ring .ima "$(keyid inter-leaf)"; then v=ok; else v=$(errname "$out"); fi
		res lab-intermediate-leaf-after "$v" "rc=$rc $(echo "$out" | oneline)"
	fi

	# ECDSA P-256 and P-384 leaves of the (RSA) lab CA
	for ec in ec256 ec384; do
		if ! has imactl:key-import; then skip "lab-import-$ec" "imactl key import not in this build"; continue; fi
		out=$(imactl key import "/t/keys/$ec.der" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && in_ring .ima "$(keyid $ec)"; then v=ok; else v=$(errname "$out"); fi
		res "lab-import-$ec" "$v" "rc=$rc $(echo "$out" | oneline)"
	done
}

# ---------------------------------------------------------------------------------------
# kexec_file_load, judged by the kernel, and imactl verify's opinion of the same file

# try_kexec FILE: KV = loaded | EACCES:<IMA cause> | errno name; KR, KOUT.
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
	dmesg | grep -Ei 'ima|integrity|digsig|key|audit' | sed 's/^/KLOG /'
}

# imactl verify and .ima: the keys in .ima (added by evmctl/imactl import, or loaded by the
# kernel) grant userspace only "view", even to root, so `imactl verify` with its default
# keyring cannot check a signature with them and says "not checked" (the case
# lab-verify-default-keyring pins that answer). To compare imactl's verdicts with the
# kernel's on every load case, verify uses a possessed mirror: a keyring in @u holding
# exactly the certificates (of /t/keys) that .ima holds, as the kernel lists them.
# IMA_CERTS: the same certificates as a comma-separated list of files, for imactl modsig verify.
MIRROR=
IMA_CERTS=
make_mirror() {
	MIRROR=$(keyctl newring lab-ima-mirror @u 2>/dev/null)
	held=
	for f in /t/keys/*.der; do
		n=$(basename "$f" .der)
		if in_ring .ima "$(keyid "$n")"; then
			IMA_CERTS="${IMA_CERTS:+$IMA_CERTS,}$f"
			if imactl key import --keyring "$MIRROR" "$f" >/dev/null 2>&1; then held="$held $n"; else held="$held $n(mirror-import-failed)"; fi
		fi
	done
	echo "GUEST .ima holds (mirrored in $MIRROR):$held"
}

# lab-verify-default-keyring: imactl verify FILE signed with a key in .ima, default keyring.
verify_default_case() {
	if ! has imactl:verify || ! has evmctl:ima_sign; then
		skip lab-verify-default-keyring "needs imactl verify and evmctl ima_sign"
		return
	fi
	fresh_image
	evmctl ima_sign --key /t/keys/leaf.pem "$IMG" >/dev/null 2>&1 || echo "GUEST sign failed"
	out=$(imactl verify "$IMG" 2>&1)
	rc=$?
	o=$(echo "$out" | oneline)
	if [ $rc -eq 0 ]; then
		v=ok
	elif echo "$o" | grep -q 'not checked' && echo "$o" | grep -q 'permissions'; then
		v=not-checked-explained
	else
		v=refused
	fi
	res lab-verify-default-keyring "$v" "rc=$rc $o"
}

# load_case NAME WHY: imactl verify (with the mirror of .ima), then kexec_file_load of $IMG. WHY is what a refusal
# must be explained with: "-" (it should load), an extended regex of reason words, or
# unknown:KEY (imactl must say "unknown key" and that key's id). A refusal because a key is
# unknown in .ima is reported as EACCES:<cause>:unknown-in-.ima.
load_case() {
	name=$1 why=$2
	vrc=
	if has imactl:verify; then
		vout=$(imactl verify --keyring "$MIRROR" "$IMG" 2>&1)
		vrc=$?
	fi
	try_kexec "$IMG"
	case "$why" in
	unknown:*)
		if [ "${KV%%:*}" = EACCES ] && echo "$KU" | grep -qi "$(keyid "${why#unknown:}") in \.ima"; then
			KV="$KV:unknown-in-.ima"
		fi
		;;
	esac
	res "$name" "$KV" "kernel: $KR; kexec: $KOUT"
	if [ -z "$vrc" ]; then
		skip "verify:$name" "imactl verify not in this build"
		return
	fi
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
}

fresh_image() { rm -f "$IMG"; cp /t/boot/vmlinuz "$IMG"; }

# signed_case NAME KEY ALGO WHY: a fresh image signed with KEY, then load_case.
signed_case() {
	name=$1 key=$2 algo=$3 why=$4
	fresh_image
	out=$(evmctl ima_sign -a "$algo" --key "/t/keys/$key.pem" "$IMG" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		res "$name" sign-failed "rc=$rc $(echo "$out" | oneline)"
		res "verify:$name" sign-failed -
		return
	fi
	load_case "$name" "$why"
}

POLICY_LOADED=0
kexec_cases() {
	if ! has imactl:policy-load; then
		skip lab-policy-load-kexec "imactl policy load not in this build"
	else
		dmesg -c >/dev/null
		# lab-kexec.policy: policies/kexec.policy with appraise_type=imasig|modsig (lab-run.sh)
		out=$(imactl policy load /t/policies/lab-kexec.policy 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && grep -q 'appraise func=KEXEC_KERNEL_CHECK.*appraise_type=imasig|modsig' /sys/kernel/security/ima/policy; then
			POLICY_LOADED=1
			v=ok
		else
			v=fail
		fi
		res lab-policy-load-kexec $v "rc=$rc $(echo "$out" | oneline)"
	fi
	# (load_case and signed_case set name and why: this loop has its own names)
	skipwhy=
	[ $POLICY_LOADED = 1 ] || skipwhy="no kexec policy loaded"
	has evmctl:ima_sign || skipwhy="${skipwhy:+$skipwhy; }evmctl ima_sign not in this build"
	for spec in "lab-unsigned" "lab-signed-evmctl-imported rsa-leaf" "lab-signed-imactl-imported rsa-leaf2" \
		"lab-signed-boot-key rsa-boot" "lab-signed-intermediate-leaf rsa-inter-leaf" \
		"lab-ecdsa-p256 ec-ec256" "lab-ecdsa-p384 ec-ec384" "lab-byte-changed-after-signing" \
		"lab-attack-kexec"; do
		# shellcheck disable=SC2086 # one or two words
		set -- $spec
		if [ -n "$skipwhy" ]; then
			skip "$1" "$skipwhy"
			skip "verify:$1" "$skipwhy"
			if [ "$1" = lab-attack-kexec ]; then
				skip lab-attack-own-_ima "$skipwhy"
				skip lab-attack-into-.ima "$skipwhy"
			fi
			continue
		fi
		case $1 in
		lab-unsigned) fresh_image; load_case "$1" 'IMA-signature-required|no signature' ;;
		lab-byte-changed-after-signing)
			fresh_image
			evmctl ima_sign --key /t/keys/leaf.pem "$IMG" >/dev/null 2>&1 || echo "GUEST sign failed"
			old=$(dd if="$IMG" bs=1 skip=600000 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
			if [ "$old" = 120 ]; then new=y; else new=x; fi
			printf '%s' "$new" | dd of="$IMG" bs=1 seek=600000 count=1 conv=notrunc 2>/dev/null
			load_case "$1" invalid-signature
			;;
		lab-attack-kexec) attack ;;
		lab-ecdsa-p384) signed_case "$1" "${2#*-}" sha384 - ;;
		*) signed_case "$1" "${2#*-}" sha256 - ;;
		esac
	done
}

# THE ATTACK. Root, without the lab CA's key, makes the `_ima` keyring that Debian's kernels
# use, puts its own certificate there, signs a kernel with its own key and asks
# kexec_file_load to load it. This kernel looks only in `.ima`: refused. Then root tries to
# put its certificate into `.ima` itself: refused too.
attack() {
	out=$(keyctl newring _ima @u 2>&1)
	rc=$?
	ring_u=$(echo "$out" | tail -n1)
	out2=$(evmctl import /t/keys/attacker.der "$ring_u" 2>&1)
	rc2=$?
	if [ $rc -eq 0 ] && [ $rc2 -eq 0 ]; then v=ok; else v=fail; fi
	res lab-attack-own-_ima "$v" "keyctl newring rc=$rc ring=$ring_u; evmctl import rc=$rc2 $(echo "$out2" | oneline)"
	fresh_image
	out=$(evmctl ima_sign --key /t/keys/attacker.pem "$IMG" 2>&1) || echo "GUEST attacker sign failed: $out"
	load_case lab-attack-kexec unknown:attacker
	out=$(evmctl import /t/keys/attacker.der "$IMA" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$out"); fi
	res lab-attack-into-.ima "$v" "rc=$rc $(echo "$out" | oneline)"
}

# ---------------------------------------------------------------------------------------
# Appended signatures (modsig): a kernel image with no security.ima, signed by
# `imactl modsig sign` (PKCS#7 in the kernel module format), loads under the lab's
# `appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig`. The kernel checks it with
# the keys in .ima; `imactl modsig verify --cert` with the certificates .ima holds
# (IMA_CERTS) must give the same verdict and reason.

# modsig_case NAME KEY WHY [FLIP]: a fresh image, appended-signed with KEY (KEY.pem,
# KEY.der), one byte flipped after signing when FLIP is given, then our verifier and
# kexec_file_load. The image must have no security.ima (imactl verify must say "no
# signature"; verdict has-security.ima otherwise), so the kernel can only use the appended
# signature. WHY: the extended regex our verifier's refusal must match ("-" when the image
# should load).
modsig_case() {
	name=$1 key=$2 why=$3 flip=${4:-}
	fresh_image
	sout=$(imactl modsig sign --key "/t/keys/$key.pem" --cert "/t/keys/$key.der" "$IMG" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		res "$name" sign-failed "rc=$rc $(echo "$sout" | oneline)"
		res "verify:$name" sign-failed -
		return
	fi
	xout=$(imactl verify --keyring "$MIRROR" "$IMG" 2>&1)
	if ! echo "$xout" | grep -q 'no signature'; then
		res "$name" has-security.ima "imactl verify: $(echo "$xout" | oneline)"
		res "verify:$name" has-security.ima -
		return
	fi
	if [ -n "$flip" ]; then
		# offset 600000 is in the image (1.4 MB), before the appended signature
		old=$(dd if="$IMG" bs=1 skip=600000 count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
		if [ "$old" = 120 ]; then new=y; else new=x; fi
		printf '%s' "$new" | dd of="$IMG" bs=1 seek=600000 count=1 conv=notrunc 2>/dev/null
	fi
	vout=$(imactl modsig verify --cert "$IMA_CERTS" "$IMG" 2>&1)
	vrc=$?
	try_kexec "$IMG"
	res "$name" "$KV" "kernel: $KR; kexec: $KOUT; $(echo "$sout" | oneline); security.ima: $(echo "$xout" | oneline)"
	vo=$(echo "$vout" | oneline)
	if [ $vrc -eq 0 ]; then iv=ok; else iv=refused; fi
	if [ "$KV" = loaded ]; then kv=ok; else kv=refused; fi
	agree=differ
	if [ "$iv" = "$kv" ]; then
		if [ $kv = ok ] || echo "$vo" | grep -Eqi -- "$why"; then agree=agree; fi
	fi
	res "verify:$name" $agree "kernel=$kv($KR) imactl-modsig=$iv(rc=$vrc, expected reason: $why): $vo"
}

modsig_cases() {
	skipwhy=
	[ $POLICY_LOADED = 1 ] || skipwhy="no kexec policy loaded"
	has imactl:modsig || skipwhy="${skipwhy:+$skipwhy; }imactl modsig not in this build"
	if [ -n "$skipwhy" ]; then
		for c in lab-modsig lab-modsig-byte-changed lab-modsig-unknown-key; do
			skip "$c" "$skipwhy"
			skip "verify:$c" "$skipwhy"
		done
		return
	fi
	# the lab CA's leaf that evmctl imported into .ima
	modsig_case lab-modsig leaf -
	modsig_case lab-modsig-byte-changed leaf 'invalid signature|do not match' flip
	# root's own key (self-signed; .ima refused its certificate in the attack)
	modsig_case lab-modsig-unknown-key attacker 'none of the given certificates'
}

# ---------------------------------------------------------------------------------------
# fs-verity signatures (sigv3): with lab-verity.policy loaded
# (`appraise func=BPRM_CHECK fsuuid=<the lab ext4> digest_type=verity appraise_type=sigv3`),
# the kernel runs a program from the lab's ext4 only when fs-verity is enabled on it and its
# security.ima is a sigv3 signature, by a key in .ima, over its fs-verity digest.
# /t/verity/ (lab-run.sh's make_lab_verity): fs.img (ext4 -O verity holding three copies of
# a static program: signed, tampered, noverity), digest (the host's `fsverity digest`),
# signed.sig (sigv3 over that digest) and tampered.sig (sigv3 over the digest of the program
# with one byte changed), both made on the host by `evmctl sign_hash --veritysig`.

# exec_reason: IMA's audit cause of a refused exec (appraise_data, or collect_data when the
# kernel could not get an fs-verity digest), waiting up to 3 s for the audit record.
exec_reason() {
	n=0
	log=$(dmesg)
	while [ $n -lt 15 ] && ! echo "$log" | grep -Eq 'op=(appraise_data|collect_data)'; do
		usleep 200000
		log=$(dmesg)
		n=$((n + 1))
	done
	KC=$(echo "$log" | grep -E 'op=(appraise_data|collect_data)' | grep -o 'cause=[^ ]*' | head -n1 | sed 's/cause=//')
	KC=${KC:--}
}

# exec_case NAME MARKER PROGRAM [ARG...]: runs it; the verdict is "ran" (it exited 0 and
# printed a line matching the grep pattern MARKER) or <errno>:<IMA cause>.
exec_case() {
	name=$1 marker=$2
	shift 2
	dmesg -c >/dev/null
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && echo "$out" | grep -q "$marker"; then
		v=ran
		KC=-
	else
		exec_reason
		v="$(errname "$out"):$KC"
	fi
	dmesg | grep -Ei 'ima|integrity|verity|audit' | sed 's/^/KLOG /'
	res "$name" "$v" "rc=$rc cause=$KC $(echo "$out" | oneline)"
}

VCASES="lab-verity-signed lab-verity-tampered-digest lab-verity-not-enabled lab-verity-outside-fsuuid"
verity_cases() {
	if [ -e /t/verity/missing ]; then
		for c in lab-verity-setup lab-policy-load-verity $VCASES verify:lab-verity-signed verify:lab-verity-tampered-digest; do skip "$c" "$(cat /t/verity/missing)"; done
		return
	fi
	if ! has imactl:policy-load || ! has evmctl:ima_setxattr; then
		for c in lab-verity-setup lab-policy-load-verity $VCASES verify:lab-verity-signed verify:lab-verity-tampered-digest; do skip "$c" "needs imactl policy load and evmctl ima_setxattr"; done
		return
	fi
	# The ext4 on the RAM disk; fs-verity on two of the three copies; the xattrs.
	mkdir -p /v
	v=ok
	detail=
	step() { # step WHAT COMMAND...: runs it; the first failure names the verdict
		what=$1
		shift
		o=$("$@" 2>&1) || { [ "$v" != ok ] || v=$what-failed; detail="$detail $what: $(echo "$o" | oneline);"; }
	}
	step dd dd if=/t/verity/fs.img of=/dev/ram0 bs=1M
	step mount mount -t ext4 /dev/ram0 /v
	step enable fsverity enable /v/signed
	step enable fsverity enable /v/tampered
	m=$(fsverity measure /v/signed 2>&1 | awk '{ print $1 }')
	if [ "$m" != "$(cat /t/verity/digest)" ] && [ "$v" = ok ]; then v=digest-differs; fi
	detail="$detail kernel's fs-verity digest $m, host's $(cat /t/verity/digest);"
	step setxattr evmctl ima_setxattr --sigfile /t/verity/signed.sig /v/signed
	step setxattr evmctl ima_setxattr --sigfile /t/verity/tampered.sig /v/tampered
	step setxattr evmctl ima_setxattr --sigfile /t/verity/signed.sig /v/noverity
	detail="$detail noverity: $(fsverity measure /v/noverity 2>&1 | oneline)"
	res lab-verity-setup "$v" "$detail"

	out=$(imactl policy load /t/policies/lab-verity.policy 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'func=BPRM_CHECK.*appraise_type=sigv3' /sys/kernel/security/ima/policy &&
		grep -q 'func=BPRM_CHECK.*digest_type=verity' /sys/kernel/security/ima/policy; then v=ok; else v=fail; fi
	res lab-policy-load-verity "$v" "rc=$rc $(echo "$out" | oneline); $(grep BPRM_CHECK /sys/kernel/security/ima/policy | oneline)"

	exec_case lab-verity-signed 'imaevm-verity-program ran' /v/signed
	KV_signed=$v
	exec_case lab-verity-tampered-digest 'imaevm-verity-program ran' /v/tampered
	KV_tampered=$v
	exec_case lab-verity-not-enabled 'imaevm-verity-program ran' /v/noverity
	# the same program on tmpfs, without any signature: the rule is for the ext4 only
	cp /v/signed /w/prog
	exec_case lab-verity-outside-fsuuid 'imaevm-verity-program ran' /w/prog
	verity_list_cases
}

# Our verifier on the same signatures: the measure rule of lab-verity.policy put a record
# (ima-sigv2: the "verity:sha256:" digest, the path, security.ima) in the list for each
# program the kernel measured; `evmctl ima_measurement --verify-sig` checks each sigv3
# against the certificate of the key that signed (the lab CA's leaf "boot", in .ima) and
# must agree with the kernel's exec verdict. (The program without fs-verity has no record:
# the kernel had no digest to measure.) There is no TPM, so the PCR part of the report
# fails; the per-record lines (-v) are what counts.
verity_list_cases() {
	cat /sys/kernel/security/ima/binary_runtime_measurements >/w/list.bin
	mout=$(evmctl -v ima_measurement --verify-sig --key /t/keys/boot.der /w/list.bin 2>&1)
	echo "$mout" | grep '/v/' | sed 's/^/GUEST ima_measurement: /'
	verity_list_case signed lab-verity-signed "$KV_signed"
	verity_list_case tampered lab-verity-tampered-digest "$KV_tampered"
}

# verity_list_case FILE NAME KERNEL-VERDICT: our verdict on /v/FILE's record against the
# kernel's exec verdict.
verity_list_case() {
	if echo "$mout" | grep -q "^/v/$1: verification is OK"; then
		iv=ok
	elif echo "$mout" | grep -q "^\(evmctl: \)\{0,1\}/v/$1 (record [0-9]*): verification failed"; then
		iv=refused
	else
		iv=no-record
	fi
	if [ "$3" = ran ]; then k=ok; else k=refused; fi
	if [ "$iv" = "$k" ]; then a=agree; else a=differ; fi
	res "verify:$2" $a "kernel=$k($3) evmctl-ima_measurement=$iv: $(echo "$mout" | grep "/v/$1" | oneline)"
}

# ---------------------------------------------------------------------------------------
# Signed programs (policies/signed-programs.policy: `appraise func=BPRM_CHECK fowner=0
# appraise_type=imasig`, tmpfs and ramfs left out): the first piece of the Fedora "Kdump
# with secureboot" design, a static kexec signed with evmctl and appraised at exec.
# /t/exec/ (lab-run.sh's make_lab_exec): fs.img (ext4 with three copies of the static kexec:
# kexec, kexec-changed with bytes appended after signing, kexec-unsigned), kexec.sig (the
# signature made on the host at build time with the leaf "boot", which is in .ima).

# prog_verify_case NAME PROGRAM KERNEL-VERDICT: evmctl ima_verify with the certificate of
# the key in .ima must agree with the kernel's exec verdict.
prog_verify_case() {
	vout=$(evmctl ima_verify --key /t/keys/boot.der "$2" 2>&1)
	if [ $? -eq 0 ]; then ev=ok; else ev=refused; fi
	if [ "$3" = ran ]; then k=ok; else k=refused; fi
	if [ "$ev" = "$k" ]; then a=agree; else a=differ; fi
	res "verify:$1" $a "kernel=$k($3) evmctl-ima_verify=$ev: $(echo "$vout" | oneline)"
}

PCASES="lab-signed-kexec-setup lab-policy-load-signed-programs lab-signed-kexec-runs verify:lab-signed-kexec-runs lab-signed-kexec-loads lab-changed-kexec verify:lab-changed-kexec lab-unsigned-kexec verify:lab-unsigned-kexec"
signed_program_cases() {
	if [ -e /t/exec/missing ]; then
		for c in $PCASES; do skip "$c" "$(cat /t/exec/missing)"; done
		return
	fi
	if ! has imactl:policy-load || ! has evmctl:ima_setxattr; then
		for c in $PCASES; do skip "$c" "needs imactl policy load and evmctl ima_setxattr"; done
		return
	fi
	mkdir -p /x
	v=ok
	detail="$(cat /t/exec/made-by);"
	xstep() { # xstep WHAT COMMAND...: runs it; the first failure names the verdict
		what=$1
		shift
		o=$("$@" 2>&1) || { [ "$v" != ok ] || v=$what-failed; detail="$detail $what: $(echo "$o" | oneline);"; }
	}
	xstep dd dd if=/t/exec/fs.img of=/dev/ram1 bs=1M
	xstep mount mount -t ext4 /dev/ram1 /x
	# root owns them, as a package manager installs them (fowner=0 is the rule's scope)
	xstep chown chown 0:0 /x/kexec /x/kexec-changed /x/kexec-unsigned
	# the signature made at build time, installed from the .sig file; the changed copy gets
	# the same value, as a copy kept with `cp -a` and then edited would
	xstep setxattr evmctl ima_setxattr --sigfile /t/exec/kexec.sig /x/kexec
	xstep setxattr evmctl ima_setxattr --sigfile /t/exec/kexec.sig /x/kexec-changed
	detail="$detail $(ls -ln /x | oneline)"
	res lab-signed-kexec-setup "$v" "$detail"

	out=$(imactl policy load /t/policies/signed-programs.policy 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^appraise func=BPRM_CHECK fowner=0 appraise_type=imasig' /sys/kernel/security/ima/policy; then v=ok; else v=fail; fi
	res lab-policy-load-signed-programs "$v" "rc=$rc $(echo "$out" | oneline); $(grep BPRM_CHECK /sys/kernel/security/ima/policy | oneline)"

	exec_case lab-signed-kexec-runs '^kexec-tools' /x/kexec --version
	prog_verify_case lab-signed-kexec-runs /x/kexec "$v"
	# the signed static kexec does its job under the policy: loads the signed lab kernel
	# through kexec_file_load (kexec.policy in force), then unloads it again
	cp /t/boot/vmlinuz /w/k3
	evmctl ima_sign --key /t/keys/leaf.pem /w/k3 >/dev/null 2>&1 || echo "GUEST sign /w/k3 failed"
	dmesg -c >/dev/null
	out=$(/x/kexec -s -l /w/k3 --initrd=/t/boot/initrd2 --append="$KERNEL_ARGS" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		v=loaded
		KR="cause=-"
		/x/kexec -s -u >/dev/null 2>&1 || echo "GUEST kexec -s -u failed"
	else
		kernel_reason refused
		v=$(errname "$out")
	fi
	res lab-signed-kexec-loads "$v" "rc=$rc kernel: $KR; kexec: $(echo "$out" | oneline)"
	exec_case lab-changed-kexec '^kexec-tools' /x/kexec-changed --version
	prog_verify_case lab-changed-kexec /x/kexec-changed "$v"
	exec_case lab-unsigned-kexec '^kexec-tools' /x/kexec-unsigned --version
	prog_verify_case lab-unsigned-kexec /x/kexec-unsigned "$v"
}

# ---------------------------------------------------------------------------------------
# A signed policy: once `appraise func=POLICY_CHECK appraise_type=imasig` is in force, the
# kernel takes new rules only from a file it reads by path and appraises itself.

signed_policy_cases() {
	if ! has imactl:policy-load; then
		for c in lab-policy-load-signed-policy lab-policy-by-path-unsigned lab-policy-by-path-signed; do
			skip "$c" "imactl policy load not in this build"
		done
		return
	fi
	out=$(imactl policy load /t/policies/signed-policy.policy 2>&1)
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'appraise func=POLICY_CHECK' /sys/kernel/security/ima/policy; then v=ok; else v=fail; fi
	res lab-policy-load-signed-policy "$v" "rc=$rc $(echo "$out" | oneline)"

	printf 'measure func=KEXEC_INITRAMFS_CHECK\n' >/w/unsigned.policy
	out=$(imactl policy load --by-path /w/unsigned.policy 2>&1)
	rc=$?
	# (imactl's advance note names EACCES too: the verdict comes from the other lines)
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$(echo "$out" | grep -v 'note:')"); fi
	res lab-policy-by-path-unsigned "$v" "rc=$rc $(echo "$out" | oneline)"

	printf 'measure func=KEXEC_CMDLINE template=ima-buf\n' >/w/signed.policy
	sout=$(evmctl ima_sign --key /t/keys/leaf.pem /w/signed.policy 2>&1) || echo "GUEST policy sign failed: $sout"
	out=$(imactl policy load --by-path /w/signed.policy 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$out"); fi
	res lab-policy-by-path-signed "$v" "rc=$rc $(echo "$out" | oneline)"
}

# ---------------------------------------------------------------------------------------
# imactl status

status_case() {
	if has imactl:status; then
		# The verdict is imactl status's exit status: 0 protected, 3 against accidents
		# only, 4 not protected, 5 unknown; its report goes to the serial log.
		out=$(imactl status 2>&1)
		rc=$?
		echo "$out" | sed "s/^/GUEST lab-status: /"
		case $rc in
		0) v=protected ;;
		3) v=accidents-only ;;
		4) v=not-protected ;;
		5) v=unknown ;;
		*) v=error ;;
		esac
		res lab-status "$v" "rc=$rc $(echo "$out" | grep -A3 '^verdict:' | oneline)"
	else
		skip lab-status "imactl status not in this build"
	fi
}

# ---------------------------------------------------------------------------------------
# Finally: load the appraised lab kernel and boot it with kexec -e.

kexec_boot() {
	if [ $POLICY_LOADED != 1 ] || ! has evmctl:ima_sign; then
		skip lab-kexec-final-load "needs the kexec policy and evmctl ima_sign"
		echo "END"
		reboot -f
	fi
	cp /t/boot/vmlinuz /w/k2
	cp /t/boot/initrd2 /w/i2
	evmctl ima_sign --key /t/keys/leaf.pem /w/k2 >/dev/null 2>&1 || echo "GUEST sign /w/k2 failed"
	dmesg -c >/dev/null
	out=$(kexec -s -l /w/k2 --initrd=/w/i2 --append="$KERNEL_ARGS imaevm.stage=2 imaevm.marker=lab-second-kernel" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		kernel_reason refused
		res lab-kexec-final-load "$(errname "$out")" "kernel: $KR; kexec: $(echo "$out" | oneline)"
		echo "END"
		reboot -f
	fi
	res lab-kexec-final-load loaded "the signed lab kernel, policy in force"
	echo "END-STAGE1 kexec -e"
	kexec -e
	echo "kexec -e returned: $?"
	echo "END"
	reboot -f
}

# ---------------------------------------------------------------------------------------

echo "GUEST kernel=$(uname -r) cmdline=$(cat /proc/cmdline)"
echo "GUEST caps: $(tr '\n' ' ' </t/caps)"
fresh_image
try_kexec "$IMG"
res lab-baseline-unsigned-nopolicy "$KV" "kernel: $KR; kexec: $KOUT"
key_cases
make_mirror
verify_default_case
kexec_cases
modsig_cases
verity_cases
signed_program_cases
signed_policy_cases
status_case
kexec_boot
