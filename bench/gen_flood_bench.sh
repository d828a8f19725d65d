#!/usr/bin/env bash
# gen_flood_bench.sh — `tcplab gen flood --kind syn --rate max` (TX ring path) against the
# reference tools, in one run, between two namespaces of its own (tl3NN-a sends, tl3NN-b receives):
#   hping3 --flood -S, trafgen (netsniff-ng, TX_RING, one CPU), and bench/sendmmsg_loop (a bare
#   AF_PACKET sendmmsg loop, the floor of what one core can do this way); also tcplab's own
#   sendmmsg fallback (--tx sendmmsg), for information.
# Every sender is pinned to the same CPU and bounded in time; packets are counted at the receiver
# (rx_packets of its veth in /sys/class/net), which drops them at ingress so the receive path
# costs the same for all. Each tool runs REPEAT times (interleaved), the median is reported, and
# the ratios are checked against the targets of issue 7: >= 1.0x trafgen, >= 3x hping3,
# >= 90% of the bare loop. Also runs `--threads 2` on two CPUs to show scaling.
# Run it under the shared benchmark lock, so no other benchmark competes for the CPUs:
#
# usage: sudo flock /tmp/tcplab-bench.lock bench/gen_flood_bench.sh [--build DIR] [--tcplab BIN]
#            [--duration S] [--repeat N] [--cpu N]
# exit: 0 all targets met, 1 a target missed, 2 bad usage, 3 environment (not root, tool missing)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build"
duration=5
repeat=5
cpu=1

die() { echo "gen_flood_bench: $*" >&2; exit "${2:-3}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build=$(realpath "$2"); shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --cpu) cpu=$2; shift 2 ;;
        --tcplab) tcplab_override=$(realpath "$2"); shift 2 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
done
[[ "$duration" =~ ^[0-9]+$ && "$duration" -ge 1 && "$duration" -le 60 ]] || die "--duration must be 1..60 seconds" 2
[[ "$repeat" =~ ^[0-9]+$ && "$repeat" -ge 1 && "$repeat" -le 20 ]] || die "--repeat must be 1..20" 2
[ "$(id -u)" -eq 0 ] || die "needs root (namespaces, AF_PACKET)"
tcplab="${tcplab_override:-$build/app/tcplab}"
loop="$build/bench/sendmmsg_loop"
[ -x "$tcplab" ] || die "no tcplab binary at $tcplab (build first, or --build DIR)"
if [ ! -x "$loop" ]; then  # not built by CMake yet: build the one-file reference directly
    loop="$(mktemp -d)/sendmmsg_loop"
    g++ -O2 -std=c++20 -o "$loop" "$root/bench/sendmmsg_loop.cpp" || die "cannot build sendmmsg_loop"
fi
for tool in hping3 trafgen nft ip taskset; do
    command -v "$tool" >/dev/null || die "$tool is not installed (scripts/setup.sh installs it)"
done

n=$((10 + RANDOM % 90))
a="tl3$n-a"; b="tl3$n-b"; ia="tl3${n}fa"; ib="tl3${n}fb"
src="198.18.$n.1"; dst="198.18.$n.2"
work=$(mktemp -d)
holders=()
cleanup() {
    for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null || true; done
    ip netns del "$a" 2>/dev/null || true
    ip netns del "$b" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each namespace is born with a process inside (unshare, then attach the name): the scenario
# runner's stale sweep removes tl<N>-* namespaces that have no process in them.
for ns in "$a" "$b"; do
    unshare --net sleep 3600 & holders+=($!)
    for _ in $(seq 100); do
        [ "$(readlink "/proc/$!/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
        sleep 0.01
    done
    ip netns attach "$ns" "$!"
done
ip link add "$ia" netns "$a" type veth peer name "$ib" netns "$b"
ip -n "$a" addr add "$src/24" dev "$ia"; ip -n "$b" addr add "$dst/24" dev "$ib"
ip -n "$a" link set "$ia" up; ip -n "$b" link set "$ib" up
# Receiver: count at the interface, then drop at ingress (before IP/TCP, no SYN-ACKs or RSTs).
ip netns exec "$b" nft add table netdev tl_bench
ip netns exec "$b" nft add chain netdev tl_bench in "{ type filter hook ingress device $ib priority 0 ; policy drop ; }"
mac_a=$(ip netns exec "$a" cat "/sys/class/net/$ia/address")
mac_b=$(ip netns exec "$b" cat "/sys/class/net/$ib/address")
ip -n "$a" neigh replace "$dst" lladdr "$mac_b" dev "$ia" nud permanent  # ARP would be dropped

cat > "$work/syn.trafgen" <<CFG
{ eth(da=$mac_b, sa=$mac_a), ipv4(sa=$src, da=$dst, ttl=64, df), tcp(sp=40000, dp=80, seq=1, syn, window=64240) }
CFG

rx() { ip netns exec "$b" cat "/sys/class/net/$ib/statistics/rx_packets"; }

# measure NAME CMD... : runs CMD in the sender namespace, prints received packets per second.
measure() {
    local name=$1; shift
    local before after t0 t1
    before=$(rx); t0=$(date +%s.%N)
    ip netns exec "$a" "$@" >"$work/$name.log" 2>&1 || true
    t1=$(date +%s.%N); after=$(rx)
    awk -v p=$((after - before)) -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f\n", p / (t1 - t0) }'
}

declare -A results
other_cpu=$(( cpu == 0 ? 1 : 0 ))
tools="gen loop trafgen hping3 gen2 gen_mmsg"
run_all() {
    results[gen]+=" $(measure gen taskset -c "$cpu" "$tcplab" gen flood --kind syn --dst "$dst:80" --rate max --duration "$duration" --tx ring --quiet)"
    results[loop]+=" $(measure loop taskset -c "$cpu" "$loop" "$ia" "$mac_a" "$mac_b" "$src" "$dst" 80 "$duration")"
    results[trafgen]+=" $(measure trafgen taskset -c "$cpu" timeout -s INT "$duration" trafgen --dev "$ia" --conf "$work/syn.trafgen" --cpus 1 --no-cpu-stats)"
    results[hping3]+=" $(measure hping3 taskset -c "$cpu" timeout -s INT "$duration" hping3 --flood -S -p 80 -q "$dst")"
    results[gen2]+=" $(measure gen2 taskset -c "$cpu,$other_cpu" "$tcplab" gen flood --kind syn --dst "$dst:80" --rate max --duration "$duration" --tx ring --threads 2 --quiet)"
    results[gen_mmsg]+=" $(measure gen_mmsg taskset -c "$cpu" "$tcplab" gen flood --kind syn --dst "$dst:80" --rate max --duration "$duration" --tx sendmmsg --quiet)"
}
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "gen_flood_bench: $repeat x ${duration}s per tool, senders pinned to CPU $cpu, 54-byte SYN frames, $a -> $b"
for i in $(seq "$repeat"); do
    run_all
    # Another process deleting our namespaces mid-run would turn the counters into nonsense.
    ip netns exec "$b" true 2>/dev/null || die "namespace $b vanished during the run (someone removed tl* namespaces)"
    echo "  run $i:$(for k in $tools; do printf ' %s=%s' "$k" "${results[$k]##* }"; done)"
done
for k in $tools; do
    [ "${results[$k]##* }" -gt 0 ] 2>/dev/null || { echo "  $k sent nothing; its log:"; cat "$work/$k.log"; }
done
gen=$(echo "${results[gen]}" | median); loop_pps=$(echo "${results[loop]}" | median)
trafgen=$(echo "${results[trafgen]}" | median); hping3=$(echo "${results[hping3]}" | median)
gen2=$(echo "${results[gen2]}" | median); gen_mmsg=$(echo "${results[gen_mmsg]}" | median)

status=0
ratio() {  # ratio LABEL NUM DEN TARGET
    awk -v l="$1" -v a="$2" -v b="$3" -v t="$4" 'BEGIN {
        r = b > 0 ? a / b : 0
        printf "  %-34s %6.2fx  (target >= %.2fx)  %s\n", l, r, t, (r >= t ? "met" : "MISSED")
        exit (r >= t ? 0 : 1) }' || status=1
}
printf '\nmedian packets/s received:\n'
printf '  %-34s %10s\n' "tcplab gen flood (ring, 1 thread)" "$gen" "bare sendmmsg loop" "$loop_pps" \
    "trafgen (TX_RING, 1 CPU)" "$trafgen" "hping3 --flood -S" "$hping3" \
    "tcplab gen flood --threads 2 (2 CPUs)" "$gen2" "tcplab gen flood --tx sendmmsg" "$gen_mmsg"
printf '\nratios:\n'
ratio "gen / trafgen" "$gen" "$trafgen" 1.0
ratio "gen / hping3" "$gen" "$hping3" 3.0
ratio "gen / bare sendmmsg loop" "$gen" "$loop_pps" 0.9
awk -v a="$gen2" -v b="$gen" 'BEGIN { printf "  %-34s %6.2fx  (scaling, informational)\n", "gen --threads 2 / gen", (b > 0 ? a / b : 0) }'
awk -v a="$gen" -v b="$gen_mmsg" 'BEGIN { printf "  %-34s %6.2fx  (informational)\n", "gen ring / gen sendmmsg", (b > 0 ? a / b : 0) }'
exit $status
