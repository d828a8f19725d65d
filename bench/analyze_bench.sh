#!/usr/bin/env bash
# analyze_bench.sh [--packets N] [--pcap FILE] [--workdir DIR] [--rebuild] [--runs N]
#                  [--tshark-frames N] [--build-dir DIR] [--tcplab PATH] [--strict]
#
# Benchmarks `tcplab analyze` against the reference tools on one large real capture
# (issue 4, "Performance"). A benchmark, not a test: it prints numbers and the ratios against
# the targets, and exits 0 when it could measure (1 only if asked with --strict and a target
# is missed, 2 bad usage, 3 environment).
#
# 1. The capture: unless --pcap is given (or WORKDIR/bulk.pcap is already big enough), builds a
#    client—router—server namespace set (tl1NN-*, 198.18.1NN.0/24 / 198.19.1NN.0/24, deleted on
#    exit), drops 1% of the client's data at the router with nftables, runs iperf3 with 4
#    parallel streams through it and captures at the server with snaplen 96 until N records
#    (tcpdump -c N, default 1,200,000). Offloads are off so one wire packet is one record.
# 2. The timings, each the median of --runs interleaved rounds (default 5) of the wall time and
#    of the CPU time (user+sys), with peak RSS, from /usr/bin/time. Ratios use CPU time, because the cores
#    of this host are shared with other jobs and wall time measures them too:
#      tcplab analyze --frames --format tsv      vs  tshark -T fields -e frame.number
#                                                      -e tcp.stream -e tcp.analysis.flags
#                                                      -e tcp.analysis.rto
#      tcplab analyze (report mode, text)        vs  tcptrace -n -l
#      both                                      vs  pcap_read_loop (bare libpcap reads)
#    tshark is ~40k frames/s, so by default it runs on a prefix of --tshark-frames records
#    (default 100,000, cut with editcap -r) and is compared in frames/s; the output says so.
#    --tshark-frames 0 runs tshark on the whole capture.
# Targets: TSV >= 100x tshark; report >= tcptrace and >= 50% of the bare loop; RSS <= 64 MiB.
#
# tcplab is --tcplab PATH or $BUILD/app/tcplab (BUILD = --build-dir, default build/);
# pcap_read_loop is $BUILD/bench/pcap_read_loop, built (target pcap_read_loop) when missing.
# When `tcplab analyze` does not work yet, its rows are skipped with the reason.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
packets=1200000 pcap="" workdir=/tmp/tcplab-bench rebuild=0 runs=5 tshark_frames=100000
build_dir=$repo/build strict=0 tcplab=""

die() { echo "analyze_bench.sh: $1" >&2; exit "${2:-3}"; }
log() { echo "bench: $*" >&2; }
usage() { sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --packets) packets=${2:?}; shift 2 ;;
        --pcap) pcap=${2:?}; shift 2 ;;
        --workdir) workdir=${2:?}; shift 2 ;;
        --rebuild) rebuild=1; shift ;;
        --runs) runs=${2:?}; shift 2 ;;
        --tshark-frames) tshark_frames=${2:?}; shift 2 ;;
        --build-dir) build_dir=${2:?}; shift 2 ;;
        --tcplab) tcplab=${2:?}; shift 2 ;;
        --strict) strict=1; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "analyze_bench.sh: unknown argument '$1'" >&2; usage ;;
    esac
done
for v in packets runs tshark_frames; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "--${v//_/-} needs a whole number, got '${!v}'" 2
done
[ "$runs" -ge 1 ] || die "--runs must be at least 1" 2
for tool in tshark editcap capinfos tcptrace /usr/bin/time; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/setup.sh)"
done
mkdir -p "$workdir" || die "cannot create work directory '$workdir'" 2

# ------------------------------------------------------------------ 1. the capture
count_frames() { capinfos -c -M "$1" 2>/dev/null | awk -F: '/Number of packets/ {gsub(/ /, "", $2); print $2}'; }

build_capture() {  # out.pcap
    local out=$1
    [ "$(id -u)" -eq 0 ] || die "building the capture needs root (or pass --pcap FILE)"
    local t
    for t in ip nft ethtool tcpdump iperf3 timeout; do
        command -v "$t" >/dev/null || die "missing tool '$t' (run scripts/setup.sh)"
    done
    local n=1$(( (RANDOM % 90) + 10 ))
    local cli=tl$n-cli rtr=tl$n-rtr srv=tl$n-srv
    local cli4=198.18.$n.2 srv4=198.19.$n.2
    # Cleanup of everything this function creates, also on failure or SIGINT.
    bench_cleanup() {
        local running
        running=$(jobs -p)
        [ -z "$running" ] || { kill $running 2>/dev/null || true; wait $running 2>/dev/null || true; }
        local ns
        for ns in "${created[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
        created=()
    }
    created=()   # namespaces this run made: the only ones bench_cleanup deletes
    trap 'bench_cleanup' EXIT
    trap 'exit 130' INT TERM
    local ns
    for ns in "$cli" "$rtr" "$srv"; do
        [ ! -e "/run/netns/$ns" ] || die "namespace $ns exists (stale run?)"
    done
    log "building a $packets-record capture in namespaces $cli / $rtr / $srv"
    for ns in "$cli" "$rtr" "$srv"; do
        ip netns add "$ns"; created+=("$ns"); ip -n "$ns" link set lo up
    done
    ip -n "$cli" link add veth0 type veth peer name vc netns "$rtr"
    ip -n "$srv" link add veth0 type veth peer name vs netns "$rtr"
    ip netns exec "$rtr" sysctl -qw net.ipv4.ip_forward=1
    local spec
    for spec in "$cli veth0 $cli4/24" "$rtr vc 198.18.$n.1/24" "$rtr vs 198.19.$n.1/24" \
                "$srv veth0 $srv4/24"; do
        set -- $spec
        ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null
        ip -n "$1" addr add "$3" dev "$2"
        ip -n "$1" link set "$2" up
    done
    ip -n "$cli" route add default via 198.18.$n.1
    ip -n "$srv" route add default via 198.19.$n.1
    ip netns exec "$rtr" nft -f - <<EOF
table inet tl {
    chain forward {
        type filter hook forward priority 0; policy accept;
        ip saddr $cli4 tcp dport 5201 numgen random mod 100 < 1 counter drop
    }
}
EOF
    local tmp=$out.tmp
    rm -f "$tmp"
    timeout 300 ip netns exec "$srv" tcpdump -i veth0 -n -s 96 -B 65536 -Z root -c "$packets" \
        -w "$tmp" 'tcp port 5201' 2>"$workdir/tcpdump.log" &
    local cap=$!
    for _ in $(seq 100); do grep -q 'listening on' "$workdir/tcpdump.log" && break; sleep 0.05; done
    grep -q 'listening on' "$workdir/tcpdump.log" || die "tcpdump did not start: $(cat "$workdir/tcpdump.log")"
    timeout 300 ip netns exec "$srv" iperf3 -s -1 -B "$srv4" >"$workdir/iperf3-server.log" 2>&1 &
    local server=$!
    sleep 0.5
    # Runs until tcpdump has its N records (then iperf3 is stopped); 240 s at most.
    timeout 300 ip netns exec "$cli" iperf3 -c "$srv4" -P 4 -t 240 >"$workdir/iperf3-client.log" 2>&1 &
    local client=$!
    wait "$cap" || true
    kill "$client" 2>/dev/null || true; wait "$client" 2>/dev/null || true
    kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true
    log "router dropped: $(ip netns exec "$rtr" nft list ruleset | grep -o 'counter packets [0-9]*')"
    bench_cleanup
    trap - EXIT INT TERM
    mv "$tmp" "$out"
}

if [ -z "$pcap" ]; then
    pcap=$workdir/bulk.pcap
    have=0
    [ -f "$pcap" ] && have=$(count_frames "$pcap")
    if [ "$rebuild" = 1 ] || [ "${have:-0}" -lt "$packets" ]; then
        build_capture "$pcap"
    else
        log "reusing $pcap ($have records; --rebuild to make a new one)"
    fi
fi
[ -r "$pcap" ] || die "cannot read capture '$pcap'" 2
frames=$(count_frames "$pcap")
[ -n "$frames" ] && [ "$frames" -gt 0 ] || die "no records in '$pcap'" 2
log "capture $pcap: $frames records, $(stat -c %s "$pcap") bytes"

tshark_input=$pcap tshark_count=$frames
if [ "$tshark_frames" -gt 0 ] && [ "$tshark_frames" -lt "$frames" ]; then
    tshark_input=$workdir/prefix-$tshark_frames.pcap
    editcap -r "$pcap" "$tshark_input" "1-$tshark_frames" 2>/dev/null \
        || die "editcap could not cut the first $tshark_frames records of '$pcap'"
    tshark_count=$tshark_frames
fi

# ------------------------------------------------------------------ 2. the timings
loop=$build_dir/bench/pcap_read_loop
if [ ! -x "$loop" ]; then
    log "building pcap_read_loop in $build_dir"
    [ -f "$build_dir/CMakeCache.txt" ] || cmake -S "$repo" -B "$build_dir" >/dev/null \
        || die "cmake configure of '$build_dir' failed"
    cmake --build "$build_dir" -j2 --target pcap_read_loop >/dev/null || die "building pcap_read_loop failed"
fi
[ -n "$tcplab" ] || tcplab=$build_dir/app/tcplab
tcplab_ok=0 tcplab_why=""
: >"$workdir/tcplab-probe.err"
if [ ! -x "$tcplab" ]; then
    tcplab_why="$tcplab not built"
elif ! editcap -r "$pcap" "$workdir/probe.pcap" 1-1000 2>/dev/null \
    || ! timeout 60 "$tcplab" analyze --frames --format tsv "$workdir/probe.pcap" >/dev/null \
        2>"$workdir/tcplab-probe.err"; then
    tcplab_why="'tcplab analyze' failed on the first 1000 records: $(head -n 3 "$workdir/tcplab-probe.err" 2>/dev/null || true)"
else
    tcplab_ok=1
fi

# The tools run in interleaved rounds (round 1: every tool once, round 2: every tool again, ...)
# so that a burst of load from other jobs on the shared cores hits all of them alike. Per tool:
# the median wall time, the median CPU time (user+sys) and the largest peak RSS.
declare -A secs cpu rss nframes walls cpus
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {printf "%.6f", a[int((NR+1)/2)]}'; }
run_once() {  # NAME FRAMES CMD...: one timed run, appended to the tool's lists
    local name=$1 count=$2; shift 2
    local start end kib user sys
    start=$(date +%s%N)
    /usr/bin/time -f '%M %U %S' -o "$workdir/time.out" timeout 1800 "$@" >/dev/null \
        2>"$workdir/$name.err" \
        || die "$name failed: $(grep -v 'Running as user' "$workdir/$name.err" | head -n 3)"
    end=$(date +%s%N)
    walls[$name]+=" $(awk -v ns=$(( end - start )) 'BEGIN {printf "%.6f", ns / 1e9}')"
    read -r kib user sys < <(tail -n 1 "$workdir/time.out")
    cpus[$name]+=" $(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')"
    [ "$kib" -gt "${rss[$name]:-0}" ] && rss[$name]=$kib
    nframes[$name]=$count
}
tools=(bare_loop tcptrace tshark)
[ "$tcplab_ok" = 1 ] && tools+=(tcplab_tsv tcplab_report)
for ((round = 1; round <= runs; round++)); do
    log "round $round of $runs"
    run_once bare_loop "$frames" "$loop" "$pcap"
    run_once tcptrace "$frames" tcptrace -n -l "$pcap"
    run_once tshark "$tshark_count" tshark -n -r "$tshark_input" -T fields -e frame.number \
        -e tcp.stream -e tcp.analysis.flags -e tcp.analysis.rto
    if [ "$tcplab_ok" = 1 ]; then
        run_once tcplab_tsv "$frames" "$tcplab" analyze --frames --format tsv "$pcap"
        run_once tcplab_report "$frames" "$tcplab" analyze "$pcap"
    fi
done
for name in "${tools[@]}"; do
    secs[$name]=$(echo "${walls[$name]}" | median)
    cpu[$name]=$(echo "${cpus[$name]}" | median)
    log "$name: median wall ${secs[$name]} s, cpu ${cpu[$name]} s over $runs rounds (cpu:${cpus[$name]}), peak RSS $((rss[$name] / 1024)) MiB"
done

# ------------------------------------------------------------------ 3. the table and ratios
# Ratios use CPU time (user+sys, 10 ms resolution) because this host's cores are shared;
# wall-clock frames/s are printed beside them.
fps() { awk -v n="${nframes[$1]}" -v s="${secs[$1]}" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}'; }
cfps() { awk -v n="${nframes[$1]}" -v s="${cpu[$1]}" 'BEGIN {printf "%.0f", n / (s > 0.01 ? s : 0.01)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
missed=0
check() {  # label value target unit-note: prints one line; value >= target is "ok"
    local verdict=ok
    awk -v v="$2" -v t="$3" 'BEGIN {exit !(v >= t)}' || { verdict=MISSED; missed=1; }
    printf '%-22s %8sx   (target >= %sx)   %s\n' "$1" "$2" "$3" "$verdict"
}

echo "capture: $pcap ($frames records, $(stat -c %s "$pcap") bytes)"
[ "$tshark_input" = "$pcap" ] || echo "tshark timed on the first $tshark_count records ($tshark_input); compared in frames/s"
printf '%-14s %9s %10s %12s %8s %12s %8s\n' tool frames wall_s frames/s cpu_s cpu_fr/s rss_MiB
for name in bare_loop tcptrace tshark tcplab_tsv tcplab_report; do
    [ -n "${secs[$name]:-}" ] || continue
    printf '%-14s %9s %10s %12s %8s %12s %8s\n' "$name" "${nframes[$name]}" "${secs[$name]}" \
        "$(fps $name)" "${cpu[$name]}" "$(cfps $name)" \
        "$(awk -v k="${rss[$name]}" 'BEGIN {printf "%.1f", k / 1024}')"
done
if [ "$tcplab_ok" = 1 ]; then
    check "tsv vs tshark:" "$(ratio "$(cfps tcplab_tsv)" "$(cfps tshark)")" 100
    check "report vs tcptrace:" "$(ratio "$(cfps tcplab_report)" "$(cfps tcptrace)")" 1
    check "report vs bare loop:" "$(ratio "$(cfps tcplab_report)" "$(cfps bare_loop)")" 0.5
    echo "tsv vs bare loop:      $(ratio "$(cfps tcplab_tsv)" "$(cfps bare_loop)")x"
    for name in tcplab_tsv tcplab_report; do
        m=$(awk -v k="${rss[$name]}" 'BEGIN {printf "%.1f", k / 1024}')
        echo "$name peak RSS: $m MiB (target <= 64 MiB)   $(awk -v m="$m" 'BEGIN {print (m <= 64 ? "ok" : "MISSED")}')"
        awk -v m="$m" 'BEGIN {exit !(m > 64)}' && missed=1
    done
else
    echo "tcplab analyze not measured: $tcplab_why"
fi
echo "reference ratios (cpu): tcptrace vs tshark $(ratio "$(cfps tcptrace)" "$(cfps tshark)")x, bare loop vs tshark $(ratio "$(cfps bare_loop)" "$(cfps tshark)")x"
[ "$strict" = 1 ] && [ "$missed" = 1 ] && exit 1
exit 0
