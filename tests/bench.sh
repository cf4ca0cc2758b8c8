#!/usr/bin/env bash
# Speed and memory of our evmctl beside Debian's upstream evmctl 1.4, in one run, on the
# same files, with the same options (-r against -r, an absolute key path for both), as
# medians of several runs (hyperfine). Speed-up = upstream time / our time (above 1: we
# are faster). Also: the RSA primitive against `openssl speed` (the physical reference),
# and our peak RSS for `ima_sign -r` over 2,000, 20,000 and 200,000 files (GNU time).
# A benchmark, not a test: nothing here is enforced, the figures depend on the machine and
# on what else runs on it (the load average is printed before and after). Speed-ups are
# wall-clock; the last column is the CPU time (user + system, means) of each program: ours
# spreads its work over every core, upstream uses one, so on a busy machine our wall-clock
# lead shrinks towards the CPU-time ratio.
#
# Usage: bash tests/bench.sh      (root: ima_sign writes security.ima; needs hyperfine,
#                                  time, ima-evm-utils, openssl, python3: apt-get install)
set -euo pipefail
cd "$(dirname "$0")/.."
for c in hyperfine /usr/bin/time /usr/bin/evmctl openssl python3; do
	command -v "$c" >/dev/null || {
		echo "bench: $c is missing (apt-get install hyperfine time ima-evm-utils openssl python3)" >&2
		exit 1
	}
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (ima_sign writes security.ima)" >&2; exit 1; }

target=x86_64-unknown-linux-gnu
RUSTFLAGS='-C target-feature=+crt-static' cargo build --quiet --release --locked --target "$target" --bins
cargo build --quiet --release --locked --example sign-rate
ours=$PWD/target/$target/release/evmctl
rate=$PWD/target/release/examples/sign-rate
up=/usr/bin/evmctl
w=$PWD/target/bench
rm -rf "$w"
mkdir -p "$w/tree"

echo "machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' (with uncommitted changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$w/rsa.pem" -out "$w/rsa.crt" -days 2 -subj /CN=bench 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$w/p256.pem" \
	-out "$w/p256.crt" -days 2 -subj /CN=bench 2>/dev/null
head -c $((1024 * 1024 * 1024)) /dev/urandom >"$w/big"
head -c 4096 /dev/urandom >"$w/small"
python3 - "$w/tree" 2000 4096 <<'PY'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with open(os.path.join(d, f"f{i:04d}"), "wb") as f:
        f.write(os.urandom(size))
PY
cat "$w/big" >/dev/null # the page cache holds the big file for both programs

rows=()
# name, goal (minimum speed-up), runs, our command, upstream command
bench() {
	local name=$1 goal=$2 runs=$3 json="$w/${#rows[@]}.json"
	hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$json" \
		-n ours "$4" -n upstream "$5" >/dev/null
	rows+=("$json|$goal|$name")
}
bench "ima_sign -r, RSA-2048, 2000 files of 4 KiB" 6 10 \
	"$ours ima_sign -r --key $w/rsa.pem $w/tree" "$up ima_sign -r --key $w/rsa.pem $w/tree"
bench "ima_sign -r, ECDSA P-256, same tree" 20 10 \
	"$ours ima_sign -r --key $w/p256.pem $w/tree" "$up ima_sign -r --key $w/p256.pem $w/tree"
bench "ima_hash -n -a sha256, 1 GiB file" 1.0 5 \
	"$ours ima_hash -n -a sha256 $w/big" "$up ima_hash -n -a sha256 $w/big"
bench "one ima_sign, RSA-2048, one 4 KiB file" 2 60 \
	"$ours ima_sign --key $w/rsa.pem $w/small" "$up ima_sign --key $w/rsa.pem $w/small"

# Multi-file ima_verify (upstream loops over its file operands; it has no -r): both verify
# the same signed copy of the tree, same operands in the same order, with the DER
# certificate upstream needs. No goal in issue 13: informative ("-").
for k in rsa p256; do
	cp -r "$w/tree" "$w/verify-$k"
	"$ours" ima_sign -r --key "$w/$k.pem" "$w/verify-$k" >/dev/null
	openssl x509 -in "$w/$k.crt" -outform der -out "$w/$k.der"
done
files_of() { # directory -> its 2000 files f0000 .. f1999 as one operand list
	local i f list=
	for ((i = 0; i < 2000; i++)); do
		printf -v f '%s/f%04d ' "$1" "$i"
		list+=$f
	done
	echo "$list"
}
files_rsa=$(files_of "$w/verify-rsa")
files_p256=$(files_of "$w/verify-p256")
bench "ima_verify of the 2000-file tree, RSA-2048" - 10 \
	"$ours ima_verify --key $w/rsa.der $files_rsa" "$up ima_verify --key $w/rsa.der $files_rsa"
bench "ima_verify of the 2000-file tree, ECDSA P-256" - 10 \
	"$ours ima_verify --key $w/p256.der $files_p256" "$up ima_verify --key $w/p256.der $files_p256"

# Peak RSS of ima_sign -r over growing trees (small files; P-256 keeps the runs short).
# The 200,000 files live in tmpfs (security.ima works there): made and removed in seconds,
# where a disk takes minutes to delete them.
many=$(mktemp -d -p /dev/shm imaevm-bench.XXXXXX)
trap 'rm -rf "$many"' EXIT
python3 - "$many" 200000 <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, f"{i // 1000:03d}")
    if i % 1000 == 0:
        os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:06d}"), "wb") as f:
        f.write(b"file %d\n" % i)
PY
rss_kib() { # tree -> peak RSS in KiB of ours
	/usr/bin/time -v -o "$w/time.txt" "$ours" ima_sign -r --key "$w/p256.pem" "$@" >/dev/null 2>&1
	awk -F': ' '/Maximum resident set size/ {print $2}' "$w/time.txt"
}
rss_2k=$(rss_kib "$many/000" "$many/001")
# shellcheck disable=SC2046 # one operand per directory
rss_20k=$(rss_kib $(printf "$many/%03d " $(seq 0 19)))
rss_200k=$(rss_kib "$many")
rss_up_2k=$(/usr/bin/time -f %M "$up" ima_sign -r --key "$w/p256.pem" "$many/000" "$many/001" 2>&1 >/dev/null | tail -1)

# The RSA-2048 primitive, one core, per CPU second (openssl speed counts CPU time unless
# -elapsed; sign-rate does the same): OpenSSL against our library's two backends.
ossl=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $(NF-1)}')
read -r _ awslc < <(IMAEVM_SIGN_BACKEND=aws-lc "$rate" "$w/rsa.pem" 3)
read -r _ rustcrypto < <(IMAEVM_SIGN_BACKEND=rustcrypto "$rate" "$w/rsa.pem" 3)
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 - "$rss_2k" "$rss_20k" "$rss_200k" "$rss_up_2k" "$ossl" "$awslc" "$rustcrypto" "${rows[@]}" <<'PY'
import json, sys
rss2k, rss20k, rss200k, rss_up, ossl, awslc, rustcrypto = sys.argv[1:8]
print("| work | ours (median) | upstream (median) | speed-up | goal | | CPU ours / upstream |")
print("|---|---|---|---|---|---|---|")
def fmt(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"
for row in sys.argv[8:]:
    path, goal, name = row.split("|", 2)
    res = {r["command"]: r for r in json.load(open(path))["results"]}
    o, u = res["ours"]["median"], res["upstream"]["median"]
    cpu = lambda r: r["user"] + r["system"]
    ratio = u / o
    if goal == "-":
        goal_text, met = "-", ""
    else:
        goal_text = f">= {goal}x"
        met = "met" if ratio >= float(goal) else "NOT met"
    print(f"| {name} | {fmt(o)} | {fmt(u)} | {ratio:.2f}x | {goal_text} | {met} "
          f"| {fmt(cpu(res['ours']))} / {fmt(cpu(res['upstream']))} |")
mib = lambda k: int(k) / 1024
flat = "met" if mib(rss200k) <= 64 else "NOT met"
print(f"| peak RSS, ima_sign -r, 2,000 / 20,000 / 200,000 files | {mib(rss2k):.1f} / {mib(rss20k):.1f} / "
      f"{mib(rss200k):.1f} MiB | {mib(rss_up):.1f} MiB (2,000 files) | | <= 64 MiB, flat | {flat} | |")
print()
print("| RSA-2048 signatures per CPU second, one core | per second | against openssl speed |")
print("|---|---|---|")
o = float(ossl)
for name, v in [("openssl speed rsa2048 (OpenSSL 3, the reference)", ossl),
                ("ours, aws-lc backend (the default for RSA >= 2048)", awslc),
                ("ours, rustcrypto backend (RSA-1024, sha1, ...)", rustcrypto)]:
    print(f"| {name} | {float(v):.0f} | {float(v) / o:.2f} |")
PY
