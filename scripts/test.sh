#!/usr/bin/env bash
# The whole test suite: set-up (install + build via setup.sh), then every test through ctest —
# unit tests, integration tests (root: namespaces, raw sockets, UML) and the scenario library.
# Extra arguments go to ctest, e.g.  sudo ./scripts/test.sh -L unit   or   -R analyzer
# The 15 scenarios on tc netem in User-Mode Linux (ctest label scenario_uml, ~2.5 min, run one at a
# time) are left out unless TCPLAB_WITH_UML=1: CI runs them as a step of their own
# (TCPLAB_WITH_UML=1 ./scripts/test.sh -L scenario_uml), which keeps this script under 15 min.
# A test that skips fails the run unless it is on the list of expected skips at the end.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
    exec sudo -E "$0" "$@"
fi
[ "$(id -u)" -eq 0 ] || echo "test.sh: not root: integration tests will be reported as skipped" >&2

"$repo/scripts/setup.sh"
build_dir=${TCPLAB_BUILD_DIR:-$repo/build}
cd "$build_dir"
# Leftovers of a killed run would make namespace tests collide; remove only tcplab's own (tl<N>-*).
if [ -x app/tcplab ] && [ "$(id -u)" -eq 0 ]; then
    app/tcplab net down --stale >/dev/null 2>&1 || true
fi
# The whole suite: also re-derive every committed analyzer expectation with tshark (the oracle).
export TCPLAB_TSHARK_RECHECK=1
# Asked once here instead of once per tshark_expected.sh call (each tshark start costs ~1 s).
if command -v tshark >/dev/null; then
    TCPLAB_TSHARK_VERSION=$(tshark --version 2>/dev/null | head -n 1)
    export TCPLAB_TSHARK_VERSION
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
uml=(-LE scenario_uml)
[ "${TCPLAB_WITH_UML:-0}" = 1 ] && uml=()
ctest --output-on-failure --timeout 900 -j "$(nproc)" "${uml[@]}" "$@" 2>&1 | tee "$log" || rc=$?

# A skipped test is a failure unless it is one of these, each for its reason:
#  - VmGuestSide.*: runs only inside a User-Mode Linux guest (VmCi runs it there);
#  - TcNetem.*, when this kernel has no sch_netem: they run inside the guest instead
#    (VmCi.TcBackendTestsPassInGuest).
#  - every User-Mode Linux test, where no UML kernel is installed (Ubuntu has no package; its
#    kernels have sch_netem, so the tc backend runs natively there instead).
allowed_skip='^VmGuestSide\.'
if ! modprobe -q sch_netem 2>/dev/null; then
    allowed_skip+='|^TcNetem\.'
fi
if [ ! -x /usr/bin/linux.uml ]; then
    allowed_skip+='|^Vm[A-Za-z]*\.|^scenario_uml_'
fi
unexpected=$("$repo/scripts/unexpected_skips.sh" "$log" "$allowed_skip")
if [ -n "$unexpected" ]; then
    echo "test.sh: skipped, but not an expected skip (see scripts/test.sh for the list and reasons):" >&2
    printf '  %s\n' $unexpected >&2
    [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
