# Helpers shared by the guests' /init scripts (tests/vm/lab-init.sh, sb-init.sh, init.sh),
# sourced from /t/guest-lib.sh (the host copies it into every initramfs). busybox sh.
# A guest never decides whether a case passed: it prints one line per case,
#   RESULT <case> <verdict> <detail...>
# and the host (tests/vm/run.sh) compares the verdicts with the expected tables.
# shellcheck shell=sh

res() { echo "RESULT $*"; }
skip() { c=$1; shift; echo "RESULT $c SKIP $*"; }
has() { grep -qx "$1" /t/caps; }
oneline() { tr '\n\t' '  ' | sed 's/  */ /g; s/^ //; s/ $//' | cut -c1-400; }
keyid() { cat "/t/keys/$1.keyid"; }

# errname TEXT: the errno behind a message (strerror words or our tools' "(ENAME)").
errname() {
	case "$1" in
	*"Required key not available"* | *"(ENOKEY)"*) echo ENOKEY ;;
	*"Permission denied"* | *"(EACCES)"*) echo EACCES ;;
	*"Operation not permitted"* | *"(EPERM)"*) echo EPERM ;;
	*"Key was rejected"* | *"(EKEYREJECTED)"*) echo EKEYREJECTED ;;
	*"Bad message"* | *"(EBADMSG)"*) echo EBADMSG ;;
	*"Invalid argument"* | *"(EINVAL)"*) echo EINVAL ;;
	*"No such file or directory"* | *"(ENOENT)"*) echo ENOENT ;;
	*"Exec format error"* | *"(ENOEXEC)"*) echo ENOEXEC ;;
	*"No data available"* | *"(ENODATA)"*) echo ENODATA ;;
	*"Function not implemented"* | *"(ENOSYS)"*) echo ENOSYS ;;
	*"Cannot allocate memory"*) echo ENOMEM ;;
	*) echo error ;;
	esac
}

# ring NAME: the serial (0x...) of a keyring the kernel shows in /proc/keys, or nothing.
ring() { awk -v n="$1" '$8 == "keyring" { d = $9; sub(/:$/, "", d); if (d == n) { print "0x" $1; exit } }' /proc/keys; }

# in_ring RING KEYID: whether the keyring holds an asymmetric key with that IMA keyid
# (the kernel describes a certificate as "CN: <SKID>", whose tail is the keyid).
in_ring() {
	serial=$(ring "$1")
	[ -n "$serial" ] || return 1
	for k in $(keyctl rlist "$serial" 2>/dev/null); do
		keyctl rdescribe "$k" 2>/dev/null | grep -qi "$2\$" && return 0
	done
	return 1
}

# kernel_reason [refused]: why the kernel refused, read from the kernel log since the last `dmesg -c`:
# sets KC to IMA's audit cause (IMA-signature-required, invalid-signature, ...) or "-", and
# KR to a summary that also names keys the kernel could not find (for KEXEC_KERNEL_CHECK it
# retries in .platform, so an unknown key is logged there even when _ima had the key).
# With an argument (the kernel refused), it waits up to 3 s for the audit record: kauditd
# prints it asynchronously, possibly after the refused syscall has returned.
kernel_reason() {
	log=$(dmesg)
	n=0
	while [ $# -gt 0 ] && [ $n -lt 15 ] && ! echo "$log" | grep -q 'op=appraise_data'; do
		usleep 200000
		log=$(dmesg)
		n=$((n + 1))
	done
	KC=$(echo "$log" | grep 'op=appraise_data' | grep -o 'cause=[^ ]*' | head -n1 | sed 's/cause=//')
	KC=${KC:--}
	KR="cause=$KC"
	KU=$(echo "$log" | grep -o "unknown key '[^']*' in '[^']*'" | sed "s/unknown key '\(.*\)' in '\(.*\)'/\1 in \2/" | tr '\n' ';' | sed 's/;$//')
	[ -z "$KU" ] || KR="$KR, unknown key $KU"
}

