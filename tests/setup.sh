#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian 12 machine (idempotent; root or
# sudo). Packages are installed only when missing, so a second run is quick.
set -euo pipefail

packages=(
  ima-evm-utils   # upstream evmctl 1.4: the reference for byte identity
  gcc             # C compiler: aws-lc-sys builds AWS-LC, the fast signing backend (no cmake needed)
  libc6-dev
  keyutils        # keyctl: kernel keyring checks in a fresh session keyring
  attr            # getfattr/setfattr for manual inspection in scripts
  openssl         # test keys and certificates
  util-linux      # setpriv: running commands unprivileged
  bsdutils        # script: a pseudo-terminal for the password prompt test
  xxd
  time            # /usr/bin/time: peak RSS and wall time per run (tests/resource_bounds.rs)
  man-db          # man --warnings: the committed man pages render cleanly (docs_drift)
  groff-base
  fish            # the completion scripts load and complete in their shells (docs_drift)
  zsh
  softhsm2        # a PKCS#11 token in a temporary directory (pkcs11_softhsm)
  gnutls-bin      # p11tool: initialises that token and imports keys, PINs from the environment
  p11-kit-modules # p11-kit-proxy.so: the module used when a pkcs11: URI names none
  libengine-pkcs11-openssl # libp11's OpenSSL engine: the type=public reference signatures (pkcs11_softhsm)
  p11-kit         # p11-kit server: a token exported on a socket, signed through p11-kit-client.so (pkcs11_softhsm)
  gcc             # tests/tools/build-sign-file.sh: the kernel's sign-file, the modsig reference
  libssl-dev
  xz-utils
  autoconf        # tests/tools/build-upstream-1.5.sh: upstream evmctl 1.5 from Debian's source
  automake
  libtool
  libkeyutils-dev
  fsverity        # fsverity enable/digest/measure: fs-verity files for the sigv3 ima_verify tests (evmctl_verity_file)
  sbsigntool      # sbsign/sbverify: PE (Authenticode) signed kexec images for tests/kexec_preflight.rs
  efitools        # cert-to-efi-sig-list: efivarfs db and MokListRT fixtures for tests/kexec_preflight.rs
  gcc-aarch64-linux-gnu  # tests/tools/build-aarch64.sh: the static aarch64 evmctl and imactl (AWS-LC, link)
  libc6-dev-arm64-cross
  qemu-user-static       # qemu-aarch64-static: tests/aarch64_identity.rs runs the aarch64 build
)
# Extra packages named by the other test groups (VM, packaging) are appended here.
if [ -f tests/vm/packages.txt ]; then
  mapfile -t -O "${#packages[@]}" packages < <(grep -v '^#' tests/vm/packages.txt | awk 'NF{print $1}')
fi
if [ -f packaging/boot-packages.txt ]; then
  mapfile -t -O "${#packages[@]}" packages < <(grep -v '^#' packaging/boot-packages.txt | awk 'NF{print $1}')
fi
if [ -f packaging/rpm/packages.txt ]; then
  mapfile -t -O "${#packages[@]}" packages < <(grep -v '^#' packaging/rpm/packages.txt | awk 'NF{print $1}')
fi

# arm64 packages (Multi-Arch): the arm64 VM's guest programs (tests/vm/arm64-run.sh), and
# Debian's Rust for aarch64 when rustup cannot add the target (tests/tools/build-aarch64.sh).
update=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "setup: dpkg --add-architecture arm64"
  $SUDO dpkg --add-architecture arm64
  update=1
fi

missing=()
for p in "${packages[@]}"; do
  p=${p%%#*}
  [ -n "$p" ] || continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || [ $update = 1 ]; then
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "setup: cargo is missing (install Rust with rustup)" >&2; exit 1; }
