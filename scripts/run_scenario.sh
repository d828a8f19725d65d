#!/usr/bin/env bash
# The main job:  sudo ./scripts/run_scenario.sh loss10 [--seed N] [--out DIR] [--backend ...]
# Sets up (install + build) when needed, then runs `tcplab scenario run NAME ...` as root.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    echo "usage: sudo $0 [NAME|FILE.ini] [--seed N] [--out DIR] [--backend auto|tc|userspace] [--vm] [--repeat N] [--KEY VALUE ...] [--server CMD] [--client CMD]"
    echo "scenarios: ls $repo/scenarios  (or: build/app/tcplab scenario list)"
    [ $# -ge 1 ] && exit 0 || exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "run_scenario.sh: needs root (namespaces, raw sockets)" >&2; exit 3; }
    exec sudo -E "$0" "$@"
fi
build_dir=${TCPLAB_BUILD_DIR:-$repo/build}
mkdir -p "$build_dir"
log="$build_dir/setup.log"
# Set-up's own steps ("setup.sh: installing ...", "building ...") show here; apt's and the
# compiler's output goes to the log. Only the tcplab binary is built: test.sh builds the rest.
echo "run_scenario.sh: checking the set-up (packages, build; log: $log)" >&2
rc=0
TCPLAB_TARGETS=${TCPLAB_TARGETS:-tcplab} "$repo/scripts/setup.sh" 2>&1 | tee "$log" \
    | { grep --line-buffered '^setup\.sh: ' >&2 || true; } || rc=$?
if [ "$rc" -ne 0 ]; then
    cat "$log" >&2
    echo "run_scenario.sh: set-up failed (log: $log)" >&2
    exit 3
fi
exec "$build_dir/app/tcplab" scenario run "$@"
