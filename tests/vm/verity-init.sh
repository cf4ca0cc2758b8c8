#!/bin/busybox sh
# /init of the fs-verity boot (tests/vm/verity-file.sh): sigv3 files on an ext4 disk that
# the host prepared (contents, security.ima values signed over `fsverity digest` lines).
# Here fs-verity is enabled by this kernel, and then each file is judged by
# `evmctl ima_verify`, by `imactl verify` (kernel keyring) and finally by the kernel's own
# appraisal under `digest_type=verity appraise_type=sigv3`.
# Prints RESULT <case> rc=<n> lines and OUT <case> <line> for each output line; the host
# (verity-file.sh) decides what passes.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t securityfs securityfs /sys/kernel/security
echo "START $(uname -r)"

for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk sha512_generic loop; do
	[ -f /t/mod/$m.ko ] && insmod /t/mod/$m.ko
done

# Second boot: tests/evmctl_verity_file.rs, from the directory compiled into it.
if grep -q imaevm.mode=rust /proc/cmdline; then
	# A clone under /tmp (CI) carries the test binary there: do not hide it under a mount;
	# the initramfs root is writable already.
	case "$(cat /t/root-dir)/" in
	/tmp/*) mkdir -p /tmp ;;
	*) mount -t tmpfs tmp /tmp ;;
	esac
	IMAEVM_CACHE=$(cat /t/upstream-cache)
	export IMAEVM_CACHE
	cd "$(cat /t/root-dir)" && /bin/evmctl_verity_file --test-threads=1 >/tmp/out 2>&1
	echo "RESULT rust-test rc=$?"
	sed "s|^|OUT rust-test |" /tmp/out
	echo END
	poweroff -f
fi
mkdir -p /mnt
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if ! mount -t ext4 /dev/vda /mnt; then
	echo "RESULT mount rc=1"
	echo END
	poweroff -f
fi
echo "RESULT mount rc=0"

# run CASE CMD...: its exit status and output
run() {
	c=$1
	shift
	"$@" >/tmp/out 2>&1
	rc=$?
	echo "RESULT $c rc=$rc"
	sed "s|^|OUT $c |" /tmp/out
}

while read -r f algo; do
	run "enable-$f" fsverity enable --hash-alg="$algo" "/mnt/$f"
	run "measure-$f" fsverity measure "/mnt/$f"
done </t/enable.list

for k in rsa ec; do
	for f in signed signed512 other algo plain; do
		run "evmctl-$k-$f" evmctl -v ima_verify --key "/t/keys/$k.der" "/mnt/$k-$f"
	done
	run "evmctl-$k-stranger" evmctl ima_verify --key /t/keys/wrong.der "/mnt/$k-signed"
done

# The kernel's keyring (RSA: Debian's 6.1 has no ECDSA verifier).
keyctl newring _ima @u >/dev/null
run import imactl key import /t/keys/rsa.der --keyring _ima
for f in signed signed512 other algo plain; do
	run "imactl-rsa-$f" imactl verify --keyring _ima "/mnt/rsa-$f"
done

# The kernel's own judgement: every file on this disk is appraised on open.
uuid=$(cat /t/uuid)
# One open, one write per rule: the policy file can be written once on these kernels.
if {
	# fowner=0: the executables (owned by 1000) are judged by the BPRM_CHECK rule alone
	echo "appraise func=FILE_CHECK fsuuid=$uuid fowner=0 digest_type=verity appraise_type=sigv3"
	echo "appraise func=BPRM_CHECK fsuuid=$uuid digest_type=verity appraise_type=sigv3"
} >/sys/kernel/security/ima/policy; then
	echo "RESULT policy rc=0"
	# a signed executable runs; another one carrying its value does not
	run kernel-exec sh -c "/mnt/exec/busybox echo ran"
	run kernel-exec-bad sh -c "/mnt/bad/busybox echo ran"
	for f in signed signed512 other algo plain; do
		run "kernel-rsa-$f" sh -c "cat /mnt/rsa-$f >/dev/null"
	done
	# Without auditd the kernel's integrity audit records go to its log: the causes.
	run audit-exec-bad sh -c "dmesg | grep 'name=\"/mnt/bad/busybox\"' | grep -o 'cause=[a-z-]*'"
	for f in signed signed512 other algo plain; do
		# (collect_data records name the file without its directory)
		run "audit-rsa-$f" sh -c "dmesg | grep -E 'name=\"(/mnt/)?rsa-$f\"' | grep -o 'cause=[a-z-]*'"
	done
else
	echo "RESULT policy rc=1"
fi
echo END
poweroff -f
