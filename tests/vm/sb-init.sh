#!/bin/busybox sh
# The guest's /init in the Secure Boot lab (tests/vm/sb-run.sh): the sb variant of the lab
# kernel (EFI stub, lockdown in Secure Boot, IMA arch policy, KEXEC_SIG, kdump, no built-in
# CA) under OVMF with the owner's PK/KEK/db and a MOK CA in MokListRT. Also the /init of the
# capture kernel's initramfs (when /proc/cmdline holds elfcorehdr=).
#
# Modes (imaevm.mode=): sb (Secure Boot on), dbx (as sb, with a dbx; PE cases only), nosb (off, lockdown=integrity, imasig rule),
# nosig (off, lockdown=integrity, a rule without imasig); imaevm.nopolicy=1 (the negative
# control) loads no policy. Like the other guests it prints one line per case,
#   RESULT <case> <verdict> <detail...>
# and the host compares the verdicts with tests/vm/expected-sb.
#
# Files from the host: /t/keys/NAME.{der,keyid} (NAME.key for the signing keys imakey,
# rootleaf and db), /t/boot/{unsigned,pe-db,pe-mok,pe-unknown} (the kernel without and with PE
# signatures), /t/boot/capture.cpio.gz (the capture kernel's initramfs), /t/boot/config,
# /t/policies/sb-kexec.policy and sb-nosig.policy, /t/caps.

PATH=/bin:/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /w /tmp /boot
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security
mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
mount -t tmpfs tmpfs /w
mount -t tmpfs tmpfs /tmp
dmesg -n 1
echo 0 >/proc/sys/kernel/printk_ratelimit 2>/dev/null
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline | head -n1; }

# res, skip, has, oneline, keyid, errname, ring, in_ring, kernel_reason
# shellcheck source=tests/vm/guest-lib.sh
. /t/guest-lib.sh

MODE=$(arg imaevm.mode)
MARKER_PREFIX=IMAEVMMK
KARGS="console=ttyS0 panic=-1"
CRASH_ARGS="console=ttyS0 panic=-1 reset_devices nr_cpus=1 irqpoll"

finish() {
	echo END
	sync
	poweroff -f 2>/dev/null || reboot -f
	sleep 5
}

# the kernel's own view of Secure Boot (its log), and lockdown's mode
kernel_sb() { if dmesg | grep -q 'Secure boot enabled'; then echo on; else echo off; fi; }
lockdown() { sed -n 's/.*\[\([a-z]*\)\].*/\1/p' /sys/kernel/security/lockdown 2>/dev/null || echo absent; }

# ---------------------------------------------------------------------------------------
# The capture kernel: booted by the panic of the first one, with elfcorehdr=.
if grep -q 'elfcorehdr=' /proc/cmdline; then
	echo "GUEST capture kernel: $(uname -r) cmdline=$(cat /proc/cmdline)"
	res sb-capture-boot elfcorehdr "$(tr ' ' '\n' </proc/cmdline | grep elfcorehdr=)"
	res sb-capture-secureboot "$(kernel_sb)" "$(dmesg | grep -i 'secure boot' | oneline)"
	res sb-capture-lockdown "$(lockdown)" "$(cat /sys/kernel/security/lockdown 2>&1)"
	out=$(vmcore-find "$MARKER_PREFIX" 32 /proc/vmcore 2>&1)
	bytes=$(echo "$out" | sed -n 's/^bytes //p')
	elf=$(echo "$out" | sed -n 's/^elf //p')
	if [ "$elf" = yes ] && [ "${bytes:-0}" -gt 100000000 ]; then v=elf; else v=not-plausible; fi
	res sb-capture-vmcore "$v" "bytes=$bytes elf=$elf"
	want=$(arg imaevm.markerhash)
	v=absent
	for m in $(echo "$out" | sed -n "s/^found //p"); do
		[ "$(printf '%s' "$m" | sha256sum | cut -d' ' -f1)" = "$want" ] && v=found
	done
	res sb-capture-marker "$v" "sha256 of the marker $want; candidates: $(echo "$out" | grep -c '^found')"
	finish
fi

echo "GUEST kernel=$(uname -r) mode=$MODE cmdline=$(cat /proc/cmdline)"
cp /t/boot/config "/boot/config-$(uname -r)"
# how the firmware started the kernel: boot_params.hdr.type_of_loader (0x210) is 0x21 on
# OVMF's EFI path; its legacy -kernel fallback leaves 0xb0 (docs/secure-boot.md)
echo "GUEST type_of_loader=0x$(dd if=/sys/kernel/boot_params/data bs=1 skip=528 count=1 2>/dev/null | od -An -tx1 | tr -d ' ')"
echo "GUEST lockdown=$(cat /sys/kernel/security/lockdown 2>&1)"

# efivar NAME-GUID: the value byte of a one-byte EFI variable (after the 4 attribute bytes)
efivar() { od -An -tu1 -j4 -N1 "/sys/firmware/efi/efivars/$1" 2>/dev/null | tr -d ' '; }

# ---------------------------------------------------------------------------------------
# The boot's own state, proven from inside (firmware fallbacks could hide a failure)

state_cases() {
	p=$1
	sbvar=$(efivar SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c)
	setup=$(efivar SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c)
	res "$p-state-secureboot" "$(kernel_sb)" "SecureBoot=${sbvar:-absent} SetupMode=${setup:-absent}; $(dmesg | grep -i 'secure boot' | oneline)"
	res "$p-state-lockdown" "$(lockdown)" "$(dmesg | grep -i 'locked down' | oneline)"
	pol=$(cat /sys/kernel/security/ima/policy 2>&1)
	if echo "$pol" | grep -q '^appraise func=POLICY_CHECK appraise_type=imasig *$' &&
		echo "$pol" | grep -q '^measure func=KEXEC_KERNEL_CHECK *$'; then v=present; else v=absent; fi
	res "$p-state-arch-rules" "$v" "$(echo "$pol" | oneline)"
	# where the MOK CA went: .machine (and so .secondary), never .builtin_trusted_keys
	v=
	in_ring .machine "$(keyid mokca)" && v=machine
	in_ring .platform "$(keyid mokca)" && v="${v:+$v+}platform"
	in_ring .builtin_trusted_keys "$(keyid mokca)" && v="${v:+$v+}builtin"
	res "$p-state-mok-ca" "${v:-nowhere}" ".machine=$(ring .machine) .secondary=$(ring .secondary_trusted_keys)"
	# a CA with digitalSignature fails CA_MACHINE_KEYRING_MAX: .platform instead
	v=
	in_ring .machine "$(keyid mokcads)" && v=machine
	in_ring .platform "$(keyid mokcads)" && v="${v:+$v+}platform"
	res "$p-state-mok-ca-digitalsignature" "${v:-nowhere}" "-"
	if in_ring .platform "$(keyid db)"; then v=platform; else v=absent; fi
	res "$p-state-db" "$v" "-"
	n=$(keyctl rlist "$(ring .builtin_trusted_keys)" 2>/dev/null | wc -w)
	if [ "$n" = 0 ]; then v=empty; else v="$n-keys"; fi
	res "$p-state-builtin" "$v" "no CA is compiled into this kernel"
	echo "GUEST keyrings: $(grep keyring /proc/keys | awk '{print $9, $NF}' | oneline)"
}

# key_case NAME CERT: imactl key import of a certificate into .ima
key_case() {
	out=$(imactl key import "/t/keys/$2.der" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		if in_ring .ima "$(keyid "$2")"; then v=ok; else v=ok-but-absent; fi
	else
		v=$(errname "$(echo "$out" | tr '\n' ' ')")
	fi
	res "$1" "$v" "rc=$rc $(echo "$out" | oneline)"
}

key_cases() {
	key_case sb-key-mok-issued imakey
	key_case sb-key-self-signed selfsigned
	key_case sb-key-root-ca-issued rootleaf
	key_case sb-key-ca-certificate mokca
	# userspace can never add to .machine (no write permission), even root
	out=$(keyctl padd asymmetric "" "$(ring .machine)" </t/keys/rootca.der 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$out"); fi
	res sb-key-into-machine "$v" "rc=$rc $(echo "$out" | oneline)"
}

# ---------------------------------------------------------------------------------------
# Policy

POLICY_LOADED=0
# load_policy CASE FILE [--by-path]
load_policy() {
	out=$(imactl policy load $3 "$2" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$(echo "$out" | tr '\n' ' ')"); fi
	res "$1" "$v" "rc=$rc $(echo "$out" | oneline)"
	[ $rc -ne 0 ] || POLICY_LOADED=1
}

policy_cases_sb() {
	# a rule written directly: the arch policy wants a signed file, by path
	out=$( (echo 'appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig' >/sys/kernel/security/ima/policy) 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$out"); fi
	res sb-policy-written-directly "$v" "rc=$rc $(echo "$out" | oneline); $(dmesg | grep -i 'signed policy' | tail -n1 | oneline)"
	cp /t/policies/sb-kexec.policy /w/unsigned.policy
	load_policy sb-policy-unsigned-by-path /w/unsigned.policy --by-path
	cp /t/policies/sb-kexec.policy /w/sb-kexec.policy
	out=$(evmctl ima_sign --key /t/keys/imakey.key /w/sb-kexec.policy 2>&1) || echo "GUEST signing the policy failed: $out"
	load_policy sb-policy-signed-by-path /w/sb-kexec.policy --by-path
	if grep -q '^appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig *$' /sys/kernel/security/ima/policy; then v=present; else v=absent; fi
	res sb-policy-kexec-rule "$v" "$(oneline </sys/kernel/security/ima/policy)"
}

# ---------------------------------------------------------------------------------------
# kexec and kdump: the kernel's verdict, and imactl's prediction

# ima_sign FILE KEY: security.ima by KEY (imakey: in .ima; rootleaf: root's own)
ima_sign() {
	out=$(evmctl ima_sign --key "/t/keys/$2.key" "$1" 2>&1) || echo "GUEST evmctl ima_sign $1 failed: $out"
}

# image NAME PE IMA: /w/NAME, a copy of /t/boot/PE, IMA-signed by IMA (or - for none)
image() {
	rm -f "/w/$1"
	cp "/t/boot/$2" "/w/$1"
	[ "$3" = - ] || ima_sign "/w/$1" "$3"
}

crash_loaded() { cat /sys/kernel/kexec_crash_loaded; }

# try_load l|p IMG [INITRD]: kexec -s -l or kexec -s -p; sets KV (loaded, or the errno, with
# IMA's audit cause after EACCES), KOUT, KR
try_load() {
	dmesg -c >/dev/null
	if [ "$1" = p ]; then
		out=$(kexec -s -p "$2" --initrd="${3:-/w/capture.cpio.gz}" --append="$CRASH_ARGS" 2>&1)
	else
		out=$(kexec -s -l "$2" --append="$KARGS" 2>&1)
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		kernel_reason
		KV=loaded
		if [ "$1" = p ]; then
			[ "$(crash_loaded)" = 1 ] || KV=loaded-but-crash_loaded=$(crash_loaded)
		else
			kexec -s -u >/dev/null 2>&1
		fi
	else
		kernel_reason refused
		KV=$(errname "$out")
		[ "$KV" != EACCES ] || KV="EACCES:$KC"
	fi
	KOUT=$(echo "$out" | oneline)
	KLOG=$(dmesg | grep -Ei 'ima|integrity|kexec|lockdown|PEFILE|signature|key' | oneline)
}

# predict CASE l|p IMG: imactl status --kexec, compared with the kernel's verdict (KV)
predict() {
	has imactl:status-kexec || return 0
	if [ "$2" = p ]; then
		pout=$(imactl status --kexec "$3" --initrd /w/capture.cpio.gz --cert /t/keys/imakey.der 2>&1)
	else
		pout=$(imactl status --kexec "$3" --cert /t/keys/imakey.der 2>&1)
	fi
	prc=$?
	pred=$(echo "$pout" | sed -n 's/^prediction: \([a-z]*\).*/\1/p' | head -n1)
	if [ "$KV" = loaded ]; then k=load; else k=refuse; fi
	if [ "$pred" = "$k" ]; then v=agree; else v=disagree; fi
	res "predict:$1" "$v" "imactl=${pred:-none}(rc=$prc) kernel=$KV: $(echo "$pout" | grep '^prediction' | oneline)"
}

# kexec_case CASE l|p PE IMA: a fresh image, loaded, judged, predicted
kexec_case() {
	image "img-$1" "$3" "$4"
	try_load "$2" "/w/img-$1"
	res "$1" "$KV" "kexec: $KOUT; kernel: $KR; $KLOG"
	predict "$1" "$2" "/w/img-$1"
	rm -f "/w/img-$1"
}

# the capture kernel's initramfs, IMA-signed (KEXEC_INITRAMFS_CHECK in the sb boot)
prepare_initrd() {
	cp /t/boot/capture.cpio.gz /w/capture.cpio.gz
	ima_sign /w/capture.cpio.gz imakey
	cp /t/boot/capture.cpio.gz /w/capture-unsigned.cpio.gz
}

kexec_cases_sb() {
	for m in l p; do
		kexec_case "sb-$m-pe-and-ima" $m pe-db imakey
		kexec_case "sb-$m-pe-mok-and-ima" $m pe-mok imakey
		kexec_case "sb-$m-ima-only" $m unsigned imakey
		kexec_case "sb-$m-pe-only" $m pe-db -
		kexec_case "sb-$m-neither" $m unsigned -
		kexec_case "sb-$m-pe-unknown-key" $m pe-unknown imakey
		kexec_case "sb-$m-ima-root-key" $m pe-db rootleaf
		# IMA falls back to .platform for KEXEC_KERNEL_CHECK: the db key's IMA signature counts
		kexec_case "sb-$m-ima-by-db-key" $m pe-db db
	done
}

# A kernel update (issue 20): the new image reaches /boot without its security.ima (copied
# with install, or cp without -a), as the package shipped it under /lib/modules/VER. kexec
# and kdump refuse it; Debian's postinst.d hook (packaging/debian/kernel/postinst.d/
# zzz-imaevm, i.e. imactl kernel-hook add) copies the signature over the same content; then
# both load. imactl status --kernels predicts both verdicts.
hook_cases() {
	v=6.12.99-imaevm-update
	mkdir -p "/lib/modules/$v" /etc/keys/ima
	cp /t/keys/imakey.der /etc/keys/ima/imakey.der
	cp /t/boot/pe-db "/lib/modules/$v/vmlinuz"
	ima_sign "/lib/modules/$v/vmlinuz" imakey
	cp /t/boot/pe-db "/boot/vmlinuz-$v"
	for m in l p; do
		try_load $m "/boot/vmlinuz-$v"
		res "sb-hook-before-$m" "$KV" "kexec: $KOUT; kernel: $KR"
	done
	kernels_case sb-hook-status-before "$v"
	out=$(DEB_MAINT_PARAMS=configure sh /t/hook/zzz-imaevm "$v" "/boot/vmlinuz-$v" 2>&1)
	rc=$?
	res sb-hook-run "rc=$rc" "$(echo "$out" | oneline)"
	for m in l p; do
		try_load $m "/boot/vmlinuz-$v"
		res "sb-hook-after-$m" "$KV" "kexec: $KOUT; kernel: $KR"
	done
	kernels_case sb-hook-status-after "$v"
	rm -rf "/boot/vmlinuz-$v" "/lib/modules/$v"
}

# kernels_case CASE VERSION: what imactl status --kernels predicts for that kernel
kernels_case() {
	kout=$(imactl status --kernels --cert /t/keys/imakey.der 2>&1)
	line=$(echo "$kout" | grep "^kernel $2 " | head -n1)
	word=$(echo "$line" | sed -n 's/^kernel [^ ]* [^:]*: \([a-z]*\).*/\1/p')
	res "$1" "${word:-missing}" "$(echo "$line" | oneline)"
}

kdump_cases() {
	image crash pe-db imakey
	image crash-bad unsigned -
	try_load p /w/crash
	res sb-kdump-load "crash_loaded=$(crash_loaded)" "kexec: $KOUT"
	# the capture initramfs without an IMA signature: KEXEC_INITRAMFS_CHECK
	try_load p /w/crash /w/capture-unsigned.cpio.gz
	res sb-kdump-unsigned-initramfs "$KV" "kexec: $KOUT; kernel: $KR"
	try_load p /w/crash
	before=$(crash_loaded)
	try_load p /w/crash-bad
	after=$(crash_loaded)
	try_load p /w/crash
	res sb-kdump-refused-unloads "crash_loaded=$before-$after-$(crash_loaded)" "refused: $KOUT"
	# legacy kexec_load: refused under Secure Boot, the unload included
	out=$(kexec -p -u 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$out"); fi
	res sb-kdump-legacy-unload "$v:crash_loaded=$(crash_loaded)" "rc=$rc $(echo "$out" | oneline); $(dmesg | grep -i 'file descriptor\|lockdown' | tail -n1 | oneline)"
	out=$(kexec -c -l /w/crash --append="$KARGS" 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then v=ok; else v=$(errname "$out"); fi
	res sb-kdump-legacy-load "$v" "rc=$rc $(echo "$out" | oneline)"
	out=$(kexec -s -p -u 2>&1)
	rc=$?
	res sb-kdump-unload "rc=$rc:crash_loaded=$(crash_loaded)" "$(echo "$out" | oneline)"
}

# The crash: a random marker in memory, the good crash kernel loaded (its command line
# carries only the marker's SHA-256), then a panic. The capture kernel continues the log.
crash() {
	rand=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	marker="$MARKER_PREFIX$rand"
	printf '%s\n' "$marker" >/w/marker
	hash=$(printf '%s' "$marker" | sha256sum | cut -d' ' -f1)
	out=$(kexec -s -p /w/crash --initrd=/w/capture.cpio.gz --append="$CRASH_ARGS imaevm.markerhash=$hash" 2>&1)
	rc=$?
	res sb-crash-armed "rc=$rc:crash_loaded=$(crash_loaded)" "$(echo "$out" | oneline)"
	if [ $rc -ne 0 ]; then finish; fi
	echo "GUEST panicking: echo c > /proc/sysrq-trigger"
	sync
	echo c >/proc/sysrq-trigger
	sleep 30
	echo "GUEST the panic did not happen"
	finish
}

# status_cases PREFIX: what `imactl status` says of each gate ("[STATE] NAME  DETAIL"
# lines); the verdict is the first word of the detail, or for ima-trust and kexec-needs a
# word for what the detail says
status_cases() {
	if ! has imactl:status-kexec; then
		echo "GUEST imactl status has no Secure Boot checks in this build"
		return
	fi
	sout=$(imactl status 2>&1)
	echo "$sout" | sed 's/^/STATUS /'
	for n in secure-boot lockdown arch-policy pe-enforced ima-trust kexec-needs; do
		line=$(echo "$sout" | grep "^\[[^]]*\] $n " | head -n1)
		detail=$(echo "$line" | sed "s/^\[[^]]*\] $n *//")
		word=$(echo "$detail" | awk '{ print $1 }' | tr -d ',:;()')
		case $n:$detail in
		ima-trust:*"machine/MOK (.machine, linked into .secondary_trusted_keys"*) word=builtin+secondary+machine ;;
		ima-trust:*"machine/MOK (.machine; empty without Secure Boot"*) word=builtin+secondary+machine-empty ;;
		kexec-needs:"a PE signature by"*"and an IMA signature"*) word=pe-and-ima ;;
		kexec-needs:"lockdown: a valid PE signature, or an IMA signature"*) word=pe-or-imasig ;;
		kexec-needs:"only what the IMA policy demands"*) word=ima-policy-only ;;
		esac
		res "$1-status-$n" "${word:-missing}" "$(echo "$line" | oneline)"
	done
}

# ---------------------------------------------------------------------------------------
# Secure Boot off, lockdown=integrity (boots nosb and nosig): the arch policy is inactive,
# MOK is not read, no CA is built in, so .ima stays empty (even a key the kernel loads
# itself from /etc/keys/x509_ima.der is refused, ENOKEY); IMA finds a kernel image's key in
# .platform, the firmware's db, which the kernel reads with or without Secure Boot.

nosb_cases() {
	p=$1
	res "$p-state-secureboot" "$(kernel_sb)" "-"
	res "$p-state-lockdown" "$(lockdown)" "-"
	if grep -q '^appraise func=POLICY_CHECK appraise_type=imasig *$' /sys/kernel/security/ima/policy; then v=present; else v=absent; fi
	res "$p-state-arch-rules" "$v" "-"
	if in_ring .platform "$(keyid db)"; then v=platform; else v=absent; fi
	res "$p-state-db" "$v" "-"
	n=$(keyctl rlist "$(ring .ima)" 2>/dev/null | wc -w)
	if [ "$n" = 0 ]; then v=empty; else v="$n-keys"; fi
	res "$p-state-ima-keyring" "$v" "-"
	load_policy "$p-policy-load" "/t/policies/sb-$p.policy"
	status_cases "$p"
	for m in l p; do
		kexec_case "$p-$m-ima-only" $m unsigned db
		[ "$p" = nosig ] || kexec_case "$p-$m-neither" $m unsigned -
	done
}

# Boot dbx: the sb variables plus a dbx with the db certificate's bare TBS hash and the MOK
# PE signer's spec-sized entry (hash + time of revocation). No IMA policy is loaded: the arch
# policy enforces PE signatures, and only the PE check is judged.
dbx_cases() {
	n32=$(awk '$8 == "blacklist" && $9 ~ /^tbs:/ && length($9) == 68' /proc/keys | wc -l)
	n48=$(awk '$8 == "blacklist" && $9 ~ /^tbs:/ && length($9) == 100' /proc/keys | wc -l)
	res dbx-state-blacklist "tbs32=$n32,tbs48=$n48" "$(grep ' blacklist ' /proc/keys | oneline)"
	kexec_case dbx-l-pe-db l pe-db -
	kexec_case dbx-l-pe-mok l pe-mok -
}

prepare_initrd
case $MODE in
sb)
	state_cases sb
	key_cases
	if [ "$(arg imaevm.nopolicy)" = 1 ]; then
		echo "GUEST negative control: no policy loaded"
	else
		policy_cases_sb
	fi
	status_cases sb
	kexec_cases_sb
	hook_cases
	kdump_cases
	crash
	;;
dbx) dbx_cases ;;
nosb | nosig) nosb_cases "$MODE" ;;
*) echo "GUEST unknown imaevm.mode=$MODE" ;;
esac
finish
