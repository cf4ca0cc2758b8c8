#!/usr/bin/env bash
# Builds the kernel's scripts/sign-file from Debian's linux-source-6.12 package, once, into
# a cache outside the repository (IMAEVM_CACHE, default /var/tmp/imaevm-cache), and prints
# the path of the binary. Needs apt-get (to download the package), dpkg-deb, xz, gcc and
# libssl-dev. The reference for tests/modsig_signfile.rs: our appended signatures are
# compared with what the kernel's own tool writes.
set -euo pipefail

cache=${IMAEVM_CACHE:-/var/tmp/imaevm-cache}/sign-file-6.12
bin=$cache/sign-file
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
cd "$cache"
tarball=/usr/src/linux-source-6.12.tar.xz
if [ ! -f "$tarball" ]; then
  if ! ls linux-source-6.12_*.deb >/dev/null 2>&1; then
    # apt-get download runs as _apt when it can: give it a directory it may write.
    chmod 0777 "$cache" 2>/dev/null || true
    apt-get download linux-source-6.12 >&2
  fi
  rm -rf deb
  dpkg-deb -x linux-source-6.12_*.deb deb
  tarball=$cache/deb/usr/src/linux-source-6.12.tar.xz
fi
tar -xJf "$tarball" linux-source-6.12/scripts/sign-file.c linux-source-6.12/scripts/ssl-common.h
gcc -O1 -o sign-file.tmp linux-source-6.12/scripts/sign-file.c -lcrypto 2>gcc.log || {
  cat gcc.log >&2
  exit 1
}
mv sign-file.tmp sign-file
rm -rf deb linux-source-6.12_*.deb
echo "$bin"
