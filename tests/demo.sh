#!/usr/bin/env bash
# The main job, end to end on this machine: build the static release binaries (no shared
# libraries: usable in an initramfs and for kexec), make a throwaway signing key, sign a
# kernel-sized sample file into security.ima (user.ima when not root), and verify it.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v openssl >/dev/null || { echo "demo: openssl is missing (apt-get install openssl)" >&2; exit 1; }
target=x86_64-unknown-linux-gnu
echo "== building static release binaries"
RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$target" --bins
bin=target/$target/release
if command -v file >/dev/null; then file "$bin/evmctl" "$bin/imactl"; fi

work=target/demo
rm -rf "$work"; mkdir -p "$work"
echo "== throwaway RSA-2048 key and certificate in $work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/signing_key.pem" \
  -out "$work/cert.pem" -days 30 -subj "/CN=imaevm demo key" 2>/dev/null
openssl x509 -in "$work/cert.pem" -outform DER -out "$work/cert.der"

sample="$work/vmlinuz-sample"
head -c 12000000 /dev/urandom > "$sample"
ns=()
if [ "$(id -u)" -ne 0 ]; then ns=(--xattr-user); echo "(not root: using user.ima)"; fi

echo "== evmctl ima_sign --key $work/signing_key.pem $sample"
"$bin/evmctl" ima_sign "${ns[@]}" --key "$work/signing_key.pem" "$sample"
echo "== evmctl ima_verify --key $work/cert.der $sample"
"$bin/evmctl" ima_verify "${ns[@]}" --key "$work/cert.der" "$sample"
echo "demo: signed and verified $sample"
