#!/usr/bin/env bash
# Speed and memory of our evmctl beside Debian's upstream evmctl 1.4, on the same files,
# reported as ratios (ours / upstream; below 1 means we are faster or smaller). Not part of
# the test suite and nothing here is enforced: timings depend on the machine.
# Usage: bash tests/bench.sh   (needs: hyperfine, GNU time, ima-evm-utils, openssl)
set -euo pipefail
cd "$(dirname "$0")/.."
for c in hyperfine /usr/bin/time /usr/bin/evmctl openssl python3; do
  command -v "$c" >/dev/null || { echo "bench: $c is missing (apt-get install hyperfine time ima-evm-utils openssl)" >&2; exit 1; }
done
target=x86_64-unknown-linux-gnu
RUSTFLAGS='-C target-feature=+crt-static' cargo build --quiet --release --locked --target "$target" --bins
ours=$PWD/target/$target/release/evmctl
up=/usr/bin/evmctl
w=$PWD/target/bench
rm -rf "$w"; mkdir -p "$w/tree"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$w/k.pem" -out "$w/c.pem" -days 2 -subj /CN=bench 2>/dev/null
head -c $((1024*1024*1024)) /dev/urandom > "$w/big"
head -c 4096 /dev/urandom > "$w/small"
for i in $(seq 1 1000); do head -c 4096 /dev/urandom > "$w/tree/f$i"; done
cat "$w/big" > /dev/null   # warm the page cache

results=()
bench() { # name, our command, upstream command
  local name=$1 json="$w/$1.json"
  hyperfine --style none --warmup 1 --min-runs 5 --export-json "$json" -n ours "$2" -n upstream "$3" >/dev/null
  results+=("$name $json")
}
bench "ima_hash-sha256-1GiB" "$ours ima_hash -n -a sha256 $w/big" "$up ima_hash -n -a sha256 $w/big"
bench "ima_hash-sha512-1GiB" "$ours ima_hash -n -a sha512 $w/big" "$up ima_hash -n -a sha512 $w/big"
bench "ima_sign-rsa2048-4KiB" "$ours ima_sign -n --key $w/k.pem $w/small" "$up ima_sign -n --key $w/k.pem $w/small"
bench "ima_sign-rsa2048-1000-files" "$ours ima_sign -n --key $w/k.pem $w/tree/*" \
  "sh -c 'for f in $w/tree/*; do $up ima_sign -n --key $w/k.pem \$f; done'"

rss() { /usr/bin/time -o "$w/rss" -f %M "$@" >/dev/null 2>&1 || true; tail -1 "$w/rss"; }
mem_ours=$(rss "$ours" ima_hash -n "$w/big")
mem_up=$(rss "$up" ima_hash -n "$w/big")

echo "benchmark                          ours (s)   upstream (s)   ours/upstream"
for r in "${results[@]}"; do
  set -- $r
  python3 - "$1" "$2" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
res = {r["command"]: r["mean"] for r in json.load(open(path))["results"]}
print(f"{name:<34} {res['ours']:>8.4f}   {res['upstream']:>12.4f}   {res['ours']/res['upstream']:>13.2f}")
PY
done
python3 -c "import sys; o,u=int(sys.argv[1]),int(sys.argv[2]); print(f\"{'max RSS, ima_hash 1GiB (KiB)':<34} {o:>8}   {u:>12}   {o/u:>13.2f}\")" "$mem_ours" "$mem_up"
echo "(upstream signs one file per process: it has no multi-file ima_sign; ours signs the 1000 files in one process, in parallel on $(nproc) cores)"
