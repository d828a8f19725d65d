#!/usr/bin/env bash
# tcplab tls vs openssl, one run, loopback only:
#   1. mTLS full handshakes/s served by `tcplab tls server` vs `openssl s_server`, both driven
#      by `openssl s_time -new` presenting a client certificate;
#   2. bulk MB/s of `tcplab tls client --send-bytes N` into `tcplab tls server --mode sink`
#      vs `head -c N /dev/zero | openssl s_client` into `openssl s_server`.
# Prints both numbers and the ratio tcplab/openssl (>= 1.0 means tcplab is at least as fast).
#
# usage: bench/tls_bench.sh [--bytes N] [--seconds S] [--tcplab PATH]
#   --bytes    bulk transfer size (default 1073741824 = 1 GiB)
#   --seconds  duration of each s_time run (default 10)
#   --tcplab   the binary (default: $TCPLAB, else build/app/tcplab next to this script)
# Exit: 0 measured, 2 bad usage, 3 a tool is missing or a run failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bytes=1073741824
seconds=10
tcplab=${TCPLAB:-$here/../build/app/tcplab}

die() { echo "tls_bench: $*" >&2; exit "${2:-3}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --bytes) bytes=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        --tcplab) tcplab=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
done
[[ $bytes =~ ^[0-9]+$ && $bytes -gt 0 ]] || die "--bytes '$bytes': expected a positive number" 2
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "--seconds '$seconds': expected a positive number" 2
[ -x "$tcplab" ] || die "tcplab binary not found at $tcplab (build it, or pass --tcplab)"
for tool in openssl python3 head; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done

work=$(mktemp -d /tmp/tcplab-tls-bench.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    exec 3>&- 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() {  # wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most)
    local i
    for i in $(seq 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1)" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    die "nothing listening on 127.0.0.1:$1"
}
now() { date +%s.%N; }

pki=$work/pki
"$tcplab" ca init --dir "$pki" >/dev/null
"$tcplab" ca issue --dir "$pki" --name server --role server >/dev/null
"$tcplab" ca issue --dir "$pki" --name c1 --role client >/dev/null
mtls_client=(-cert "$pki/c1.pem" -key "$pki/c1.key" -CAfile "$pki/ca.pem")
server_creds=(-cert "$pki/server.pem" -key "$pki/server.key" -CAfile "$pki/ca.pem" -Verify 1 -verify_return_error)

# openssl s_server stops when its stdin ends: feed it a FIFO we hold open for the whole run.
mkfifo "$work/stdin"
exec 3<>"$work/stdin"

# s_time prints "N connections in T real seconds" with T in whole seconds; divide N by our own
# wall-clock time of the run instead.
handshakes_per_second() {  # PORT
    local out start end
    start=$(now)
    out=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$seconds" "${mtls_client[@]}" 2>&1) ||
        die "openssl s_time failed: $out"
    end=$(now)
    echo "$out" | awk -v s="$start" -v e="$end" '/connections in [0-9]+ real seconds/ { printf "%.1f\n", $1 / (e - s); found=1 }
                       END { if (!found) exit 1 }' || die "cannot parse s_time output: $out"
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "tcplab tls benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version)"

# --- 1. handshakes/s -------------------------------------------------------------------------
# Two alternating rounds, best of each: the host is shared, so a single round mostly measures
# whoever else was busy at that moment.
measure_tcplab_handshakes() {
    local port pid rate
    port=$(free_port)
    "$tcplab" tls server --dir "$pki" --listen "127.0.0.1:$port" --mode greeting --name-wait 0.05 \
        >"$work/tcplab-server.log" 2>&1 &
    pid=$!
    pids+=($pid)
    wait_port "$port"
    rate=$(handshakes_per_second "$port")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$rate"
}
measure_openssl_handshakes() {
    local port pid rate
    port=$(free_port)
    openssl s_server -accept "$port" "${server_creds[@]}" -quiet <"$work/stdin" >"$work/s_server.log" 2>&1 &
    pid=$!
    pids+=($pid)
    wait_port "$port"
    rate=$(handshakes_per_second "$port")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$rate"
}
hs_tcplab=0
hs_openssl=0
for round in 1 2; do
    hs_tcplab=$(best "$hs_tcplab" "$(measure_tcplab_handshakes)")
    hs_openssl=$(best "$hs_openssl" "$(measure_openssl_handshakes)")
done

# --- 2. bulk MB/s ----------------------------------------------------------------------------
port=$(free_port)
# --count 2: wait_port's probe is connection 1, the measured transfer connection 2.
"$tcplab" tls server --dir "$pki" --listen "127.0.0.1:$port" --mode sink --count 2 \
    >"$work/sink.log" 2>&1 &
pids+=($!)
sink_pid=$!
wait_port "$port"
sleep 0.3
start=$(now)
"$tcplab" tls client --dir "$pki" --name c1 --connect "127.0.0.1:$port" --send-bytes "$bytes" \
    --timeout 120 2>"$work/client.log" || die "tcplab bulk transfer failed: $(cat "$work/client.log")"
end=$(now)
wait "$sink_pid" 2>/dev/null || true
grep -q "(matches)" "$work/client.log" || die "sink reply did not match: $(cat "$work/client.log")"
bulk_tcplab=$(awk -v b="$bytes" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", b / 1e6 / (e - s) }')

port=$(free_port)
( openssl s_server -accept "$port" "${server_creds[@]}" -quiet -naccept 2 <"$work/stdin" 2>"$work/s_server_bulk.log" |
      wc -c >"$work/received" ) &
pids+=($!)
bulk_server_pid=$!
wait_port "$port"  # the probe is accept 1 of 2
sleep 0.3
start=$(now)
head -c "$bytes" /dev/zero |
    openssl s_client -connect "127.0.0.1:$port" "${mtls_client[@]}" -no_ign_eof -nocommands \
        >/dev/null 2>"$work/s_client.log" || die "openssl s_client bulk transfer failed: $(tail -3 "$work/s_client.log")"
end=$(now)
wait "$bulk_server_pid" 2>/dev/null || true
received=$(tr -d ' ' <"$work/received")
[ "$received" = "$bytes" ] || die "openssl s_server received $received of $bytes bytes"
bulk_openssl=$(awk -v b="$bytes" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", b / 1e6 / (e - s) }')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '\n%-34s %12s %12s %8s\n' "measure" "tcplab" "openssl" "ratio"
printf '%-34s %12s %12s %8sx\n' "mTLS handshakes/s (s_time -new)" "$hs_tcplab" "$hs_openssl" "$(ratio "$hs_tcplab" "$hs_openssl")"
printf '%-34s %12s %12s %8sx\n' "bulk MB/s ($bytes bytes)" "$bulk_tcplab" "$bulk_openssl" "$(ratio "$bulk_tcplab" "$bulk_openssl")"
echo
echo "tcplab client: $(grep '^sent ' "$work/client.log")"
echo "notes: TLS 1.3 with default ciphers/groups on both sides; tcplab hashes (SHA-256) every byte on"
echo "both ends and checks the sink's reply, openssl does not; wall-clock times include process start."
