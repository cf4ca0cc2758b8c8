#!/usr/bin/env bash
# Speed and memory of our evmctl beside Debian's upstream evmctl 1.4 and beside the machine's
# limit, in one run, on the same files, with the same options (-r against -r, an absolute
# key path for both), as medians of several runs (hyperfine). Speed-up = upstream time /
# our time (above 1: we are faster). The limit of a row is the least time the machine's
# cores need for that row's cryptography at `openssl speed`'s rates, measured in the same
# run (docs/speed.md, "The limit of each row"); "of limit" = limit / our time (1.00: we
# run at the machine's speed). Also: the RSA primitive against `openssl speed`, and our
# peak RSS for `ima_sign -r` over 2,000, 20,000 and 200,000 files (GNU time).
# A benchmark, not a test: nothing here is enforced, the figures depend on the machine and
# on what else runs on it (the load average is printed before and after). Speed-ups are
# wall-clock; the last column is the CPU time (user + system, means) of each program: ours
# spreads its work over every core, upstream uses one, so on a busy machine our wall-clock
# lead shrinks towards the CPU-time ratio.
#
# Rows: a uniform tree (2,000 files of 4 KiB) signed with RSA-2048 and P-256; one 512 MiB
# file hashed; one small file signed; the uniform tree verified; an OS-like tree (copies
# of /usr/bin, /usr/lib/x86_64-linux-gnu and /usr/share/doc whole, issue 21's reference
# tree, made here in target/bench; more system directories while it holds fewer than 5,000
# files or 500 MB) signed and verified; peak RSS.
#
# Usage: bash tests/bench.sh      (root: ima_sign writes security.ima; needs hyperfine,
#                                  time, ima-evm-utils, openssl, python3: apt-get install)
#        BENCH_QUICK=1 bash tests/bench.sh
#                                 (checks the script in a minute: every size shrunk (200
#                                  files, 16 MiB, an OS-like tree of 300 files and 30 MB,
#                                  3,000 files for the RSS rows), 2 runs a row; its
#                                  figures mean nothing. Default: the full sizes above.)
set -euo pipefail
cd "$(dirname "$0")/.."
for c in hyperfine /usr/bin/time /usr/bin/evmctl openssl python3 xargs; do
	command -v "$c" >/dev/null || {
		echo "bench: $c is missing (apt-get install hyperfine time ima-evm-utils openssl python3)" >&2
		exit 1
	}
done
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root (ima_sign writes security.ima)" >&2; exit 1; }

# Sizes: the full ones, or BENCH_QUICK=1's to check the script itself.
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	tree_n=200 big_mib=16 os_files=300 os_mb=30 os_whole=0 many_n=3000 quick=1 ossl_s=1
else
	tree_n=2000 big_mib=512 os_files=5000 os_mb=500 os_whole=1 many_n=200000 quick=0 ossl_s=3
fi
runs() { # full run count -> the count for this mode
	if [ "$quick" = 1 ]; then echo 2; else echo "$1"; fi
}
cores=$(nproc)

target=x86_64-unknown-linux-gnu
RUSTFLAGS='-C target-feature=+crt-static' cargo build --quiet --release --locked --target "$target" --bins
cargo build --quiet --release --locked --example sign-rate
ours=$PWD/target/$target/release/evmctl
rate=$PWD/target/release/examples/sign-rate
up=/usr/bin/evmctl
w=$PWD/target/bench
rm -rf "$w"
mkdir -p "$w/tree"

echo "machine: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' (with uncommitted changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
if [ "$quick" = 1 ]; then
	echo "BENCH_QUICK=1: shrunk sizes, 2 runs a row; the figures mean nothing"
fi
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# The machine's limit, from OpenSSL 3 in this run, wall-clock (-elapsed) as our rows are:
# signatures and verifications per second on all cores together (-multi: one process per
# core, their rates summed), SHA-256 bytes per second on one core (one stream of 16 KiB
# blocks: a file's hash is one stream, it cannot be spread over cores).
speed() { openssl speed -elapsed -seconds "$ossl_s" "$@" 2>/dev/null; }
read -r rsa_sign_all rsa_verify_all < <(speed -multi "$cores" rsa2048 | awk '/^rsa 2048 bits/ {print $(NF-1), $NF}')
read -r ec_sign_all ec_verify_all < <(speed -multi "$cores" ecdsap256 | awk '/ecdsa \(nistp256\)/ {print $(NF-1), $NF}')
sha_one=$(speed -bytes 16384 -evp sha256 | awk '/^sha256 / {sub(/k$/, "", $NF); printf "%.0f\n", $NF * 1000}')
echo "openssl speed -elapsed: RSA-2048 $rsa_sign_all signatures and $rsa_verify_all verifications" \
	"per second on $cores cores; P-256 $ec_sign_all and $ec_verify_all; SHA-256 $sha_one bytes per second on one core"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$w/rsa.pem" -out "$w/rsa.crt" -days 2 -subj /CN=bench 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$w/p256.pem" \
	-out "$w/p256.crt" -days 2 -subj /CN=bench 2>/dev/null
for k in rsa p256; do
	openssl x509 -in "$w/$k.crt" -outform der -out "$w/$k.der"
done
head -c $((big_mib * 1024 * 1024)) /dev/urandom >"$w/big"
head -c 4096 /dev/urandom >"$w/small"
python3 - "$w/tree" "$tree_n" 4096 <<'PY'
import os, sys
d, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with open(os.path.join(d, f"f{i:04d}"), "wb") as f:
        f.write(os.urandom(size))
PY
cat "$w/big" >/dev/null # the page cache holds the big file for both programs

# The OS-like tree: the regular files of system directories (symbolic links and other
# types skipped, the directory structure kept), in a sorted walk: the first three
# directories whole (os_whole=1; issue 21 measured this tree: /usr/bin,
# /usr/lib/x86_64-linux-gnu and /usr/share/doc), then the others while it holds fewer than
# $os_files files or $os_mb MB (os_whole=0, BENCH_QUICK: stop as soon as it holds them).
# Prints its file count, bytes and largest file.
python3 - "$w/os" "$os_files" "$os_mb" "$os_whole" >"$w/os.facts" <<'PY'
import os, shutil, sys
dest, want_files, want_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) * 1000**2
whole = sys.argv[4] == "1"
files = total = largest = 0
def enough():
    return files >= want_files and total >= want_bytes
def copy_tree(src, stop_early=True):
    global files, total, largest
    for root, dirs, names in os.walk(src):
        dirs.sort()
        for name in sorted(names):
            p = os.path.join(root, name)
            q = os.path.join(dest, p.lstrip("/"))
            if os.path.islink(p) or not os.path.isfile(p) or os.path.exists(q):
                continue
            os.makedirs(os.path.dirname(q), exist_ok=True)
            try:
                shutil.copyfile(p, q)
            except OSError:
                continue
            n = os.path.getsize(q)
            files, total, largest = files + 1, total + n, max(largest, n)
            if stop_early and enough():
                return
reference = ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/share/doc"]
for src in reference + ["/usr/lib", "/usr/share", "/usr/libexec", "/usr/sbin"]:
    if whole and src in reference:
        copy_tree(src, stop_early=False)
    elif not enough():
        copy_tree(src)
if not enough():
    sys.exit(f"bench: the system directories hold only {files} files, {total} bytes")
print(files, total, largest)
PY
read -r os_n os_bytes os_largest <"$w/os.facts"
echo "OS-like tree: $os_n files, $((os_bytes / 1000000)) MB, the largest $((os_largest / 1000000)) MB"

rows=()
# name, goals ("<speed-up> <fraction of the limit>", "-" for none), runs, limit (seconds),
# our command, upstream command
bench() {
	local name=$1 goals=$2 n json="$w/${#rows[@]}.json"
	n=$(runs "$3")
	hyperfine -N --style none --warmup 1 --runs "$n" --export-json "$json" \
		-n ours "$5" -n upstream "$6" >/dev/null
	rows+=("$json|$goals|$4|$name")
}
# The least time the machine needs for a row (docs/speed.md, "The limit of each row"):
# every core busy with the row's work (SHA-256 of every byte, one signature or
# verification a file, spread over the cores), and never less than its largest file
# alone (one SHA-256 stream on one core) and that file's signature.
limit() { # files bytes largest-file signatures-or-verifications-per-second-on-all-cores
	python3 -c 'import sys
f, b, m, s, sha, cores = map(float, sys.argv[1:7])
print(max(b / (sha * cores) + f / s, m / sha + cores / s))' "$@" "$sha_one" "$cores"
}
tree_bytes=$((tree_n * 4096))
big_bytes=$((big_mib * 1024 * 1024))
bench "ima_sign -r, RSA-2048, $tree_n files of 4 KiB" "6 0.90" 10 \
	"$(limit "$tree_n" "$tree_bytes" 4096 "$rsa_sign_all")" \
	"$ours ima_sign -r --key $w/rsa.pem $w/tree" "$up ima_sign -r --key $w/rsa.pem $w/tree"
bench "ima_sign -r, ECDSA P-256, same tree" "20 -" 10 \
	"$(limit "$tree_n" "$tree_bytes" 4096 "$ec_sign_all")" \
	"$ours ima_sign -r --key $w/p256.pem $w/tree" "$up ima_sign -r --key $w/p256.pem $w/tree"
bench "ima_hash -n -a sha256, one $big_mib MiB file" "1.0 0.92" 5 \
	"$(python3 -c "print($big_bytes / $sha_one)")" \
	"$ours ima_hash -n -a sha256 $w/big" "$up ima_hash -n -a sha256 $w/big"
bench "one ima_sign, RSA-2048, one 4 KiB file" "2 -" 60 \
	"$(limit 1 4096 4096 "$rsa_sign_all")" \
	"$ours ima_sign --key $w/rsa.pem $w/small" "$up ima_sign --key $w/rsa.pem $w/small"

# Multi-file ima_verify (upstream loops over its file operands; it has no -r): both verify
# the same signed copy of a tree, the same operands in the same order, with the DER
# certificate upstream needs. The operands come from a list through xargs, one invocation
# (-x: fail rather than split; the OS-like tree's list is longer than one argument may be),
# for both programs alike.
for k in rsa p256; do
	cp -r "$w/tree" "$w/verify-$k"
	"$ours" ima_sign -r --key "$w/$k.pem" "$w/verify-$k" >/dev/null 2>&1
	find "$w/verify-$k" -type f -print0 >"$w/verify-$k.list"
done
xa="xargs -0 -x -s 2000000 -a"
bench "ima_verify of the $tree_n-file tree, RSA-2048" "2 -" 10 \
	"$(limit "$tree_n" "$tree_bytes" 4096 "$rsa_verify_all")" \
	"$xa $w/verify-rsa.list $ours ima_verify --key $w/rsa.der" \
	"$xa $w/verify-rsa.list $up ima_verify --key $w/rsa.der"
bench "ima_verify of the $tree_n-file tree, ECDSA P-256" "- -" 10 \
	"$(limit "$tree_n" "$tree_bytes" 4096 "$ec_verify_all")" \
	"$xa $w/verify-p256.list $ours ima_verify --key $w/p256.der" \
	"$xa $w/verify-p256.list $up ima_verify --key $w/p256.der"

# The OS-like tree, signed (RSA-2048, -r), then verified (the same files, as operands).
bench "ima_sign -r, RSA-2048, OS-like tree ($os_n files, $((os_bytes / 1000000)) MB)" "5 0.90" 5 \
	"$(limit "$os_n" "$os_bytes" "$os_largest" "$rsa_sign_all")" \
	"$ours ima_sign -r --key $w/rsa.pem $w/os" "$up ima_sign -r --key $w/rsa.pem $w/os"
find "$w/os" -type f -print0 >"$w/os.list"
bench "ima_verify of the OS-like tree, RSA-2048" "- -" 5 \
	"$(limit "$os_n" "$os_bytes" "$os_largest" "$rsa_verify_all")" \
	"$xa $w/os.list $ours ima_verify --key $w/rsa.der" \
	"$xa $w/os.list $up ima_verify --key $w/rsa.der"

# Peak RSS of ima_sign -r over growing trees (small files; P-256 keeps the runs short).
# The 200,000 files live in tmpfs (security.ima works there): made and removed in seconds,
# where a disk takes minutes to delete them.
many=$(mktemp -d -p /dev/shm imaevm-bench.XXXXXX)
trap 'rm -rf "$many"' EXIT
python3 - "$many" "$many_n" <<'PY'
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
dirs=$((many_n / 1000))
rss_2k=$(rss_kib "$many/000" "$many/001")
# shellcheck disable=SC2046 # one operand per directory
rss_20k=$(rss_kib $(printf "$many/%03d " $(seq 0 $((dirs < 20 ? dirs - 1 : 19)))))
rss_all=$(rss_kib "$many")
rss_up_2k=$(/usr/bin/time -f %M "$up" ima_sign -r --key "$w/p256.pem" "$many/000" "$many/001" 2>&1 >/dev/null | tail -1)

# The RSA-2048 primitive, one core, per CPU second (openssl speed counts CPU time unless
# -elapsed; sign-rate does the same): OpenSSL against our library's two backends.
ossl=$(openssl speed -seconds "$ossl_s" rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $(NF-1)}')
read -r _ awslc < <(IMAEVM_SIGN_BACKEND=aws-lc "$rate" "$w/rsa.pem" "$ossl_s")
read -r _ rustcrypto < <(IMAEVM_SIGN_BACKEND=rustcrypto "$rate" "$w/rsa.pem" "$ossl_s")
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

python3 - "$rss_2k" "$rss_20k" "$rss_all" "$rss_up_2k" "$ossl" "$awslc" "$rustcrypto" "$many_n" "${rows[@]}" <<'PY'
import json, sys
rss2k, rss20k, rssall, rss_up, ossl, awslc, rustcrypto, many = sys.argv[1:9]
print("| work | ours (median) | upstream (median) | limit | of limit | speed-up | goals | | CPU ours / upstream |")
print("|---|---|---|---|---|---|---|---|---|")
def fmt(s):
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"
for row in sys.argv[9:]:
    path, goals, limit, name = row.split("|", 3)
    res = {r["command"]: r for r in json.load(open(path))["results"]}
    o, u, lim = res["ours"]["median"], res["upstream"]["median"], float(limit)
    cpu = lambda r: r["user"] + r["system"]
    ratio, frac = u / o, lim / o
    speed_goal, frac_goal = goals.split()
    texts, met = [], True
    if speed_goal != "-":
        g = float(speed_goal)
        if u / g < lim:
            # Even at this machine's limit ours would not be g times faster: upstream's time
            # divided by g is below the limit. Shown, not judged (issue 21: the machine is
            # the bar, not upstream).
            texts.append(f">= {speed_goal}x: beyond the limit here (upstream / {speed_goal} = {fmt(u / g)})")
        else:
            texts.append(f">= {speed_goal}x")
            met = met and ratio >= g
    if frac_goal != "-":
        texts.append(f">= {frac_goal} of limit")
        met = met and frac >= float(frac_goal)
    verdict = ("met" if met else "NOT met") if texts else ""
    print(f"| {name} | {fmt(o)} | {fmt(u)} | {fmt(lim)} | {frac:.2f} | {ratio:.2f}x "
          f"| {', '.join(texts) or '-'} | {verdict} "
          f"| {fmt(cpu(res['ours']))} / {fmt(cpu(res['upstream']))} |")
mib = lambda k: int(k) / 1024
flat = "met" if mib(rssall) <= 64 else "NOT met"
print(f"| peak RSS, ima_sign -r, 2,000 / 20,000 / {int(many):,} files | {mib(rss2k):.1f} / "
      f"{mib(rss20k):.1f} / {mib(rssall):.1f} MiB | {mib(rss_up):.1f} MiB (2,000 files) "
      f"| 64 MiB | | | <= 64 MiB at {int(many):,} files | {flat} | |")
print()
print("| RSA-2048 signatures per CPU second, one core | per second | against openssl speed |")
print("|---|---|---|")
o = float(ossl)
for name, v in [("openssl speed rsa2048 (OpenSSL 3, the reference)", ossl),
                ("ours, aws-lc backend (the default for RSA >= 2048)", awslc),
                ("ours, rustcrypto backend (RSA-1024, sha1, ...)", rustcrypto)]:
    print(f"| {name} | {float(v):.0f} | {float(v) / o:.2f} |")
PY
