#!/bin/sh
# dracut pre-pivot hook of the imaevm module: IMA keys and policy in force before the
# real root's init runs. `imactl boot` reports every step; its exit status says whether
# the policy is in force (0 yes, 3 yes but a certificate is missing, 1 no).

type warn >/dev/null 2>&1 || . /lib/dracut-lib.sh

imaevm_out=$(/usr/bin/imactl boot 2>&1)
imaevm_rc=$?
printf '%s\n' "$imaevm_out" | while IFS= read -r imaevm_line; do
	if [ $imaevm_rc = 0 ]; then info "imaevm: $imaevm_line"; else warn "imaevm: $imaevm_line"; fi
done
# Shown on the console too, where a failed boot step must be seen.
[ $imaevm_rc = 0 ] || echo "imaevm: imactl boot failed (exit status $imaevm_rc): see above" >&2
unset imaevm_out imaevm_rc imaevm_line
