#!/usr/bin/env bash
# Runs per minute of a 36-run experiment (loss 0/5/10 x cubic/reno x 6 seeds, 300 kB kernel TCP
# each, userspace backend) at --jobs 1 and --jobs 2, interleaved in ROUNDS rounds (default 2):
# prints every round, the median of each, the ratio (target >= 1.6x on 2 cores) and both pass
# rates (must be equal: concurrent runs must not disturb each other's verdicts). A benchmark, not
# a test; needs root. Run it alone:
#   sudo flock /tmp/tcplab-bench.lock bench/experiment_jobs_bench.sh [BUILD_DIR]   (default: build)
set -euo pipefail
build=${1:-build}
tcplab=$(cd "$build" && pwd)/app/tcplab
rounds=${TCPLAB_BENCH_ROUNDS:-2}
[ -x "$tcplab" ] || { echo "no $tcplab (build first)" >&2; exit 3; }
work=$(mktemp -d /tmp/tcplab-expbench.XXXX)
trap 'rm -rf "$work"' EXIT
cat > "$work/sweep.ini" <<'INI'
traffic = kernel-bulk 300000
expect-retransmissions = any
vary.loss = 0, 5, 10
vary.cc = cubic, reno
seeds = 1-6
INI
declare -A rates passes
for round in $(seq 1 "$rounds"); do
  for jobs in 1 2; do
    out="$work/r$round-j$jobs"
    start=$(date +%s.%N)
    "$tcplab" experiment run "$work/sweep.ini" --backend userspace --jobs "$jobs" --out "$out" \
        --allow-fail >/dev/null 2>&1
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    rate=$(echo "scale=2; 36 * 60 / $secs" | bc)
    passed=$(grep -c ',true,' "$out/results.csv" || true)
    echo "round $round  --jobs $jobs: 36 runs in ${secs%.*} s = $rate runs/min, $passed/36 passed"
    # A failed run is a finding, not noise: show which check failed and why.
    for run in $(awk -F, 'NR > 1 && $4 != "true" { print $5 }' "$out/results.csv"); do
        echo "  failed: $run"
        if [ -f "$out/$run/report.txt" ]; then grep -A3 '^  FAIL' "$out/$run/report.txt"
        else echo "did not finish:"; tail -3 "$out/$run/run.log"; fi | sed 's/^/    /' || true
    done
    rates[$jobs]+="$rate "; passes[$jobs]+="$passed "
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m1=$(echo "${rates[1]}" | median); m2=$(echo "${rates[2]}" | median)
echo "median runs/min: --jobs 1 $m1, --jobs 2 $m2, ratio $(echo "scale=2; $m2 / $m1" | bc)x (target >= 1.6x)"
echo "passed per round: --jobs 1 [${passes[1]% }], --jobs 2 [${passes[2]% }]"
