#!/usr/bin/env bash
# Installs everything tcplab's build, tests and harness need on Debian 12 (or Ubuntu 22.04/24.04,
# without --vm), then builds into build/.
# Idempotent: when every package is present and the build is current it is a fast no-op.
# Environment: TCPLAB_WERROR=ON|OFF (default OFF), TCPLAB_SANITIZE=address,undefined,
#              TCPLAB_BUILD_DIR (default build), TCPLAB_SKIP_INSTALL=1 (build only),
#              TCPLAB_INSTALL_ONLY=1 (packages only, no build),
#              TCPLAB_TARGETS="tcplab ..." (build only these targets; default: everything).
# Progress: one "setup.sh: ..." line per step (run_scenario.sh shows those and logs the rest).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${TCPLAB_BUILD_DIR:-$repo/build}
# Unset means "keep what the build directory was configured with" (OFF / none for a new one), so
# run_scenario.sh after a CI-style TCPLAB_WERROR=ON test run does not rebuild everything.
werror=${TCPLAB_WERROR-}
sanitize=${TCPLAB_SANITIZE-}

die() { echo "setup.sh: $*" >&2; exit 1; }

# Every package the build, the tests, the benchmarks and the harness use.
packages=(
    build-essential cmake pkg-config git ca-certificates
    libpcap-dev libssl-dev libboost-program-options-dev nlohmann-json3-dev
    googletest libgtest-dev libgmock-dev libbenchmark-dev
    clang libclang-rt-14-dev clang-format
    iproute2 nftables iptables ethtool tcpdump tshark openssl kmod procps psmisc
    user-mode-linux iputils-ping iperf3 hping3 netsniff-ng tcptrace
    python3 curl wireshark-common time bc librsvg2-bin
)

# Per distribution: Debian 12 is the reference list. Ubuntu ships no user-mode-linux kernel (jammy
# and noble have only user-mode-linux-doc), so there `--vm` is unavailable; its stock kernels have
# sch_netem, so `--backend tc` runs natively. The sanitizers' compiler-rt follows each release's
# clang: noble's clang is 18 (libclang-rt-18-dev); jammy's llvm-toolchain-14 (14.0.0) predates
# Debian's libclang-rt-14-dev split and ships compiler-rt inside libclang-common-14-dev.
# Every name, per release, with the page that confirms it: docs/PLATFORMS.md.
# TCPLAB_OS_RELEASE=FILE reads another os-release (tests); TCPLAB_PRINT_PACKAGES=1 prints the list
# and exits.
os_release=${TCPLAB_OS_RELEASE:-/etc/os-release}
distro=$(. "$os_release" 2>/dev/null && echo "${ID:-debian} ${VERSION_ID:-12}") || distro="debian 12"
adjusted=()
for pkg in "${packages[@]}"; do
    case "$distro:$pkg" in
        ubuntu*:user-mode-linux) ;;
        "ubuntu 22.04:libclang-rt-14-dev") adjusted+=(libclang-common-14-dev) ;;
        "ubuntu 24.04:libclang-rt-14-dev") adjusted+=(libclang-rt-18-dev) ;;
        *) adjusted+=("$pkg") ;;
    esac
done
packages=("${adjusted[@]}")
if [ "${TCPLAB_PRINT_PACKAGES:-0}" = 1 ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi
case "$distro" in
    "ubuntu 22.04" | "ubuntu 24.04") echo "setup.sh: $distro: no user-mode-linux package here, so --vm is unavailable (the kernel's own sch_netem serves --backend tc)" ;;
    ubuntu*) echo "setup.sh: $distro: no user-mode-linux package here, so --vm is unavailable; package names are confirmed for Ubuntu 22.04 and 24.04 only (docs/PLATFORMS.md); trying Debian 12's names without it" ;;
    debian*) ;;
    *) echo "setup.sh: $distro is not Debian or Ubuntu; trying Debian 12's package names" ;;
esac

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to install packages (run as root or install sudo)"; fi
}

missing_packages() {
    local pkg
    for pkg in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
    done
}

if [ "${TCPLAB_SKIP_INSTALL:-0}" != 1 ]; then
    mapfile -t missing < <(missing_packages)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "setup.sh: installing ${#missing[@]} Debian packages (${missing[*]}); a few minutes on a new machine"
        export DEBIAN_FRONTEND=noninteractive
        # tshark asks whether non-root users may capture; answer it so apt never blocks.
        echo 'wireshark-common wireshark-common/install-setuid boolean false' | as_root debconf-set-selections
        as_root apt-get update -qq || die "apt-get update failed"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null || die "apt-get install failed for: ${missing[*]}"
        mapfile -t still < <(missing_packages)
        [ ${#still[@]} -eq 0 ] || die "packages still missing after install: ${still[*]}"
    fi
fi

[ "${TCPLAB_INSTALL_ONLY:-0}" = 1 ] && exit 0

# Configure when there is no build yet, or when an option was asked for that differs from the
# cache; otherwise cmake --build re-runs cmake itself when a CMakeLists.txt changed.
cached() { sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt" 2>/dev/null; }
configure=()
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    configure=(-DCMAKE_BUILD_TYPE=Release -DTCPLAB_WERROR="${werror:-OFF}" -DTCPLAB_SANITIZE="$sanitize")
else
    [ -n "$werror" ] && [ "$(cached TCPLAB_WERROR)" != "$werror" ] && configure+=(-DTCPLAB_WERROR="$werror")
    [ -n "${TCPLAB_SANITIZE+set}" ] && [ "$(cached TCPLAB_SANITIZE)" != "$sanitize" ] \
        && configure+=(-DTCPLAB_SANITIZE="$sanitize")
fi
first_build=0
[ -f "$build_dir/CMakeCache.txt" ] || first_build=1
if [ ${#configure[@]} -gt 0 ]; then
    echo "setup.sh: configuring $build_dir"
    cmake -S "$repo" -B "$build_dir" "${configure[@]}" >/dev/null || die "cmake configure failed (see output above)"
fi
read -r -a targets <<<"${TCPLAB_TARGETS:-}"
what=${TCPLAB_TARGETS:-everything (tcplab, tests, benchmarks)}
# Measured from a clean clone on 2 cores: tcplab alone ~65 s, everything ~135 s.
if [ "$first_build" = 1 ]; then
    [ ${#targets[@]} -gt 0 ] && took="~1 min" || took="~2-3 min"
    echo "setup.sh: building $what for the first time ($took on 2 cores)"
else
    echo "setup.sh: building $what (only what changed)"
fi
cmake --build "$build_dir" -j "$(nproc)" ${targets[@]:+--target "${targets[@]}"} \
    || die "build failed (see the compiler output above)"
test -x "$build_dir/app/tcplab" || die "build finished but $build_dir/app/tcplab is missing"
