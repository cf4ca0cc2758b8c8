#!/bin/busybox sh
# /init of the second kernel, booted by `kexec -e` from the first (init.sh, kexec_boot).
# Its only job: prove that the appraised image really boots, then power off.
PATH=/bin
export PATH
/bin/busybox mkdir -p /proc
/bin/busybox --install -s /bin
mount -t proc proc /proc
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline | head -n1; }
echo "GUEST stage 2: kernel=$(uname -r) cmdline=$(cat /proc/cmdline)"
if [ "$(arg imaevm.appraised)" = 1 ]; then
	echo "RESULT kexec-boot booted kernel=$(uname -r)"
else
	echo "RESULT kexec-boot SKIP booted, but the image was not appraised: $(arg imaevm.why | tr '~' ' ')"
fi
echo "END"
poweroff -f
