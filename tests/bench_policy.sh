#!/usr/bin/env bash
# Time and peak memory of `imactl policy check` and `policy load --dry-run` on policies of
# 100,000 rules of several shapes (issue 12: under 2 s each). Not part of the test suite:
# timings depend on the machine; the script prints them and exits 1 when one is over 2 s.
# The exit column is imactl's: all-shadowed (100,000 copies of one rule) ends at the cap of
# 10,000 findings with exit 1, by design; the other shapes are valid policies (exit 0).
# Usage: bash tests/bench_policy.sh   (needs: python3, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
for c in /usr/bin/time python3; do
  command -v "$c" >/dev/null || { echo "bench_policy: $c is missing (apt-get install time python3)" >&2; exit 1; }
done
cargo build --quiet --release --bin imactl
imactl=$PWD/target/release/imactl
w=$PWD/target/bench-policy
rm -rf "$w"; mkdir -p "$w/sfs/ima"; : > "$w/sfs/ima/policy"
python3 - "$w" <<'PY'
import sys
w = sys.argv[1]
funcs = ["FILE_CHECK", "BPRM_CHECK", "MMAP_CHECK", "MODULE_CHECK", "FIRMWARE_CHECK", "POLICY_CHECK"]
def write(name, lines):
    with open(f"{w}/{name}.policy", "w") as f:
        f.writelines(l + "\n" for l in lines)
write("distinct-uids", (f"measure func={funcs[i % 4]} uid={i}" for i in range(100000)))
write("all-shadowed", ("measure func=FILE_CHECK mask=MAY_READ" for _ in range(100000)))
write("overlapping-ranges", (f"measure func=FILE_CHECK uid<{i + 1}" for i in range(100000)))
def mixed(i):
    f = funcs[i % 6]
    return [f"dont_measure fsmagic=0x{0x1000 + i:x}",
            f"measure func={f} uid={i}",
            f"appraise func={f} fowner={i} appraise_type=imasig",
            f"measure func={f} obj_type=t{i}_t",
            f"dont_appraise fsuuid={i:08x}-0000-0000-0000-000000000000"][i % 5]
write("mixed", (mixed(i) for i in range(100000)))
PY
slow=0
printf '%-22s %-10s %8s %10s %5s\n' policy command seconds peak-KiB exit
for p in distinct-uids all-shadowed overlapping-ranges mixed; do
  for cmd in check dry-run; do
    if [ "$cmd" = check ]; then
      args=(policy check --kernel 6.1 "$w/$p.policy")
    else
      args=(policy load --dry-run --kernel 6.1 --securityfs "$w/sfs" "$w/$p.policy")
    fi
    rc=0
    /usr/bin/time -f '%e %M' -o "$w/time" "$imactl" "${args[@]}" >/dev/null 2>&1 || rc=$?
    # GNU time puts "Command exited with non-zero status N" first: the figures are last.
    read -r secs kib < <(tail -n1 "$w/time")
    printf '%-22s %-10s %8s %10s %5s\n' "$p" "$cmd" "$secs" "$kib" "$rc"
    if awk -v s="$secs" 'BEGIN { exit !(s >= 2) }'; then slow=1; fi
  done
done
exit "$slow"
