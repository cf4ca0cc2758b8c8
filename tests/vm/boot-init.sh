#!/bin/busybox sh
# /sbin/init of the real root in tests/vm/boot.sh: the first process after the initramfs
# (dracut or initramfs-tools, carrying packaging/'s module or hook and `imactl boot`)
# switched root. It checks that the IMA keys and policy were in force before it started,
# then that kexec appraisal works: a signed image loads, an unsigned one is refused.
#   RESULT <case> <verdict> <detail...>     (the host compares verdicts: tests/vm/boot.sh)
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
/bin/busybox --install -s /bin 2>/dev/null
mkdir -p /proc /sys /dev /run /tmp
# The initramfs moved /proc, /sys, /dev and /run here; mount what is missing.
grep -q ' /proc ' /proc/mounts 2>/dev/null || mount -t proc proc /proc
grep -q ' /sys ' /proc/mounts || mount -t sysfs sysfs /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
grep -q ' /sys/kernel/security ' /proc/mounts || mount -t securityfs securityfs /sys/kernel/security
mount -t tmpfs tmpfs /tmp
echo 1 >/proc/sys/kernel/printk 2>/dev/null

res() { echo "RESULT $*"; }
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline | head -n1; }
echo "GUEST real init: builder=$(arg imaevm.builder) kernel=$(uname -r) pid=$$"

# 1. The key is in the IMA keyring before this init ran: the kernel's /proc/keys shows
#    _ima (or .ima) holding keys, and listing it shows the certificate's keyid (the SKID's
#    tail). This process does not possess the keys, so /proc/keys hides the keys themselves.
keyid=$(cat /t/keyid)
ring=$(grep -E 'keyring +(_ima|\.ima): [1-9]' /proc/keys | head -n1)
listed=$(imactl key list 2>&1 | grep -i "id:$keyid" | head -n1)
if [ -n "$ring" ] && [ -n "$listed" ]; then
	res boot-keys ok "id:$keyid in $(echo "$ring" | awk '{print $9, $10}') before init"
else
	res boot-keys missing "id:$keyid: keyring line '${ring:-none}', listing '${listed:-none}'"
fi

# 2. The policy was loaded before this init ran: the kernel took its one policy (the
#    policy file is gone, or read-only), and imactl's record of the load names this
#    policy's SHA-256.
pf=/sys/kernel/security/ima/policy
want=$(sha256sum /etc/ima/ima-policy | awk '{print $1}')
got=$(awk '{print $2}' /run/imaevm/policy-loaded 2>/dev/null)
if [ -e "$pf" ] && [ -w "$pf" ]; then state=writable; elif [ -e "$pf" ]; then state=read-only; else state=gone; fi
if [ "$state" != writable ] && [ "$got" = "$want" ]; then
	res boot-policy ok "policy file $state, /run/imaevm/policy-loaded has sha256 $want"
elif [ "$state" = writable ] && [ "$got" = "$want" ]; then
	res boot-policy ok "policy file still writable (CONFIG_IMA_WRITE_POLICY), load recorded"
else
	res boot-policy missing "policy file $state, record '${got:-none}', expected $want"
fi

# 3. Running the boot step again in the real root is harmless and says the policy is in
#    force. (Not in the negative control, imaevm.rerun=0: it would do the boot step itself.)
if [ "$(arg imaevm.rerun)" != 0 ]; then
	out=$(imactl boot 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  rerun: /'
	case $rc:$out in
	0:*"already in force"*"already present"* | 0:*"already present"*"already in force"*)
		res boot-rerun ok "exit 0: keys already present, policy already in force" ;;
	*) res boot-rerun failed "exit $rc" ;;
	esac
fi

# 4. kexec appraisal with the policy the initramfs loaded.
errname() {
	case $1 in
	*"Permission denied"*) echo EACCES ;;
	*"Key was rejected"*) echo EKEYREJECTED ;;
	*"Operation not permitted"*) echo EPERM ;;
	*) echo "other" ;;
	esac
}
try() { # try CASE FILE
	out=$(kexec -s -l "$2" --append="console=ttyS0" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		res "$1" loaded "rc=0"
		kexec -s -u >/dev/null 2>&1
	else
		res "$1" "$(errname "$out")" "rc=$rc ${out%%
*}"
	fi
}
cp /t/vmlinuz /tmp/signed
cp /t/vmlinuz.sig /tmp/signed.sig
if evmctl ima_setxattr --sigfile /tmp/signed >/tmp/setx.out 2>&1; then
	try kexec-signed /tmp/signed
else
	res kexec-signed setxattr-failed "$(head -n1 /tmp/setx.out)"
fi
cp /t/vmlinuz /tmp/unsigned
try kexec-unsigned /tmp/unsigned

echo "END"
sync
poweroff -f
