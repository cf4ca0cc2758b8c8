#!/usr/bin/env bash
# Builds upstream evmctl 1.5 from Debian's source package (trixie's ima-evm-utils 1.5-2),
# once, into a cache outside the repository (IMAEVM_CACHE, default /var/tmp/imaevm-cache),
# with DEBUG defined so that the `hmac` command exists. Prints the path of a wrapper that
# runs it with its own libimaevm. The system's apt configuration is not touched: a private
# sources list and state directory are used. Needs apt-get, autoconf, automake, libtool,
# gcc, libssl-dev and libkeyutils-dev (tests/setup.sh installs them).
# The reference for what evmctl 1.4 lacks: sign_hash --veritysig (sigv3), hmac --hmackey.
set -euo pipefail

cache=${IMAEVM_CACHE:-/var/tmp/imaevm-cache}/upstream-1.5
wrapper=$cache/evmctl-1.5
if [ -x "$wrapper" ]; then
  echo "$wrapper"
  exit 0
fi
mkdir -p "$cache/lists/partial" "$cache/archives"
cd "$cache"
echo "deb-src http://deb.debian.org/debian trixie main" >sources.list
apt_opts=(
  -o "Dir::Etc::SourceList=$cache/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$cache/lists" -o "Dir::Cache::archives=$cache/archives"
  -o APT::Sandbox::User=root
)
if ! ls ima-evm-utils_1.5.orig.tar.gz >/dev/null 2>&1; then
  apt-get "${apt_opts[@]}" update >&2
  apt-get "${apt_opts[@]}" source --download-only ima-evm-utils=1.5-2 >&2
fi
rm -rf ima-evm-utils-1.5
tar -xzf ima-evm-utils_1.5.orig.tar.gz
cd ima-evm-utils-1.5
{
  autoreconf -fi
  ./configure --disable-dependency-tracking CFLAGS="-g -O2 -DDEBUG"
  make -C src
} >../build.log 2>&1 || {
  tail -20 ../build.log >&2
  exit 1
}
cat >"$wrapper.tmp" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH=$cache/ima-evm-utils-1.5/src/.libs exec $cache/ima-evm-utils-1.5/src/.libs/evmctl "\$@"
WRAP
chmod +x "$wrapper.tmp"
mv "$wrapper.tmp" "$wrapper"
echo "$wrapper"
