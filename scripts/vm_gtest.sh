#!/usr/bin/env bash
# Runs a GoogleTest binary inside a User-Mode Linux guest (real sch_netem) and fails unless its
# tests ran there: exit 0 only when at least one test ran, none failed and none was skipped.
#   scripts/vm_gtest.sh BINARY [GTEST_FILTER] [-- extra gtest args...]
# e.g. scripts/vm_gtest.sh build/tests/integration_netem 'Tc*'
# Environment: TCPLAB (tcplab binary, default build/app/tcplab), TCPLAB_VM_TIMEOUT (s, default 900).
# The guest gets TCPLAB_REQUIRE_NETEM=1 (netem tests fail instead of skipping) and TCPLAB_IN_VM=1.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BINARY [GTEST_FILTER] [-- gtest args...]" >&2; exit 2; }
binary=$(realpath "$1"); shift
filter=${1:-*}; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
tcplab=${TCPLAB:-$repo/build/app/tcplab}
[ -x "$binary" ] || { echo "vm_gtest.sh: $binary is not an executable" >&2; exit 2; }
[ -x "$tcplab" ] || { echo "vm_gtest.sh: $tcplab not built (set TCPLAB=)" >&2; exit 3; }

results=$(mktemp -d /tmp/tcplab-vmgtest-XXXXXX)
trap 'rm -rf "$results"' EXIT
report=$results/report.json
set +e
"$tcplab" vm run --timeout "${TCPLAB_VM_TIMEOUT:-900}" --rw "$results" --rw "$(dirname "$binary")" \
    --env TCPLAB_REQUIRE_NETEM=1 -- "$binary" --gtest_filter="$filter" \
    --gtest_output="json:$report" --gtest_color=no "$@"
rc=$?
set -e
[ $rc -eq 0 ] || { echo "vm_gtest.sh: $(basename "$binary") exited $rc in the guest" >&2; exit 1; }
[ -s "$report" ] || { echo "vm_gtest.sh: no gtest report was written in the guest" >&2; exit 1; }
tests=$(grep -m1 -o '"tests": [0-9]*' "$report" | grep -o '[0-9]*$')
skipped=$(grep -c '"result": "SKIPPED"' "$report" || true)
if [ "${tests:-0}" -eq 0 ]; then
    echo "vm_gtest.sh: no test matched '$filter' in $(basename "$binary")" >&2; exit 1
fi
if [ "$skipped" -ne 0 ]; then
    echo "vm_gtest.sh: $skipped of $tests tests skipped inside the guest (real netem not exercised)" >&2
    exit 1
fi
echo "vm_gtest.sh: $tests tests ran and passed inside the UML guest"
