#!/usr/bin/env bash
# analyze_bench.sh [--frames N] [--runs N] [--shapes LIST] [--pcap FILE] [--workdir DIR]
#                  [--build-dir DIR] [--tcplab PATH] [--strict]
#
# Benchmarks `tcplab analyze` against the reference tools on three capture shapes (issue 21,
# "Speed"). A benchmark, not a test: it prints numbers and the ratios against the targets, and
# exits 0 when it could measure (1 only if asked with --strict and a target is missed, 2 bad
# usage, 3 environment).
#
# 1. The captures, about --frames records each (default 1,000,000), made by
#    bench/lossy_stream_pcap in WORKDIR (kept and reused while their size fits):
#      lossy   900 lossy connections one after the other on ONE address/port pair (each a new
#              SYN with a new ISN: tshark's "port numbers reused"), 3 analysis events per 9 frames
#      short   many short lossy streams, each from its own client port (15 frames each)
#      long    one long lossy stream
#    --shapes picks some (comma-separated; default lossy,short,long); --pcap FILE adds FILE as
#    the shape "given" (e.g. a real capture).
# 2. The timings: every tool on the WHOLE file (tshark too: on a prefix its ~1 s start-up would
#    inflate the ratio), --runs interleaved rounds (default 3, at least 3 for a median worth the
#    name), the median wall time and the median CPU time (user+sys) each, from the child's
#    rusage (microseconds), with peak RSS from /usr/bin/time:
#      tcplab analyze --frames --format tsv      vs  tshark -T fields -e frame.number
#                                                      -e tcp.stream -e tcp.analysis.flags
#                                                      -e tcp.analysis.rto
#      tcplab analyze (report mode, text)        vs  pcap_read_loop (bare libpcap reads)
#                                                and tcptrace -n -l (reference)
# 3. Per shape, the ratios in wall and in CPU time (the cores of this host are shared: wall time
#    counts the other jobs too, CPU time does not). Targets on the lossy shape: TSV >= 100x
#    tshark, report >= 0.5x the bare loop, peak RSS <= 64 MiB.
#
# tcplab is --tcplab PATH or $BUILD/app/tcplab (BUILD = --build-dir, default build/);
# pcap_read_loop and lossy_stream_pcap are built in $BUILD when missing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
frames=1000000 runs=3 shapes=lossy,short,long pcap="" workdir=/tmp/tcplab-bench
build_dir=$repo/build strict=0 tcplab=""

die() { echo "analyze_bench.sh: $1" >&2; exit "${2:-3}"; }
log() { echo "bench: $*" >&2; }
usage() { sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --frames) frames=${2:?}; shift 2 ;;
        --runs) runs=${2:?}; shift 2 ;;
        --shapes) shapes=${2:?}; shift 2 ;;
        --pcap) pcap=${2:?}; shift 2 ;;
        --workdir) workdir=${2:?}; shift 2 ;;
        --build-dir) build_dir=${2:?}; shift 2 ;;
        --tcplab) tcplab=${2:?}; shift 2 ;;
        --strict) strict=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "analyze_bench.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
for v in frames runs; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--$v needs a whole number, got '${!v}'" 2
done
[ "$runs" -ge 1 ] || die "--runs must be at least 1" 2
[ "$frames" -ge 1000 ] || die "--frames must be at least 1000" 2
for tool in tshark capinfos tcptrace python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/setup.sh)"
done
mkdir -p "$workdir" || die "cannot create work directory '$workdir'" 2

built() {  # TARGET: the path of a bench tool, built when missing
    local path=$build_dir/bench/$1
    if [ ! -x "$path" ]; then
        log "building $1 in $build_dir"
        [ -f "$build_dir/CMakeCache.txt" ] || cmake -S "$repo" -B "$build_dir" >/dev/null \
            || die "cmake configure of '$build_dir' failed"
        cmake --build "$build_dir" -j2 --target "$1" >/dev/null || die "building $1 failed"
    fi
    echo "$path"
}
loop=$(built pcap_read_loop)
generator=$(built lossy_stream_pcap)
[ -n "$tcplab" ] || tcplab=$build_dir/app/tcplab
[ -x "$tcplab" ] || die "$tcplab not built"

# ------------------------------------------------------------------ 1. the captures
count_frames() { capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'; }

# A block is 9 frames; a connection adds 6 (handshake, FIN both ways, last ACK).
make_shape() {  # NAME FILE
    local blocks=$(( frames / 9 )) args
    case $1 in
        lossy) args="$blocks 100 900 reuse" ;;
        short) args="$(( frames / 15 )) 100 $(( frames / 15 )) distinct" ;;
        long) args="$blocks 100" ;;
        *) die "unknown shape '$1' (lossy, short, long)" 2 ;;
    esac
    local have=0
    [ -f "$2" ] && have=$(count_frames "$2")
    if [ "$(cat "$2.args" 2>/dev/null)" = "$args" ] && [ "${have:-0}" -gt 0 ]; then
        log "reusing $2 ($have records)"
        return
    fi
    log "writing the $1 shape: lossy_stream_pcap $2 $args"
    "$generator" "$2" $args || die "lossy_stream_pcap failed"
    echo "$args" >"$2.args"
}

declare -A file_of
names=()
IFS=, read -r -a wanted <<<"$shapes"
for shape in "${wanted[@]}"; do
    file_of[$shape]=$workdir/$shape.pcap
    make_shape "$shape" "${file_of[$shape]}"
    names+=("$shape")
done
if [ -n "$pcap" ]; then
    [ -r "$pcap" ] || die "cannot read capture '$pcap'" 2
    file_of[given]=$pcap
    names+=(given)
fi
[ "${#names[@]}" -gt 0 ] || die "no shape to measure" 2

# ------------------------------------------------------------------ 2. the timings
# Interleaved rounds (round 1: every tool on every shape once, round 2: again, ...) so that a
# burst of load from other jobs on the shared cores hits all of them alike. Per tool and shape:
# the median wall time, the median CPU time (user+sys) and the largest peak RSS.
declare -A walls cpus rss nframes
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {printf "%.6f", a[int((NR+1)/2)]}'; }
# One run, timed by its parent: wall from just before the fork to the exit, CPU (user + sys) from
# the rusage wait4() returns, in microseconds (/usr/bin/time prints CPU time in 10 ms steps: +-8%
# on a 0.13 s run). Peak RSS still from /usr/bin/time: a process forked from Python carries
# Python's high-water mark into the program it execs. Prints "wall_s cpu_s exit_status".
timed() {
    python3 -c '
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - start
print(f"{wall:.6f} {usage.ru_utime + usage.ru_stime:.6f} {os.waitstatus_to_exitcode(status)}")
' "$@"
}
run_once() {  # KEY CMD...: one timed run, appended to the key's lists
    local key=$1; shift
    local wall_s cpu_s rc kib
    read -r wall_s cpu_s rc < <(timed /usr/bin/time -f '%M' -o "$workdir/time.out" \
        timeout 3600 "$@" 2>"$workdir/run.err")
    [ "${rc:-1}" = 0 ] \
        || die "$key failed: $(grep -v 'Running as user' "$workdir/run.err" | head -n 3)"
    walls[$key]+=" $wall_s"
    cpus[$key]+=" $cpu_s"
    kib=$(tail -n 1 "$workdir/time.out")
    [ "$kib" -gt "${rss[$key]:-0}" ] && rss[$key]=$kib
    return 0
}
tools=(bare_loop tcptrace tshark tcplab_tsv tcplab_report)
for shape in "${names[@]}"; do nframes[$shape]=$(count_frames "${file_of[$shape]}"); done
for ((round = 1; round <= runs; round++)); do
    for shape in "${names[@]}"; do
        f=${file_of[$shape]}
        log "round $round of $runs: $shape (${nframes[$shape]} records)"
        run_once "$shape/bare_loop" "$loop" "$f"
        run_once "$shape/tcptrace" tcptrace -n -l "$f"
        run_once "$shape/tshark" tshark -n -r "$f" -T fields -e frame.number -e tcp.stream \
            -e tcp.analysis.flags -e tcp.analysis.rto
        run_once "$shape/tcplab_tsv" "$tcplab" analyze --frames --format tsv "$f"
        run_once "$shape/tcplab_report" "$tcplab" analyze "$f"
    done
done

# ------------------------------------------------------------------ 3. the tables and ratios
declare -A wall cpu
for key in "${!walls[@]}"; do
    wall[$key]=$(echo "${walls[$key]}" | median)
    cpu[$key]=$(echo "${cpus[$key]}" | median)
done
# a / b of two times, so that "x times faster" reads b_time / a_time (the floor keeps a run too
# short to measure from dividing by zero).
speedup() { awk -v a="$1" -v b="$2" 'BEGIN {a = a > 1e-4 ? a : 1e-4; b = b > 1e-4 ? b : 1e-4; printf "%.2f", b / a}'; }
missed=0
check() {  # label value target: value >= target is ok
    local verdict=ok
    awk -v v="$2" -v t="$3" 'BEGIN {exit !(v >= t)}' || { verdict=MISSED; missed=1; }
    printf '  %-30s %8sx   (target >= %sx)   %s\n' "$1" "$2" "$3" "$verdict"
}
for shape in "${names[@]}"; do
    n=${nframes[$shape]}
    echo "== $shape: ${file_of[$shape]} ($n records, $(stat -c %s "${file_of[$shape]}") bytes), medians of $runs rounds"
    printf '  %-14s %10s %12s %8s %12s %8s   %s\n' tool wall_s frames/s cpu_s cpu_fr/s rss_MiB "wall times"
    for tool in "${tools[@]}"; do
        k=$shape/$tool
        printf '  %-14s %10s %12s %8s %12s %8s  %s\n' "$tool" "${wall[$k]}" \
            "$(awk -v n="$n" -v s="${wall[$k]}" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}')" \
            "${cpu[$k]}" \
            "$(awk -v n="$n" -v s="${cpu[$k]}" 'BEGIN {printf "%.0f", n / (s > 1e-4 ? s : 1e-4)}')" \
            "$(awk -v k="${rss[$k]}" 'BEGIN {printf "%.1f", k / 1024}')" "${walls[$k]}"
    done
    targets=0
    [ "$shape" = lossy ] && targets=1
    for clock in wall cpu; do
        declare -n t=$clock
        tsv=$(speedup "${t[$shape/tcplab_tsv]}" "${t[$shape/tshark]}")
        report=$(speedup "${t[$shape/tcplab_report]}" "${t[$shape/bare_loop]}")
        if [ "$targets" = 1 ]; then
            check "tsv vs tshark ($clock):" "$tsv" 100
            check "report vs bare loop ($clock):" "$report" 0.5
        else
            printf '  %-30s %8sx\n  %-30s %8sx\n' "tsv vs tshark ($clock):" "$tsv" \
                "report vs bare loop ($clock):" "$report"
        fi
        printf '  %-30s %8sx\n' "report vs tcptrace ($clock):" \
            "$(speedup "${t[$shape/tcplab_report]}" "${t[$shape/tcptrace]}")"
        unset -n t
    done
    for tool in tcplab_tsv tcplab_report; do
        m=$(awk -v k="${rss[$shape/$tool]}" 'BEGIN {printf "%.1f", k / 1024}')
        verdict=$(awk -v m="$m" 'BEGIN {print (m <= 64 ? "ok" : "MISSED")}')
        printf '  %-30s %8s MiB (target <= 64 MiB)   %s\n' "$tool peak RSS:" "$m" "$verdict"
        [ "$verdict" = ok ] || missed=1
    done
done
[ "$strict" = 1 ] && [ "$missed" = 1 ] && exit 1
exit 0
