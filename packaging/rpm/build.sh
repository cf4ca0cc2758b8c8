#!/bin/sh
# Builds the imaevm RPM (binary and source) from this checkout.
#
#   packaging/rpm/build.sh
#
# Steps:
#   1. Source0: the working tree as git sees it (tracked files plus untracked, not ignored
#      ones: uncommitted edits included), as imaevm-VERSION.tar.gz.
#   2. Source1: `cargo vendor` of Cargo.lock, as imaevm-VERSION-vendor.tar.gz. This is the
#      only step that needs the network (crates.io); it is skipped when the tarball for the
#      same Cargo.lock is already there.
#   3. rpmbuild -ba with _topdir target/rpm (override: IMAEVM_RPM_TOPDIR); the build inside
#      rpmbuild is offline (cargo --offline --frozen against vendor/), and runs without any
#      network (unshare -n) where the builder may make a network namespace.
#
# On a system whose packages rpm does not manage (Debian, Ubuntu), BuildRequires cannot be
# checked: --nodeps is added then. Extra rpmbuild arguments: RPMBUILD_FLAGS.
# Prints the paths of the built RPMs on the last lines of its output.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
topdir=${IMAEVM_RPM_TOPDIR:-$repo/target/rpm}
version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
spec_version=$(sed -n 's/^Version: *//p' packaging/rpm/imaevm.spec)
if [ "$version" != "$spec_version" ]; then
    echo "build.sh: Cargo.toml says version $version, imaevm.spec says $spec_version: make them agree" >&2
    exit 1
fi
name=imaevm-$version
mkdir -p "$topdir/SOURCES" "$topdir/SPECS"

# 1. The tree.
# (deleted but still tracked files are left out)
# shellcheck disable=SC2016 # $f expands in the inner sh
git ls-files -z --cached --others --exclude-standard \
    | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - --transform "s,^,$name/," -czf "$topdir/SOURCES/$name.tar.gz"

# 2. The crates, vendored once per Cargo.lock.
lock_sum=$(sha256sum Cargo.lock | cut -d' ' -f1)
vendor_tar=$topdir/SOURCES/$name-vendor.tar.gz
if [ ! -f "$vendor_tar" ] || [ "$(cat "$vendor_tar.lock-sha256" 2>/dev/null)" != "$lock_sum" ]; then
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    cargo vendor --locked --quiet "$work/vendor" >/dev/null
    tar -C "$work" -czf "$vendor_tar" vendor
    echo "$lock_sum" > "$vendor_tar.lock-sha256"
fi

# 3. rpmbuild.
cp packaging/rpm/imaevm.spec "$topdir/SPECS/"
nodeps=
if ! rpm -q --quiet rpm 2>/dev/null; then
    nodeps=--nodeps
fi
# Where it can (root, unshare), rpmbuild runs in a network namespace of its own: proof
# that the build needs nothing but the two tarballs.
offline=
if unshare -n true 2>/dev/null; then
    offline="unshare -n"
    echo "build.sh: rpmbuild runs without network (unshare -n)"
fi
# shellcheck disable=SC2086 # word splitting of the flags is meant
$offline rpmbuild -ba $nodeps ${RPMBUILD_FLAGS:-} --define "_topdir $topdir" "$topdir/SPECS/imaevm.spec"
find "$topdir/RPMS" "$topdir/SRPMS" -name "imaevm-$version-*.rpm" -newer "$topdir/SOURCES/$name.tar.gz"
