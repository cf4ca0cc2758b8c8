#!/bin/busybox sh
# The guest's /init for the kernel end-to-end test (busybox sh, POSIX).
#
# It uses only busybox, kexec-tools' kexec and our own evmctl/imactl. It never decides
# whether a case passed: it prints what happened as one line per case,
#   RESULT <case> <verdict> <detail...>
# and the host (tests/vm/run.sh) compares the verdicts with tests/vm/expected.
# A case whose tool is not in our build prints `RESULT <case> SKIP <reason>`.
#
# Modes, from the kernel command line:
#   imaevm.mode=main          keys, policy checks and loads, kexec_file_load cases, kexec -e
#   imaevm.mode=policy imaevm.policy=NAME   load /t/policies/NAME and stop (one boot each:
#                             the policy file can be written once per boot on these kernels)
#   imaevm.stage=2            the second kernel after kexec -e (see init2.sh; not this file)
#
# Files prepared by the host: /t/caps (one tool capability per line), /t/keys/*.der|*.pem,
# /t/boot/vmlinuz (the image under test), /t/boot/initrd2 (the second stage initramfs),
# /t/sig/vmlinuz.sig (made on the host with `evmctl ima_sign -n --sigfile`),
# /t/policies/ (the project's policies/), /t/vm/ (test policies), /t/mod/ (modules to load).

PATH=/bin:/sbin
export PATH

/bin/busybox mkdir -p /proc /sys /dev /w /tmp
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t tmpfs tmpfs /w
mount -t tmpfs tmpfs /tmp
# Keep kernel messages off the console so RESULT lines are not interleaved; they stay in
# the kernel log, which the cases read with dmesg.
dmesg -n 1
# The audit records IMA writes (the reason of a refusal) reach the kernel log through
# printk_ratelimit(): without this, a burst of records (policy loads) hides the next ones.
echo 0 >/proc/sys/kernel/printk_ratelimit

POLICY_FILE=/sys/kernel/security/ima/policy
KERNEL_ARGS="console=ttyS0 panic=-1 quiet"
IMG=/w/img

# res, skip, has, oneline, errname (and helpers the lab guests use)
# shellcheck source=tests/vm/guest-lib.sh
. /t/guest-lib.sh
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline | head -n1; }



# ---------------------------------------------------------------------------------------
# The IMA keyring and keys

IMA_RING=
find_ima_ring() {
	# /proc/keys: "<hex id> <flags> <usage> <timeout> <perm> <uid> <gid> keyring _ima: ..."
	IMA_RING=$(awk '$8 == "keyring" && $9 ~ /^_ima:?$/ { print "0x" $1; exit }' /proc/keys)
}

KEYS_READY=0
import_keys() {
	if has imactl:key-import; then
		out=$(imactl key import /t/keys/rsa.der 2>&1)
		rc=$?
		find_ima_ring
		if [ $rc -eq 0 ] && [ -n "$IMA_RING" ]; then
			KEYS_READY=1
			res key-import-rsa ok "ring=$IMA_RING $(echo "$out" | oneline)"
		else
			res key-import-rsa fail "rc=$rc ring=${IMA_RING:-none} $(echo "$out" | oneline)"
		fi
		for ec in ec256 ec384; do
			out=$(imactl key import /t/keys/$ec.der 2>&1)
			rc=$?
			# a refusal must say why in words a person can act on: that it is about ECDSA
			if [ $rc -eq 0 ]; then
				v=ok
			elif echo "$out" | grep -Eqi 'ecdsa|elliptic'; then
				v=refused
			else
				v=refused-unclear
			fi
			res key-import-$ec $v "rc=$rc $(echo "$out" | oneline)"
		done
	else
		skip key-import-rsa "imactl key import not in this build"
		skip key-import-ec256 "imactl key import not in this build"
		skip key-import-ec384 "imactl key import not in this build"
	fi
	# evmctl import, separately: a second RSA certificate into the same _ima keyring (our
	# tools cannot create _ima without imactl; evmctl import needs the ring's id).
	if ! has evmctl:import; then
		skip evmctl-import-rsa2 "evmctl import not in this build"
	elif [ -z "$IMA_RING" ]; then
		skip evmctl-import-rsa2 "no _ima keyring: only imactl key import creates it"
	else
		# the new key's serial is on stdout (upstream prints it there), messages on stderr
		serial=$(evmctl import /t/keys/rsa2.der "$IMA_RING" 2>/tmp/import.err)
		rc=$?
		out="$serial $(cat /tmp/import.err)"
		serial=$(echo "$serial" | tail -n1 | tr -dc 0-9)
		hex=$(printf '%08x' "${serial:-0}")
		if [ $rc -eq 0 ] && grep -q "^$hex " /proc/keys; then
			res evmctl-import-rsa2 ok "serial=$serial"
		elif [ $rc -eq 0 ]; then
			res evmctl-import-rsa2 ok-unlisted "rc=0 but key '$(echo "$out" | oneline)' is not in /proc/keys"
		else
			res evmctl-import-rsa2 fail "rc=$rc $(echo "$out" | oneline)"
		fi
	fi
}

# ---------------------------------------------------------------------------------------
# Policies

POLICY_LOADED=0
policy_cases() {
	if has imactl:policy-check; then
		out=$(imactl policy check /t/vm/bad-rule.policy 2>&1)
		rc=$?
		if [ $rc -ne 0 ] && echo "$out" | grep -Eq "(^|[^0-9])$BAD_RULE_LINE([^0-9]|\$)"; then v=refused; elif [ $rc -ne 0 ]; then v=refused-no-line; else v=accepted; fi
		res policy-check-bad $v "rc=$rc $(echo "$out" | oneline)"
	else
		skip policy-check-bad "imactl policy check not in this build"
	fi

	if ! has imactl:policy-load; then
		skip policy-load-bad-writes-nothing "imactl policy load not in this build"
		skip policy-load-kernel-mismatch "imactl policy load not in this build"
		skip policy-load-kexec "imactl policy load not in this build"
		return
	fi

	# A rule our checker refuses: nothing may reach the kernel (no "policy update" in the
	# kernel log, the policy file still there).
	dmesg -c >/dev/null
	out=$(imactl policy load /t/vm/bad-rule.policy 2>&1)
	rc=$?
	klog=$(dmesg | grep -E 'policy update|policy_update' | oneline)
	if [ $rc -ne 0 ] && [ -z "$klog" ] && [ -e $POLICY_FILE ]; then
		v=refused-nothing-written
	elif [ $rc -ne 0 ]; then
		v=refused-but-written
	else
		v=accepted
	fi
	res policy-load-bad-writes-nothing $v "rc=$rc kernel='${klog:-none}' $(echo "$out" | oneline)"

	# A rule only the kernel can refuse: we claim a newer kernel than the running one, so
	# our checker lets through a rule this kernel does not know. The kernel answers EINVAL,
	# imactl must name the line, and the batch is discarded, so the file stays.
	dmesg -c >/dev/null
	out=$(imactl policy load --kernel "$NEWER_KERNEL" /t/vm/kernel-only-bad.policy 2>&1)
	rc=$?
	klog=$(dmesg | grep -E 'policy update|policy_update' | oneline)
	oo=$(echo "$out" | oneline)
	if [ $rc -ne 0 ] && echo "$oo" | grep -Eq "(^|[^0-9.])$KERNEL_BAD_LINE([^0-9.]|\$)" &&
		echo "$oo" | grep -Eqi 'EINVAL|Invalid argument' && [ -e $POLICY_FILE ]; then
		v=refused-line-errno
	elif [ $rc -ne 0 ]; then
		v=refused-without-line-errno
	else
		v=accepted
	fi
	res policy-load-kernel-mismatch $v "rc=$rc kernel='${klog:-none}' $oo"

	# The good policy, afterwards, in the same boot.
	dmesg -c >/dev/null
	out=$(imactl policy load "$KEXEC_POLICY" 2>&1)
	rc=$?
	klog=$(dmesg | grep -E 'policy update' | oneline)
	if [ $rc -eq 0 ] && echo "$klog" | grep -q completed; then
		POLICY_LOADED=1
		res policy-load-kexec ok "$(basename "$KEXEC_POLICY") kernel='$klog'"
	else
		res policy-load-kexec fail "rc=$rc kernel='${klog:-none}' $(echo "$out" | oneline)"
	fi
}

# status_case NAME: imactl status's verdict, from its exit status (0 protected, 3 against
# accidents only, 4 not protected, 5 unknown); its report goes to the serial log.
status_case() {
	if ! has imactl:status; then
		skip "$1" "imactl status not in this build"
		return
	fi
	out=$(imactl status 2>&1)
	rc=$?
	echo "$out" | sed "s/^/GUEST $1: /"
	case $rc in
	0) v=protected ;;
	3) v=accidents-only ;;
	4) v=not-protected ;;
	5) v=unknown ;;
	*) v=error ;;
	esac
	res "$1" "$v" "rc=$rc $(echo "$out" | grep -A3 '^verdict:' | oneline)"
}

# ---------------------------------------------------------------------------------------
# kexec_file_load cases

# try_kexec FILE: sets KV (loaded | EACCES:<IMA's audit cause> | EPERM | ...), KR (the
# kernel's reason) and KOUT (kexec's message).
try_kexec() {
	dmesg -c >/dev/null
	out=$(kexec -s -l "$1" --append="$KERNEL_ARGS" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then kernel_reason; else kernel_reason refused; fi
	if [ $rc -eq 0 ]; then
		KV=loaded
		kexec -s -u >/dev/null 2>&1
	else
		KV=$(errname "$out")
		[ "$KV" != EACCES ] || KV="EACCES:$KC"
	fi
	KOUT=$(echo "$out" | oneline)
	# the kernel's own words, for the serial log
	dmesg | grep -Ei 'ima|integrity|digsig|key|audit' | sed 's/^/KLOG /'
}

# verify_then_kexec NAME WHY: runs `imactl verify` on $IMG (before the kernel sees it), then
# kexec_file_load, and reports both: NAME with the kernel's verdict and verify:NAME with
# whether imactl agreed. WHY is the reason this case is built to be refused with
# (an extended regex of reason words, e.g. invalid-signature; unknown:<key name>; or - when it
# should load): when refused, imactl must say it (for an unknown key: "unknown key" and the
# keyid). For a file without security.ima the kernel's audit says IMA-signature-required and
# imactl may say just that or "no signature": both name the same fact.
verify_then_kexec() {
	name=$1 why=$2
	vout=''
	vrc=
	if has imactl:verify; then
		vout=$(imactl verify "$IMG" 2>&1)
		vrc=$?
	fi
	try_kexec "$IMG"
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
			[ "$why" != - ] || why=$KC
			case "$why" in
			unknown:*)
				id=$(cat "/t/keys/${why#unknown:}.keyid")
				if echo "$vo" | grep -qi "unknown key" && echo "$vo" | grep -qi "$id"; then agree=agree; fi
				;;
			*) if echo "$vo" | grep -Eqi -- "$why"; then agree=agree; fi ;;
			esac
		fi
	fi
	res "verify:$name" $agree "kernel=$kv($KR) imactl=$iv(rc=$vrc, expected reason: $why): $vo"
}

fresh_image() { rm -f "$IMG" "$IMG.sig"; cp /t/boot/vmlinuz "$IMG"; }

# sign_case NAME KEY HASHALGO WHY: sign a fresh image in the guest and try it.
sign_case() {
	name=$1 key=$2 algo=$3 why=$4
	fresh_image
	out=$(evmctl ima_sign -a "$algo" --key "/t/keys/$key.pem" "$IMG" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		res "$name" sign-failed "rc=$rc $(echo "$out" | oneline)"
		res "verify:$name" sign-failed "-"
		return
	fi
	verify_then_kexec "$name" "$why"
}

kexec_cases() {
	appraisal_skip=
	[ $POLICY_LOADED = 1 ] || appraisal_skip="no kexec policy loaded (needs imactl policy load)"
	[ $KEYS_READY = 1 ] || appraisal_skip="${appraisal_skip:+$appraisal_skip; }no _ima keyring (needs imactl key import)"
	need_sign=
	has evmctl:ima_sign || need_sign="evmctl ima_sign not in this build"

	# ones that need only a policy
	if [ -n "$appraisal_skip" ]; then
		skip unsigned "$appraisal_skip"
		skip verify:unsigned "$appraisal_skip"
		skip legacy-kexec-load "$appraisal_skip"
	else
		fresh_image
		verify_then_kexec unsigned 'IMA-signature-required|no signature'
		# kexec_load (no -s) cannot be appraised: refused once the policy is in force.
		dmesg -c >/dev/null
		out=$(kexec -l "$IMG" --append="$KERNEL_ARGS" 2>&1)
		rc=$?
		if [ $rc -eq 0 ]; then v=loaded; kexec -u >/dev/null 2>&1; else v=$(errname "$out"); fi
		res legacy-kexec-load "$v" "$(echo "$out" | oneline)"
	fi

	# name key hash reason-if-refused (ECDSA: refused where the kernel cannot hold the key)
	for spec in "signed-guest-rsa-sha256 rsa sha256 -" "rsa-sha384 rsa sha384 -" "rsa-sha512 rsa sha512 -" \
		"signed-evmctl-imported-key rsa2 sha256 -" "wrong-key wrong sha256 unknown:wrong" \
		"ecdsa-p256 ec256 sha256 unknown:ec256" "ecdsa-p384 ec384 sha384 unknown:ec384"; do
		# shellcheck disable=SC2086 # four words
		set -- $spec
		why=$appraisal_skip
		[ -z "$need_sign" ] || why="${why:+$why; }$need_sign"
		if [ "$1" = signed-evmctl-imported-key ] && ! has evmctl:import; then
			why="${why:+$why; }evmctl import not in this build"
		fi
		if [ -n "$why" ]; then
			skip "$1" "$why"
			skip "verify:$1" "$why"
			continue
		fi
		sign_case "$1" "$2" "$3" "$4"
	done

	# hash only: a valid sha256 security.ima hash, no signature
	why=$appraisal_skip
	has evmctl:ima_hash || why="${why:+$why; }evmctl ima_hash not in this build"
	if [ -n "$why" ]; then
		skip hash-only "$why"; skip verify:hash-only "$why"
	else
		fresh_image
		out=$(evmctl ima_hash -a sha256 "$IMG" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then res hash-only sign-failed "rc=$rc $(echo "$out" | oneline)"; res verify:hash-only sign-failed -
		else verify_then_kexec hash-only IMA-signature-required; fi
	fi

	# one byte changed after signing
	why=$appraisal_skip
	[ -z "$need_sign" ] || why="${why:+$why; }$need_sign"
	if [ -n "$why" ]; then
		skip byte-changed-after-signing "$why"; skip verify:byte-changed-after-signing "$why"
	else
		fresh_image
		out=$(evmctl ima_sign --key /t/keys/rsa.pem "$IMG" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then
			res byte-changed-after-signing sign-failed "rc=$rc $(echo "$out" | oneline)"
			res verify:byte-changed-after-signing sign-failed -
		else
			off=1048576
			old=$(dd if="$IMG" bs=1 skip=$off count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
			if [ "$old" = 120 ]; then new='y'; else new='x'; fi
			printf '%s' "$new" | dd of="$IMG" bs=1 seek=$off count=1 conv=notrunc 2>/dev/null
			verify_then_kexec byte-changed-after-signing invalid-signature
		fi
	fi

	# the packager's flow: signed on the host (.sig file), installed here
	why=$appraisal_skip
	has evmctl:ima_setxattr || why="${why:+$why; }evmctl ima_setxattr not in this build"
	has evmctl:ima_sign || why="${why:+$why; }no host signature: evmctl ima_sign not in this build"
	if [ -f /t/sig/host-sign-failed ]; then
		res signed-host-sigfile host-sign-failed "$(oneline </t/sig/host-sign-failed)"
		res verify:signed-host-sigfile host-sign-failed -
	elif [ -n "$why" ]; then
		skip signed-host-sigfile "$why"; skip verify:signed-host-sigfile "$why"
	else
		fresh_image
		cp /t/sig/vmlinuz.sig "$IMG.sig"
		out=$(evmctl ima_setxattr --sigfile "$IMG" 2>&1)
		rc=$?
		if [ $rc -ne 0 ]; then
			res signed-host-sigfile setxattr-failed "rc=$rc $(echo "$out" | oneline)"
			res verify:signed-host-sigfile setxattr-failed -
		else
			verify_then_kexec signed-host-sigfile -
		fi
	fi
	rm -f "$IMG" "$IMG.sig"
}

# The final step: load a signed image and a signed second-stage initramfs, and boot it.
# The second kernel prints `RESULT kexec-boot ...` and END (init2.sh).
kexec_boot() {
	appraised=1
	why=
	[ $POLICY_LOADED = 1 ] || { appraised=0; why="no kexec policy loaded"; }
	[ $KEYS_READY = 1 ] || { appraised=0; why="${why:+$why; }no _ima keyring"; }
	has evmctl:ima_sign || { appraised=0; why="${why:+$why; }evmctl ima_sign not in this build"; }
	cp /t/boot/vmlinuz /w/k2
	cp /t/boot/initrd2 /w/i2
	if [ $appraised = 1 ]; then
		evmctl ima_sign --key /t/keys/rsa.pem /w/k2 >/dev/null 2>&1 || echo "sign /w/k2 failed"
		evmctl ima_sign --key /t/keys/rsa.pem /w/i2 >/dev/null 2>&1 || echo "sign /w/i2 failed"
	fi
	dmesg -c >/dev/null
	out=$(kexec -s -l /w/k2 --initrd=/w/i2 \
		--append="$KERNEL_ARGS imaevm.stage=2 imaevm.appraised=$appraised imaevm.why=$(echo "$why" | tr ' ' '~')" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		kernel_reason refused
		res kexec-final-load "$(errname "$out")" "kernel: $KR; kexec: $(echo "$out" | oneline)"
		return 1
	fi
	if [ $appraised = 1 ]; then
		res kexec-final-load loaded "signed image and initramfs, policy in force"
	else
		skip kexec-final-load "not appraised: $why"
	fi
	echo "END-STAGE1 kexec -e"
	kexec -e
	echo "kexec -e returned: $?"
	return 1
}

# A kernel version newer than the running one, and the line of
# tests/vm/kernel-only-bad.policy with a rule the running kernel lacks (dont_audit).
NEWER_KERNEL=7.2
KERNEL_BAD_LINE=4
# The line of tests/vm/bad-rule.policy that our checker must name.
BAD_RULE_LINE=3

finish() {
	echo "END"
	sync
	poweroff -f
	exit 0
}

# ---------------------------------------------------------------------------------------

MODE=$(arg imaevm.mode)
echo "GUEST kernel=$(uname -r) mode=${MODE:-main} cmdline=$(cat /proc/cmdline)"
echo "GUEST caps: $(tr '\n' ' ' </t/caps)"

for m in /t/mod/*.ko; do
	[ -e "$m" ] || continue
	if insmod "$m"; then echo "GUEST insmod $(basename "$m")"; else echo "GUEST insmod $(basename "$m") failed"; fi
done

KEXEC_POLICY=/t/policies/kexec.policy

case "${MODE:-main}" in
main)
	# Before any policy: an unsigned image loads (the kernel is not appraising yet).
	fresh_image
	try_kexec "$IMG"
	res baseline-unsigned-nopolicy "$KV" "kernel: $KR; kexec: $KOUT"
	rm -f "$IMG"

	import_keys
	status_case status-before-policy
	policy_cases
	status_case status-after-policy
	kexec_cases
	kexec_boot
	finish
	;;
policy)
	name=$(arg imaevm.policy)
	import_keys >/dev/null
	if ! has imactl:policy-load; then
		skip "policy-file:$name" "imactl policy load not in this build"
		finish
	fi
	out=$(imactl policy load "/t/policies/$name" 2>&1)
	rc=$?
	# From here on only shell builtins: the policy just loaded may appraise executables.
	if [ $rc -eq 0 ] && [ ! -e $POLICY_FILE ]; then v=ok; elif [ $rc -eq 0 ]; then v=ok-but-file-still-there; else v=fail; fi
	nl='
'
	echo "RESULT policy-file:$name $v rc=$rc ${out%%"$nl"*}"
	echo "GUEST imactl policy load said: $out"
	echo "END"
	# poweroff may be refused an exec under the new policy: leaving init panics the kernel,
	# and panic=-1 with QEMU's -no-reboot ends the VM just as well.
	poweroff -f 2>/dev/null
	exit 0
	;;
*)
	echo "GUEST unknown mode $MODE"
	finish
	;;
esac
