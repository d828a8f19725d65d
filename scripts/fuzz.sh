#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]  (default 60): builds the libFuzzer targets of fuzz/ with clang
# (ASan + UBSan) in build-fuzz/ if needed, runs each one for SECONDS, prints per target the
# executions, exec/s and coverage gained, and exits 1 naming the reproducer of any crash, leak,
# timeout or out-of-memory. Work corpora live in build-fuzz/corpus/<target> (outside git) and
# start from the committed tests/data/fuzz/<target>/{corpus,regressions}.
#
#   scripts/fuzz.sh --update-corpus   re-derive the seeds (fuzz/make_seeds.py), merge them with
#                                     the work corpus and write the minimised set (-merge=1) to
#                                     tests/data/fuzz/<target>/corpus.
# Environment: TCPLAB_FUZZ_BUILD_DIR (default build-fuzz), TCPLAB_FUZZ_TARGETS (default all four),
#              TCPLAB_FUZZ_RSS_MB (default 2048), TCPLAB_FUZZ_TIMEOUT (per input, default 10 s).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${TCPLAB_FUZZ_BUILD_DIR:-$repo/build-fuzz}
targets=(${TCPLAB_FUZZ_TARGETS:-packet pcap_file scenario_spec tls_accept})
rss_mb=${TCPLAB_FUZZ_RSS_MB:-2048}
timeout_s=${TCPLAB_FUZZ_TIMEOUT:-10}
data="$repo/tests/data/fuzz"

die() { echo "fuzz.sh: $*" >&2; exit 2; }

update=0
seconds=60
case "${1:-}" in
    --update-corpus) update=1 ;;
    "") ;;
    *) [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/fuzz.sh [SECONDS] | --update-corpus"
       seconds=$1 ;;
esac

# Largest input per target: a frame, a short capture, a scenario file, a client's first flight.
max_len() {
    case "$1" in
        pcap_file) echo 32768 ;;
        *) echo 4096 ;;
    esac
}

command -v clang++ >/dev/null || die "clang++ not found (scripts/setup.sh installs clang and its compiler-rt: docs/PLATFORMS.md)"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    CC=clang CXX=clang++ cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTCPLAB_WERROR=ON -DTCPLAB_FUZZ=ON >/dev/null || die "cmake configure of $build_dir failed"
fi
grep -q '^TCPLAB_FUZZ:BOOL=ON' "$build_dir/CMakeCache.txt" || die "$build_dir is not a TCPLAB_FUZZ=ON build"
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null \
    || die "building the fuzz targets failed (run: cmake --build $build_dir --target fuzz_packet)"

# OpenSSL allocates ~40 KB of record buffers per connection; with ASan's default 256 MB quarantine
# every input then touches fresh pages and tls_accept runs ~10x slower. A 16 MB quarantine still
# catches a use-after-free within one input. Anything set by the caller wins.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}

if [ "$update" = 1 ]; then
    python3 "$repo/fuzz/make_seeds.py" "$build_dir/seeds" >/dev/null
    for t in "${targets[@]}"; do
        fresh=$(mktemp -d)
        mkdir -p "$build_dir/corpus/$t" "$data/$t/corpus"
        "$build_dir/fuzz/fuzz_$t" -merge=1 -max_len="$(max_len "$t")" -rss_limit_mb="$rss_mb" \
            "$fresh" "$build_dir/seeds/$t" "$data/$t/corpus" "$build_dir/corpus/$t" \
            >"$build_dir/merge-$t.log" 2>&1 \
            || { rm -rf "$fresh"; die "merge of $t failed (see $build_dir/merge-$t.log)"; }
        # OpenSSL is not instrumented, so coverage cannot tell a real ClientHello from garbage
        # that takes the same path through our code: keep the recorded ones whatever merge says.
        [ "$t" = tls_accept ] && cp "$build_dir/seeds/$t"/client_hello_* "$fresh/"
        rm -rf "$data/$t/corpus"
        mkdir -p "$data/$t"
        mv "$fresh" "$data/$t/corpus"
        chmod 755 "$data/$t/corpus"
        echo "fuzz.sh: $t corpus: $(ls "$data/$t/corpus" | wc -l) files, $(du -sk "$data/$t/corpus" | cut -f1) KB"
    done
    exit 0
fi

failed=0
printf '%-14s %12s %9s %15s %15s %6s  %s\n' target executions exec/s cov ft new result
for t in "${targets[@]}"; do
    work="$build_dir/corpus/$t"
    artifacts="$build_dir/artifacts/$t"
    log="$build_dir/fuzz-$t.log"
    mkdir -p "$work" "$artifacts"
    inputs=("$work")
    for d in corpus regressions; do
        [ -d "$data/$t/$d" ] && inputs+=("$data/$t/$d")
    done
    rc=0
    "$build_dir/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout_s" \
        -max_len="$(max_len "$t")" -print_final_stats=1 -artifact_prefix="$artifacts/" \
        "${inputs[@]}" >"$log" 2>&1 || rc=$?
    stat() { sed -n "s/^stat::$1: *//p" "$log"; }
    cov() { grep -E "^#[0-9]+[[:space:]]+$1 " "$log" | tail -1 | sed -E "s/.* cov: ([0-9]+) ft: ([0-9]+).*/\1 \2/"; }
    read -r cov0 ft0 <<<"$(cov INITED)"
    read -r cov1 ft1 <<<"$(cov DONE)"
    result=ok
    if [ "$rc" -ne 0 ]; then
        reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        result="FAILED (exit $rc): $(grep -m1 -E '^==[0-9]+==ERROR|^SUMMARY|runtime error|ERROR: libFuzzer' "$log" || echo 'see log')"
        result+=$'\n'"    reproducer: ${reproducer:-none written}; log: $log"
        result+=$'\n'"    replay: $build_dir/fuzz/fuzz_$t ${reproducer:-INPUT}"
        failed=1
    fi
    printf '%-14s %12s %9s %15s %15s %6s  %s\n' "$t" "$(stat number_of_executed_units)" \
        "$(stat average_exec_per_sec)" "${cov0:-?}->${cov1:-?}" "${ft0:-?}->${ft1:-?}" \
        "$(stat new_units_added)" "$result"
done
exit "$failed"
