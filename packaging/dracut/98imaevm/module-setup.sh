#!/bin/bash
# dracut module imaevm: puts imactl, the IMA certificates and the IMA policy into the
# initramfs and runs `imactl boot` before the switch to the real root, so that the keys
# are in the IMA keyring and the policy is in force before the real init starts.
#
# Installed as /usr/lib/dracut/modules.d/98imaevm/. Taken from the build host:
#   imactl                   $IMAEVM_IMACTL       (default /usr/bin/imactl)
#   certificates             $IMAEVM_KEYS_DIR     (default /etc/keys/ima, dracut's IMAKEYSDIR)
#   the kernel's certificate $IMAEVM_KERNEL_CERT  (default /etc/keys/x509_ima.der, if present)
#   the policy               $IMAEVM_POLICY       (default /etc/ima/ima-policy)
# and installed at the default paths inside the image. A policy that must be signed (an
# appraise func=POLICY_CHECK rule in force) cannot be loaded from the initramfs: cpio
# keeps no security.ima; load it late with imaevm-boot.service instead.

imaevm_imactl() { echo "${IMAEVM_IMACTL:-/usr/bin/imactl}"; }

# shellcheck disable=SC2317 # dracut calls these functions
check() {
	# Never pulled in by itself: add it with `dracut -a imaevm` or
	# add_dracutmodules+=" imaevm " in /etc/dracut.conf.d/. It needs imactl.
	require_binaries "$(imaevm_imactl)" || return 1
	return 255
}

# shellcheck disable=SC2317
depends() {
	echo base
	return 0
}

# shellcheck disable=SC2317
install() {
	local keys=${IMAEVM_KEYS_DIR:-/etc/keys/ima}
	local kcert=${IMAEVM_KERNEL_CERT:-/etc/keys/x509_ima.der}
	local policy=${IMAEVM_POLICY:-/etc/ima/ima-policy}
	local f

	inst_simple "$(imaevm_imactl)" /usr/bin/imactl
	inst_dir /etc/keys/ima
	if [ -d "$keys" ]; then
		for f in "$keys"/*; do
			[ -f "$f" ] || continue
			inst_simple "$f" "/etc/keys/ima/${f##*/}"
		done
	fi
	[ -f "$kcert" ] && inst_simple "$kcert" /etc/keys/x509_ima.der
	if [ -f "$policy" ]; then
		inst_simple "$policy" /etc/ima/ima-policy
	else
		dwarning "imaevm: no IMA policy at $policy: the image will import keys only"
	fi
	inst_hook pre-pivot 59 "$moddir/imaevm-boot.sh"
}
