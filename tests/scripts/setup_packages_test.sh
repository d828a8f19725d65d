#!/usr/bin/env bash
# setup.sh's package list per distribution: Debian 12's reference list; on Ubuntu no
# user-mode-linux (it has none), noble's compiler-rt for its clang 18 and jammy's inside
# libclang-common-14-dev (jammy has no libclang-rt-14-dev). Evidence: docs/PLATFORMS.md.
# Fails on any difference.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
list() {  # ID VERSION_ID -> the packages setup.sh would install there
    printf 'ID=%s\nVERSION_ID="%s"\n' "$1" "$2" > "$tmp/os-release"
    TCPLAB_OS_RELEASE="$tmp/os-release" TCPLAB_PRINT_PACKAGES=1 "$repo/scripts/setup.sh"
}
fail() { echo "setup_packages_test: $*" >&2; exit 1; }
debian=$(list debian 12)
grep -qx user-mode-linux <<<"$debian" || fail "Debian 12 lacks user-mode-linux"
grep -qx libclang-rt-14-dev <<<"$debian" || fail "Debian 12 lacks libclang-rt-14-dev"
for v in 22.04 24.04; do
    ubuntu=$(list ubuntu "$v")
    ! grep -qx user-mode-linux <<<"$ubuntu" || fail "Ubuntu $v: user-mode-linux does not exist there"
    [ "$(wc -l <<<"$ubuntu")" -eq "$(( $(wc -l <<<"$debian") - 1 ))" ] || fail "Ubuntu $v: list size"
done
grep -qx libclang-rt-18-dev <<<"$(list ubuntu 24.04)" || fail "Ubuntu 24.04: compiler-rt for clang 18"
jammy=$(list ubuntu 22.04)
grep -qx libclang-common-14-dev <<<"$jammy" || fail "Ubuntu 22.04: compiler-rt for clang 14"
! grep -qx libclang-rt-14-dev <<<"$jammy" || fail "Ubuntu 22.04: libclang-rt-14-dev does not exist there"
! grep -qx libclang-rt-14-dev <<<"$(list ubuntu 24.04)" || fail "Ubuntu 24.04: clang is 18, not 14"
# Every other name is the same as Debian 12's (docs/PLATFORMS.md confirms them for both releases).
for v in 22.04 24.04; do
    other=$(diff <(grep -vx -e user-mode-linux -e libclang-rt-14-dev <<<"$debian") \
        <(grep -vx -e libclang-common-14-dev -e libclang-rt-18-dev <<<"$(list ubuntu "$v")")) \
        || fail "Ubuntu $v: names differ from Debian 12's beyond UML and compiler-rt: $other"
done
echo "setup_packages_test: Debian 12 $(wc -l <<<"$debian") packages; Ubuntu 22.04 and 24.04 adjusted"
