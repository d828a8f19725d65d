#!/usr/bin/env bash
# tcplab tls vs openssl, one run, loopback only:
#   1. mTLS full handshakes/s served by `tcplab tls server` vs `openssl s_server`, both driven
#      by `openssl s_time -new` presenting a client certificate, with the same certificates and
#      key type (EC P-256 and RSA-2048 chains) and the same TLS version (1.3 and 1.2). Both
#      servers keep their defaults: tcplab resumes statefully (a ticket names a session in its
#      cache), s_server issues stateless tickets (each one the session encrypted, ~20% of its
#      CPU per handshake). So s_server -no_ticket (stateful, like tcplab) is measured too.
#      ROUNDS interleaved rounds (the order rotates each round); ratio = median tcplab / median
#      of the other server.
#   2. bulk MB/s of `tcplab tls client --send-bytes N` into `tcplab tls server --mode sink`
#      vs `head -c N /dev/zero | openssl s_client` into `openssl s_server`.
# Prints the numbers and the ratio tcplab/openssl (>= 1.0 means tcplab is at least as fast).
# On a shared host run it as `flock /tmp/tcplab-bench.lock bench/tls_bench.sh`.
#
# usage: bench/tls_bench.sh [--bytes N] [--seconds S] [--rounds R] [--keys "ec rsa"]
#                           [--versions "1.3 1.2"] [--no-bulk] [--tcplab PATH]
#   --bytes     bulk transfer size (default 1073741824 = 1 GiB)
#   --seconds   duration of each s_time run (default 5)
#   --rounds    interleaved rounds per key type and TLS version (default 5)
#   --keys      key types of the chains: ec (P-256), rsa (2048) (default "ec rsa")
#   --versions  TLS versions (default "1.3 1.2")
#   --no-bulk   measure handshakes only
#   --tcplab    the binary (default: $TCPLAB, else build/app/tcplab next to this script)
# Exit: 0 measured, 2 bad usage, 3 a tool is missing or a run failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bytes=1073741824
seconds=5
rounds=5
keys="ec rsa"
versions="1.3 1.2"
bulk=1
tcplab=${TCPLAB:-$here/../build/app/tcplab}

die() { echo "tls_bench: $*" >&2; exit "${2:-3}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --bytes) bytes=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        --rounds) rounds=${2:?}; shift 2 ;;
        --keys) keys=${2:?}; shift 2 ;;
        --versions) versions=${2:?}; shift 2 ;;
        --no-bulk) bulk=0; shift ;;
        --tcplab) tcplab=${2:?}; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" 2 ;;
    esac
done
[[ $bytes =~ ^[0-9]+$ && $bytes -gt 0 ]] || die "--bytes '$bytes': expected a positive number" 2
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || die "--seconds '$seconds': expected a positive number" 2
[[ $rounds =~ ^[0-9]+$ && $rounds -gt 0 ]] || die "--rounds '$rounds': expected a positive number" 2
for k in $keys; do [[ $k == ec || $k == rsa ]] || die "--keys: '$k' is not ec or rsa" 2; done
for v in $versions; do [[ $v == 1.2 || $v == 1.3 ]] || die "--versions: '$v' is not 1.2 or 1.3" 2; done
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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# rounds_won "A1 A2 .." "B1 B2 ..": in how many rounds A beat B (paired: the same round ran both
# within seconds of each other, so a noisy round slows both).
rounds_won() { awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
                                                 for (i = 1; i <= n; i++) w += (x[i] > y[i]); printf "%d/%d", w, n }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

make_pki() {  # DIR ec|rsa: a CA, a server and a client certificate, all with that key type
    local key=ec
    [ "$2" = rsa ] && key=rsa:2048
    "$tcplab" ca init --dir "$1" --key "$key" >/dev/null
    "$tcplab" ca issue --dir "$1" --name server --role server --key "$key" >/dev/null
    "$tcplab" ca issue --dir "$1" --name c1 --role client --key "$key" >/dev/null
}
client_creds() { echo -cert "$1/c1.pem" -key "$1/c1.key" -CAfile "$1/ca.pem"; }
server_creds() { echo -cert "$1/server.pem" -key "$1/server.key" -CAfile "$1/ca.pem" -Verify 1 -verify_return_error; }

# openssl s_server stops when its stdin ends: feed it a FIFO we hold open for the whole run.
mkfifo "$work/stdin"
exec 3<>"$work/stdin"

echo "tcplab tls benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(openssl version)"

# --- 1. handshakes/s -------------------------------------------------------------------------
# s_time prints "N connections in T real seconds" with T in whole seconds; divide N by our own
# wall-clock time of the run instead.
handshakes_per_second() {  # PORT PKI VERSION
    local out start end
    start=$(now)
    # shellcheck disable=SC2046
    out=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$seconds" $(client_creds "$2") "-tls${3/./_}" 2>&1) ||
        die "openssl s_time failed: $out"
    end=$(now)
    echo "$out" | awk -v s="$start" -v e="$end" '/connections in [0-9]+ real seconds/ { printf "%.1f\n", $1 / (e - s); found=1 }
                       END { if (!found) exit 1 }' || die "cannot parse s_time output: $out"
}
# Each server starts fresh for its run. tcplab: greeting mode, one log line per connection to a
# file, as a user runs it; s_server: -quiet (and -no_ticket for the stateful variant).
measure_handshakes() {  # tcplab|openssl|openssl-stateful PKI VERSION
    local port pid rate extra=()
    port=$(free_port)
    if [ "$1" = tcplab ]; then
        "$tcplab" tls server --dir "$2" --listen "127.0.0.1:$port" --min-version "$3" --max-version "$3" \
            >"$work/tcplab-server.log" 2>&1 &
    else
        [ "$1" = openssl-stateful ] && extra=(-no_ticket)
        # shellcheck disable=SC2046
        openssl s_server -accept "$port" $(server_creds "$2") "-tls${3/./_}" -quiet "${extra[@]}" <"$work/stdin" \
            >"$work/s_server.log" 2>&1 &
    fi
    pid=$!
    pids+=($pid)
    wait_port "$port"
    rate=$(handshakes_per_second "$port" "$2" "$3")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$rate"
}
hs_rows=()
hs_rounds=()
for k in $keys; do
    make_pki "$work/pki-$k" "$k"
    for v in $versions; do
        declare -A rates=([tcplab]="" [openssl]="" [openssl-stateful]="")
        order=(tcplab openssl openssl-stateful)
        for round in $(seq "$rounds"); do
            for server in "${order[@]}"; do
                rates[$server]+=" $(measure_handshakes "$server" "$work/pki-$k" "$v")"
            done
            order=("${order[@]:1}" "${order[0]}")  # rotate: each server goes first in turn
        done
        t_med=$(echo "${rates[tcplab]}" | median)
        o_med=$(echo "${rates[openssl]}" | median)
        s_med=$(echo "${rates[openssl-stateful]}" | median)
        hs_rows+=("$(printf '%-34s %12s %12s %8sx %12s %8sx   %s, %s' "handshakes/s ${k^^} TLS $v" \
            "$t_med" "$o_med" "$(ratio "$t_med" "$o_med")" "$s_med" "$(ratio "$t_med" "$s_med")" \
            "$(rounds_won "${rates[tcplab]}" "${rates[openssl]}")" \
            "$(rounds_won "${rates[tcplab]}" "${rates[openssl-stateful]}")")")
        hs_rounds+=("${k^^} TLS $v rounds | tcplab:${rates[tcplab]} | openssl:${rates[openssl]} | -no_ticket:${rates[openssl-stateful]}")
    done
done

# --- 2. bulk MB/s ----------------------------------------------------------------------------
if [ "$bulk" = 1 ]; then
    pki=$work/pki-ec
    [ -d "$pki" ] || make_pki "$pki" ec
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
    # shellcheck disable=SC2046
    ( openssl s_server -accept "$port" $(server_creds "$pki") -quiet -naccept 2 <"$work/stdin" \
          2>"$work/s_server_bulk.log" | wc -c >"$work/received" ) &
    pids+=($!)
    bulk_server_pid=$!
    wait_port "$port"  # the probe is accept 1 of 2
    sleep 0.3
    start=$(now)
    # shellcheck disable=SC2046
    head -c "$bytes" /dev/zero |
        openssl s_client -connect "127.0.0.1:$port" $(client_creds "$pki") -no_ign_eof -nocommands \
            >/dev/null 2>"$work/s_client.log" || die "openssl s_client bulk transfer failed: $(tail -3 "$work/s_client.log")"
    end=$(now)
    wait "$bulk_server_pid" 2>/dev/null || true
    received=$(tr -d ' ' <"$work/received")
    [ "$received" = "$bytes" ] || die "openssl s_server received $received of $bytes bytes"
    bulk_openssl=$(awk -v b="$bytes" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", b / 1e6 / (e - s) }')
fi

printf '\n%-34s %12s %12s %9s %12s %9s   %s\n' "measure" "tcplab" "openssl" "ratio" "-no_ticket" "ratio" \
    "rounds tcplab won (vs openssl, vs -no_ticket)"
for row in "${hs_rows[@]}"; do
    echo "$row"
done
if [ "$bulk" = 1 ]; then
    printf '%-34s %12s %12s %8sx\n' "bulk MB/s ($bytes bytes)" "$bulk_tcplab" "$bulk_openssl" "$(ratio "$bulk_tcplab" "$bulk_openssl")"
fi
echo
echo "handshakes: median of $rounds interleaved rounds of 'openssl s_time -new -time $seconds' with a"
echo "client certificate; same chain and TLS version for every server. 'openssl' is s_server with its"
echo "defaults (stateless tickets), '-no_ticket' is s_server with stateful tickets like tcplab's."
for row in "${hs_rounds[@]}"; do
    echo "  $row"
done
if [ "$bulk" = 1 ]; then
    echo "tcplab client: $(grep '^sent ' "$work/client.log")"
    echo "bulk: TLS 1.3 with default ciphers/groups on both sides; tcplab hashes (SHA-256) every byte on"
    echo "both ends and checks the sink's reply, openssl does not; wall-clock times include process start."
fi
