#!/usr/bin/env bash
# ctest entry for one scenario: run it, then let tshark — the oracle — read the client and server
# captures and confirm, frame by frame, every verdict our analyzer gave them (the verdicts the
# scenario's checks were built on).
#   run_and_confirm.sh TCPLAB OUTDIR NAME [scenario-run args...]
set -euo pipefail
tcplab=$1 out=$2 name=$3
shift 3
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: scenarios need root (network namespaces, raw sockets)"
    exit 77
fi
if [[ " $* " == *" --vm "* ]] && [ ! -x /usr/bin/linux.uml ]; then
    echo "skipped: --vm needs Debian's user-mode-linux kernel (/usr/bin/linux.uml)"
    exit 77
fi
rm -rf "$out"
status=0
"$tcplab" scenario run "$name" --out "$out" "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "run_and_confirm: scenario $name exited $status (report: $out/report.txt)" >&2
    [ -f "$out/report.txt" ] && cat "$out/report.txt" >&2
    exit "$status"
fi
for side in client server; do
    pcap="$out/$side.pcap"
    [ -s "$pcap" ] || { echo "run_and_confirm: $pcap missing or empty" >&2; exit 1; }
    "$repo/scripts/tshark_expected.sh" "$pcap" | grep -v '^#' > "$out/$side.tshark.tsv"
    "$tcplab" analyze --frames --format tsv "$pcap" | grep -v '^#' > "$out/$side.tcplab.tsv"
    if ! diff -u "$out/$side.tshark.tsv" "$out/$side.tcplab.tsv" > "$out/$side.tsv.diff"; then
        echo "run_and_confirm: tshark disagrees with the analyzer on $pcap:" >&2
        head -40 "$out/$side.tsv.diff" >&2
        exit 1
    fi
    echo "tshark confirms all $(($(wc -l < "$out/$side.tcplab.tsv") - 1)) TCP frames of $side.pcap"
done
