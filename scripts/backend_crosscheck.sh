#!/usr/bin/env bash
# Cross-checks the two impairment backends (issue 9 item 4): each scenario runs with real netem
# (`--backend tc`, inside User-Mode Linux when this kernel has no sch_netem) and with the userspace
# forwarder, same seed; `tcplab scenario compare` then judges loss rates, delays and verdicts.
#   sudo ./scripts/backend_crosscheck.sh [--build DIR] [--out DIR] [SCENARIO...]
# Default scenarios: loss0 loss10 delay100 jitter reorder burstloss. Prints Markdown tables;
# exit 1 if any pair disagrees.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$repo/build
out=$(mktemp -d /tmp/tcplab-crosscheck.XXXXXX)
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) break ;;
    esac
done
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(loss0 loss10 delay100 jitter reorder burstloss)
tcplab=$build/app/tcplab
[ -x "$tcplab" ] || { echo "backend_crosscheck: $tcplab not built (run scripts/setup.sh)" >&2; exit 3; }
[ "$(id -u)" -eq 0 ] || { echo "backend_crosscheck: needs root (namespaces)" >&2; exit 3; }

# Real netem on the host when its kernel has sch_netem, else in User-Mode Linux (--vm).
vm=()
run_tc() {
    local log=$out/$1-tc.log rc=0
    "$tcplab" scenario run "$1" --backend tc "${vm[@]}" --quiet --out "$out/$1-tc" >"$log" 2>&1 || rc=$?
    if [ $rc -eq 3 ] && [ ${#vm[@]} -eq 0 ] && grep -q "no sch_netem" "$log"; then
        vm=(--vm)
        rc=0
        "$tcplab" scenario run "$1" --backend tc "${vm[@]}" --quiet --out "$out/$1-tc" >"$log" 2>&1 || rc=$?
    fi
    cat "$log" >&2
    return $rc
}

failed=0
for s in "${scenarios[@]}"; do
    echo "== $s: tc and userspace" >&2
    run_tc "$s" || failed=1
    "$tcplab" scenario run "$s" --backend userspace --quiet --out "$out/$s-userspace" >&2 || failed=1
    "$tcplab" scenario compare "$out/$s-tc" "$out/$s-userspace" || failed=1
    echo
done
echo "runs kept in $out" >&2
exit $failed
