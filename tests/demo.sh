#!/usr/bin/env bash
# The main job, end to end on this machine: build the static release binaries (no shared
# libraries: usable in an initramfs and for kexec), make a throwaway local CA and a signing
# key it issues (imactl key ca / key new), sign a kernel-sized sample file into security.ima
# (user.ima when not root), and verify it.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
echo "== building static release binaries"
RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" --bins
bin=target/$target/release
if command -v file >/dev/null; then file "$bin/evmctl" "$bin/imactl"; fi

work=target/demo
rm -rf "$work"; mkdir -p "$work"
echo "== throwaway local CA and RSA-2048 signing key in $work (unencrypted: a demo)"
"$bin/imactl" key ca --type rsa2048 --subject "CN=imaevm demo CA" --days 2 --out "$work/ca" >/dev/null 2>&1
"$bin/imactl" key new --type rsa2048 --subject "CN=imaevm demo key" --days 2 \
  --ca-cert "$work/ca/ca.pem" --ca-key "$work/ca/ca.key" --out "$work/key" 2>/dev/null

sample="$work/vmlinuz-sample"
head -c 12000000 /dev/urandom > "$sample"
ns=()
if [ "$(id -u)" -ne 0 ]; then ns=(--xattr-user); echo "(not root: using user.ima)"; fi

echo "== evmctl ima_sign --key $work/key/ima.key $sample"
"$bin/evmctl" ima_sign "${ns[@]}" --key "$work/key/ima.key" "$sample"
echo "== evmctl ima_verify --key $work/key/ima.der $sample"
"$bin/evmctl" ima_verify "${ns[@]}" --key "$work/key/ima.der" "$sample"
echo "demo: signed and verified $sample"
