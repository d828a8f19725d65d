#!/usr/bin/env bash
# Runs scenarios with the tc backend (real sch_netem) inside the User-Mode Linux guest, one after
# another, and fails when any of them fails. Each run is timed; a table of name, exit code and
# wall seconds ends the output.
#   sudo scripts/uml_scenarios.sh [--out DIR] [NAME...]      (default: every scenarios/*.ini)
# Each scenario's files go to DIR/NAME (default: a fresh directory under /tmp, kept, printed).
# TCPLAB_BIN overrides the binary (default: build/app/tcplab, as setup.sh builds it).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tcplab=${TCPLAB_BIN:-$repo/build/app/tcplab}
die() { echo "uml_scenarios.sh: $*" >&2; exit 2; }

out=
if [ "${1:-}" = --out ]; then
    [ $# -ge 2 ] || die "--out needs a directory"
    out=$2
    shift 2
fi
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces inside the guest are made by root)"
[ -x "$tcplab" ] || die "$tcplab is not built (run scripts/setup.sh)"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for file in "$repo"/scenarios/*.ini; do
        names+=("$(basename "$file" .ini)")
    done
fi
[ -n "$out" ] || out=$(mktemp -d /tmp/tcplab-uml-scenarios.XXXXXX)
mkdir -p "$out"

results=()
failed=0
for name in "${names[@]}"; do
    start=$(date +%s.%N)
    rc=0
    "$tcplab" scenario run "$name" --backend tc --vm --quiet --out "$out/$name" || rc=$?
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    results+=("$(printf '%-20s exit %d  %6s s' "$name" "$rc" "$seconds")")
    if [ "$rc" -ne 0 ]; then
        failed=$((failed + 1))
        [ -f "$out/$name/report.txt" ] && cat "$out/$name/report.txt" >&2
    fi
done

echo "uml_scenarios.sh: tc backend in User-Mode Linux, outputs in $out"
printf '  %s\n' "${results[@]}"
if [ "$failed" -ne 0 ]; then
    echo "uml_scenarios.sh: $failed of ${#names[@]} scenarios failed" >&2
    exit 1
fi
echo "uml_scenarios.sh: all ${#names[@]} passed"
