#!/usr/bin/env bash
# make_analyzer_corpus.sh [OUTDIR [CASE...]]   (CASE: one of all_cases below, default all)
# make_analyzer_corpus.sh --verify [DIR]       (no root: re-run tshark on every committed
#                                               capture and diff against its committed TSV)
#
# Builds the analyzer's golden-test corpus from real Linux TCP: a client—router—server set of
# network namespaces, the router dropping chosen packets with nftables (random loss, first-K
# SYN / SYN-ACK / FIN drops, pure-ACK loss, ICMP rejects) or a rate limit with a tiny queue
# (congestion), tcpdump --immediate-mode at the client and at the server interface.
# For every case NAME it writes NAME-client.pcap, NAME-server.pcap and, from tshark via
# scripts/tshark_expected.sh, NAME-client.tsv / NAME-server.tsv. Then a few hand edge cases
# (pcapng, nanosecond timestamps, Linux cooked v1/v2, and derived raw-IP, BSD-loopback,
# big-endian and cut-short files).
# (No 802.1Q case: this kernel has no 8021q module; VLAN tags need hand-built unit tests.)
#
# OUTDIR defaults to tests/data/analyzer. Needs root, iproute2, nft, ethtool, tcpdump, tshark,
# editcap, python3. Traffic stays inside this run's namespaces (198.18.0.0/15, fd7c::/16);
# every namespace is deleted on exit, on failure and on SIGINT/SIGTERM; every step is bounded
# by a timeout. Random loss is not seeded (nft numgen), so a re-run gives different captures
# of the same behaviours: commit the captures together with their TSVs.
set -Eeuo pipefail   # -E: the ERR trap below also reports failures inside functions

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
expected=$repo/scripts/tshark_expected.sh

# --verify: the committed expectations must still be what this tshark says. A different tshark
# version is reported (first line of each TSV) but only a changed row is a failure.
if [ "${1:-}" = --verify ]; then
    dir=${2:-$repo/tests/data/analyzer}
    command -v tshark >/dev/null || { echo "make_analyzer_corpus.sh: tshark not installed" >&2; exit 3; }
    shopt -s nullglob
    bad=0 checked=0 difftmp=$(mktemp)
    for capture in "$dir"/*.pcap "$dir"/*.pcapng; do
        tsv=${capture%.*}.tsv
        [ -f "$tsv" ] || { echo "MISSING $tsv"; bad=1; continue; }
        if diff <(grep -v "^#" "$tsv") <("$expected" "$capture" | grep -v "^#") >"$difftmp" 2>&1; then
            checked=$((checked + 1))
        else
            echo "DIFFERS $tsv (committed < > tshark now):"; head -n 20 "$difftmp"; bad=1
        fi
    done
    rm -f "$difftmp"
    [ "$checked" -gt 0 ] || [ "$bad" = 1 ] || { echo "no captures in $dir" >&2; exit 2; }
    echo "verified $checked captures against $(tshark --version 2>/dev/null | head -n 1)"
    exit "$bad"
fi

outdir=${1:-$repo/tests/data/analyzer}
[ $# -eq 0 ] || shift
cases=("$@")

die() { echo "make_analyzer_corpus.sh: $1" >&2; exit "${2:-3}"; }
log() { echo "corpus: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, nftables, tcpdump)"
for tool in ip nft ethtool tcpdump tshark editcap tc timeout; do
    command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/setup.sh)"
done
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3) || die "missing tool 'python3'"
mkdir -p "$outdir" || die "cannot create output directory '$outdir'" 2

# --- run identity: tl1NN-*, 198.18.1NN.0/24, 198.19.1NN.0/24, fd7c:1NN:1::/64, fd7c:1NN:2::/64
nn=$(( (RANDOM % 90) + 10 ))
n=1$nn
cli=tl$n-cli rtr=tl$n-rtr srv=tl$n-srv
cli4=198.18.$n.2 rtr4c=198.18.$n.1 srv4=198.19.$n.2 rtr4s=198.19.$n.1
cli6=fd7c:$n:1::2 rtr6c=fd7c:$n:1::1 srv6=fd7c:$n:2::2 rtr6s=fd7c:$n:2::1
port=5001

created=()   # namespaces this run made: the only ones cleanup deletes
work=$(mktemp -d /tmp/tl$n-corpus.XXXXXX)
chmod 755 "$work"

cleanup() {
    local rc=$?
    # Only this shell's own background jobs that are still running (tcpdump, peers).
    local running
    running=$(jobs -p)
    [ -z "$running" ] || { kill $running 2>/dev/null || true; wait $running 2>/dev/null || true; }
    local ns
    for ns in "${created[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "make_analyzer_corpus.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
trap 'exit 130' INT TERM

in_ns() { local ns=$1; shift; timeout 30 ip netns exec "$ns" "$@"; }

# --- topology ------------------------------------------------------------------------------
for ns in "$cli" "$rtr" "$srv"; do
    [ ! -e "/run/netns/$ns" ] || die "namespace $ns exists (a stale run?); delete it first"
done
log "namespaces $cli / $rtr / $srv"
for ns in "$cli" "$rtr" "$srv"; do
    ip netns add "$ns"
    created+=("$ns")
    in_ns "$ns" ip link set lo up
    # No router solicitations / DAD noise in the captures; no autoconf from anyone.
    in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.all.router_solicitations=0 \
        net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
done
ip -n "$cli" link add veth0 type veth peer name vc netns "$rtr"
ip -n "$srv" link add veth0 type veth peer name vs netns "$rtr"
in_ns "$rtr" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

setup_if() {  # ns ifname addr4 addr6
    # One wire packet = one capture record: no segmentation/receive offloads; checksums
    # computed in software so the captures carry correct checksums.
    in_ns "$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 \
        || in_ns "$1" ethtool -K "$2" tso off gso off gro off
    in_ns "$1" ip addr add "$3" dev "$2"
    in_ns "$1" ip -6 addr add "$4" dev "$2" nodad
    in_ns "$1" ip link set "$2" up
}
setup_if "$cli" veth0 "$cli4/24" "$cli6/64"
setup_if "$rtr" vc "$rtr4c/24" "$rtr6c/64"
setup_if "$rtr" vs "$rtr4s/24" "$rtr6s/64"
setup_if "$srv" veth0 "$srv4/24" "$srv6/64"
in_ns "$cli" ip route add default via "$rtr4c"
in_ns "$cli" ip -6 route add default via "$rtr6c"
in_ns "$srv" ip route add default via "$rtr4s"
in_ns "$srv" ip -6 route add default via "$rtr6s"

in_ns "$rtr" nft -f - <<'EOF'
table inet tl {
    chain forward {
        type filter hook forward priority 0; policy accept;
    }
}
EOF

# Neighbour caches start cold: the first case of each family shows ARP / neighbour discovery,
# non-TCP records the analyzer must count in its frame numbers but otherwise skip.

# --- the TCP peers: plain kernel sockets driven by a small python program --------------------
peer_py='
import argparse, signal, socket, struct, sys, time
p = argparse.ArgumentParser()
p.add_argument("role", choices=["server", "client"])
p.add_argument("addr"); p.add_argument("port", type=int)
p.add_argument("--mode", default="sink")
p.add_argument("--conns", type=int, default=1)
p.add_argument("--bytes", type=int, default=0)
p.add_argument("--chunk", type=int, default=16384)
p.add_argument("--pause", type=float, default=0.0)
p.add_argument("--rcvbuf", type=int, default=0)
p.add_argument("--dstopts", action="store_true")
p.add_argument("--bind-port", type=int, default=0)
p.add_argument("--idle", type=float, default=0.0)
p.add_argument("--limit", type=float, default=40.0)
p.add_argument("--allow-reset", action="store_true")
p.add_argument("--refused-port", type=int, default=0)
a = p.parse_args()
signal.alarm(int(a.limit))              # every peer is bounded in time
fam = socket.AF_INET6 if ":" in a.addr else socket.AF_INET
def sendall(s, n):
    left = n
    while left > 0:
        k = min(left, a.chunk)
        s.sendall(b"x" * k); left -= k
        if a.pause: time.sleep(a.pause)
def drain(s, slow=False):
    got = 0
    while True:
        d = s.recv(a.chunk if slow else 65536)
        if not d: return got
        got += len(d)
        if slow: time.sleep(a.pause)
def dstopts(s):
    # An IPv6 Destination Options header (one PadN option, 8 bytes) on every packet the
    # socket sends: TCP behind an extension header. The kernel fills in the next header.
    if a.dstopts: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
def abort(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
if a.role == "server":
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.rcvbuf: ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    dstopts(ls)   # accepted sockets inherit the options of the listener
    ls.bind((a.addr, a.port)); ls.listen(8)
    print("ready", flush=True)
    for _ in range(a.conns):
        s, _ = ls.accept()
        if a.mode == "sink": drain(s); s.close()
        elif a.mode == "slow": drain(s, slow=True); s.close()
        elif a.mode == "send": sendall(s, a.bytes); s.shutdown(socket.SHUT_WR); drain(s); s.close()
        elif a.mode == "abort":
            got = 0
            while got < a.bytes:
                d = s.recv(65536)
                if not d: break
                got += len(d)
            abort(s)
        else: sys.exit("unknown server mode " + a.mode)
    ls.close()
else:
  if a.refused_port:                      # a SYN to a closed port: answered by RST/ACK
    r = socket.socket(fam, socket.SOCK_STREAM)
    try: r.connect((a.addr, a.refused_port)); sys.exit("refused-port is open")
    except ConnectionRefusedError: print("refused", flush=True)
    r.close(); time.sleep(0.2)
  try:
      for i in range(a.conns):
          s = socket.socket(fam, socket.SOCK_STREAM)
          dstopts(s)
          if a.bind_port:
              s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
              s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", a.bind_port))
          if a.mode == "keepalive":
              s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
              s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
              s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
              s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 9)
          try:
              s.connect((a.addr, a.port))
          except OSError as e:
              if a.mode == "retry":     # a rejected attempt (ICMP error), then connect again
                  print("failed:", e, flush=True); s.close(); time.sleep(0.3)
                  s = socket.socket(fam, socket.SOCK_STREAM); s.connect((a.addr, a.port))
              else: raise
          if a.mode in ("send", "keepalive", "retry"):
              sendall(s, a.bytes)
              if a.mode == "keepalive": time.sleep(a.idle)
              s.shutdown(socket.SHUT_WR); drain(s); s.close()
          elif a.mode == "recv": drain(s); s.close()
          elif a.mode == "abort": sendall(s, a.bytes); time.sleep(0.2); abort(s)
          else: sys.exit("unknown client mode " + a.mode)
          if i + 1 < a.conns: time.sleep(a.idle or 0.2)
  except (ConnectionResetError, BrokenPipeError) as e:
    if not a.allow_reset: raise
    print("reset:", e, flush=True)
'

# --- capture -----------------------------------------------------------------------------
cap_pids=()
cap_if=veth0     # capture interface in the end namespaces; "any" gives Linux cooked captures
cap_extra=()     # extra tcpdump arguments for the next case (link type, timestamp precision)
cap_start() {  # name snaplen
    local name=$1 snap=$2
    cap_pids=()
    local side ns
    for side in client server; do
        ns=$cli; [ $side = server ] && ns=$srv
        # -Z root: tcpdump must not drop to its own user (it could not write into $work).
        timeout 120 ip netns exec "$ns" tcpdump -i "$cap_if" -n --immediate-mode -U -Z root \
            -s "$snap" "${cap_extra[@]}" -w "$work/$name-$side.pcap" \
            2>"$work/$name-$side.tcpdump.log" &
        cap_pids+=($!)
    done
    # Ready only once tcpdump says it listens: traffic before that would be missing.
    local f
    for side in client server; do
        f=$work/$name-$side.tcpdump.log
        for _ in $(seq 100); do grep -q 'listening on' "$f" 2>/dev/null && break; sleep 0.05; done
        grep -q 'listening on' "$f" || die "tcpdump for $name/$side did not start: $(cat "$f")"
    done
}
cap_stop() {  # name
    sleep 0.3  # the last packets (final ACK, late retransmissions) are on the wire by now
    local pid
    for pid in "${cap_pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${cap_pids[@]}"; do wait "$pid" || true; done
}

# run_case NAME FAMILY SNAPLEN SERVER_ARGS -- CLIENT_ARGS   (nft rules already installed)
run_case() {
    local name=$1 fam=$2 snap=$3; shift 3
    local sargs=() cargs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sargs+=("$1"); shift; done
    shift
    cargs=("$@")
    local saddr=$srv4; [ "$fam" = 6 ] && saddr=$srv6
    log "case $name (IPv$fam, snaplen $snap)"
    cap_start "$name" "$snap"
    timeout 60 ip netns exec "$srv" "$python" -c "$peer_py" server "$saddr" $port "${sargs[@]}" \
        >"$work/$name.server.out" 2>&1 &
    local spid=$!
    for _ in $(seq 100); do grep -q ready "$work/$name.server.out" 2>/dev/null && break; sleep 0.05; done
    grep -q ready "$work/$name.server.out" || die "server for $name did not start: $(cat "$work/$name.server.out")"
    timeout 60 ip netns exec "$cli" "$python" -c "$peer_py" client "$saddr" $port "${cargs[@]}" \
        >"$work/$name.client.out" 2>&1 || die "client for $name failed: $(cat "$work/$name.client.out")"
    wait "$spid" || die "server for $name failed: $(cat "$work/$name.server.out")"
    cap_stop "$name"
    nft_show "$name"
    save_case "$name"
}

save_case() {  # name: copy both vantage points out and write their TSVs
    local side rows
    for side in client server; do
        cp "$work/$1-$side.pcap" "$outdir/$1-$side.pcap"
        # tshark's rows, plus the router's ground truth as a comment under the version line.
        "$expected" "$outdir/$1-$side.pcap" \
            | awk -v truth="$ground_truth" '{print} NR == 1 {print "# router: " truth}' \
            >"$outdir/$1-$side.tsv"
        # A vantage point without TCP means the capture missed the case: never commit that.
        rows=$(grep -vc -e '^#' -e '^frame' "$outdir/$1-$side.tsv" || true)
        [ "$rows" -gt 0 ] || die "$1-$side.pcap holds no TCP frame ($(cat "$work/$1-$side.tcpdump.log"))"
        log "  $1-$side: $rows TCP frames, $(stat -c %s "$outdir/$1-$side.pcap") bytes"
    done
}

nft_rules() {  # replace the router's drop rules with "$@" (one rule per argument)
    in_ns "$rtr" nft flush chain inet tl forward
    local r
    for r in "$@"; do in_ns "$rtr" nft add rule inet tl forward $r; done
}
ground_truth=""
nft_show() {  # what the router dropped in this case: logged and kept for the TSV comment
    ground_truth=$(in_ns "$rtr" nft list chain inet tl forward | grep 'counter' \
        | sed 's/^[[:space:]]*//' | paste -sd ';' - || true)
    if [[ $(in_ns "$rtr" tc qdisc show dev vs) == *htb* ]]; then
        ground_truth="${ground_truth:+$ground_truth; }htb+pfifo at the router: $(in_ns "$rtr" \
            tc -s qdisc show dev vs | grep -A1 pfifo | grep -o 'Sent.*dropped [0-9]*')"
    fi
    [ -n "$ground_truth" ] || ground_truth="dropped nothing"
    log "  $1 router: $ground_truth"
}

c2s4="ip saddr $cli4 ip daddr $srv4" s2c4="ip saddr $srv4 ip daddr $cli4"
c2s6="ip6 saddr $cli6 ip6 daddr $srv6" s2c6="ip6 saddr $srv6 ip6 daddr $cli6"
# Pure ACK = ACK flag only, no payload; every data write here is >= 100 bytes, so an IP packet
# below 100 bytes with only ACK set carries none.
pure_ack4="tcp flags == ack ip length < 100"
pure_ack6="tcp flags == ack ip6 length < 80"
# numgen inc counts 0, 1, 2, ... per rule, so "< K" drops exactly the first K matches.
first() { echo "numgen inc mod 1000000 < $1"; }

# --- the cases (each a function; all run by default, or the ones named on the command line) ---
case_clean_v4() { run_case clean_v4 4 0 --mode sink -- --mode send --bytes 60000; }
case_clean_v6() { run_case clean_v6 6 0 --mode sink -- --mode send --bytes 60000; }

# Random loss of client data segments (never SYN/FIN/RST), 7% / 5%.
case_loss_data_v4() {
    nft_rules "$c2s4 tcp flags & (syn|fin|rst) == 0 ip length > 100 numgen random mod 100 < 7 counter drop"
    run_case loss_data_v4 4 96 --mode sink -- --mode send --bytes 600000
}
case_loss_data_v6() {
    nft_rules "$c2s6 tcp flags & (syn|fin|rst) == 0 ip6 length > 80 numgen random mod 100 < 5 counter drop"
    run_case loss_data_v6 6 96 --mode sink -- --mode send --bytes 600000
}
# Request/response with pauses: a lost ACK makes the sender time out and resend data the
# receiver already has (retransmission at the client, spurious retransmission at the server).
case_loss_ack_v4() {
    nft_rules "$s2c4 $pure_ack4 numgen random mod 100 < 40 counter drop"
    run_case loss_ack_v4 4 0 --mode sink -- --mode send --bytes 12000 --chunk 1000 --pause 0.3
}
case_syn_loss_v4() {
    nft_rules "$c2s4 tcp flags == syn $(first 2) counter drop"
    run_case syn_loss_v4 4 0 --mode sink -- --mode send --bytes 20000
}
case_synack_loss_v4() {
    nft_rules "$s2c4 tcp flags == syn|ack $(first 1) counter drop"
    run_case synack_loss_v4 4 0 --mode sink -- --mode send --bytes 20000
}
case_synack_loss_v6() {
    nft_rules "$s2c6 tcp flags == syn|ack $(first 2) counter drop"
    run_case synack_loss_v6 6 0 --mode sink -- --mode send --bytes 20000
}
case_fin_loss_v4() {
    nft_rules "$c2s4 tcp flags & fin == fin $(first 1) counter drop"
    run_case fin_loss_v4 4 0 --mode sink -- --mode send --bytes 20000
}
# The server closes first here (mode send): its FIN is dropped twice.
case_fin_loss_v6() {
    nft_rules "$s2c6 tcp flags & fin == fin $(first 2) counter drop"
    run_case fin_loss_v6 6 0 --mode send --bytes 20000 -- --mode recv
}
# Congestion: 8 Mbit/s towards the server with a 4-packet FIFO, the sender bursts into it.
case_congestion_v4() {
    in_ns "$rtr" tc qdisc add dev vs root handle 1: htb default 10
    in_ns "$rtr" tc class add dev vs parent 1: classid 1:10 htb rate 8mbit ceil 8mbit burst 3000
    in_ns "$rtr" tc qdisc add dev vs parent 1:10 handle 10: pfifo limit 4
    run_case congestion_v4 4 96 --mode sink -- --mode send --bytes 700000
    in_ns "$rtr" tc qdisc del dev vs root
}
# Zero window: a receiver with a tiny buffer that reads 2 KB every 0.4 s; Linux's persist
# probes (seq = snd.una - 1, no data) are keep-alives to tshark.
case_zero_window_v4() {
    run_case zero_window_v4 4 96 --mode slow --rcvbuf 2048 --chunk 2048 --pause 0.4 -- \
        --mode send --bytes 40000
}
# Keep-alive: an idle connection with 1 s TCP_KEEPIDLE/TCP_KEEPINTVL.
case_keepalive_v6() {
    run_case keepalive_v6 6 0 --mode sink -- --mode keepalive --bytes 200 --idle 3.6
}
# Port reuse: the same 4-tuple three times; the server closes first so the client holds no
# TIME_WAIT and can bind the same port again.
case_port_reuse_v4() {
    run_case port_reuse_v4 4 0 --mode send --conns 3 --bytes 3000 -- --mode recv --conns 3 \
        --bind-port 40001 --idle 0.3
}
# RST: a SYN to a closed port (RST/ACK), then the server aborts (SO_LINGER 0) mid-transfer.
case_rst_abort_v4() {
    run_case rst_abort_v4 4 0 --mode abort --bytes 20000 -- --mode send --bytes 200000 \
        --chunk 4000 --pause 0.01 --limit 10 --allow-reset --refused-port 5002
}
# ICMP errors quoting TCP: the router rejects the first SYNs with admin-prohibited; the
# client's kernel retries, then the client gives up and connects again.
case_icmp_reject_v4() {
    nft_rules "$c2s4 tcp flags == syn $(first 2) counter reject with icmp type admin-prohibited"
    run_case icmp_reject_v4 4 0 --mode sink -- --mode retry --bytes 5000
}
case_icmp_reject_v6() {
    nft_rules "$c2s6 tcp flags == syn $(first 2) counter reject with icmpv6 type admin-prohibited"
    run_case icmp_reject_v6 6 0 --mode sink -- --mode retry --bytes 5000
}

# IPv6 extension header: both ends send every segment behind a Destination Options header;
# 8% of the client's data is dropped.
case_exthdr_loss_v6() {
    nft_rules "$c2s6 tcp flags & (syn|fin|rst) == 0 ip6 length > 80 numgen random mod 100 < 8 counter drop"
    run_case exthdr_loss_v6 6 128 --mode sink --dstopts -- --mode send --bytes 150000 --dstopts
}

# Hand edge cases for the reader: other link types, timestamp precision, file format.
# Linux cooked v2 (tcpdump -i any), with the first SYN dropped.
case_sll2_syn_loss_v4() {
    cap_if=any cap_extra=(-y LINUX_SLL2)
    nft_rules "$c2s4 tcp flags == syn $(first 1) counter drop"
    run_case sll2_syn_loss_v4 4 0 --mode sink -- --mode send --bytes 8000
    cap_if=veth0 cap_extra=()
}
# Linux cooked v1, IPv6, snaplen 80 (cuts into the TCP options of some frames).
case_sll_fin_loss_v6() {
    cap_if=any cap_extra=(-y LINUX_SLL)
    nft_rules "$c2s6 tcp flags & fin == fin $(first 1) counter drop"
    run_case sll_fin_loss_v6 6 80 --mode sink -- --mode send --bytes 8000
    cap_if=veth0 cap_extra=()
}
# Nanosecond timestamps straight from the kernel (pcap magic a1b23c4d).
case_nsec_loss_ack_v4() {
    cap_extra=(--time-stamp-precision=nano)
    nft_rules "$s2c4 $pure_ack4 numgen random mod 100 < 50 counter drop"
    run_case nsec_loss_ack_v4 4 0 --mode sink -- --mode send --bytes 6000 --chunk 1000 --pause 0.25
    cap_extra=()
}
# Derived captures: the same real packets in another container or link type, for the reader.
# relink_py rewrites an Ethernet pcap record by record (non-IP records such as ARP cannot be
# expressed in the target link types and are left out, so frame numbers differ from the source):
#   raw      LINKTYPE_RAW (101): the IP packet only
#   null     LINKTYPE_NULL (0, BSD loopback): 4-byte address family in the writer's byte order
#            (little-endian here; AF_INET 2, AF_INET6 24 as on NetBSD/OpenBSD)
#   swapped  the same Ethernet records in a big-endian pcap (as written on a big-endian host)
relink_py='
import struct, sys
src, dst, kind = sys.argv[1:4]
data = open(src, "rb").read()
if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
    sys.exit(src + ": not a little-endian pcap")
magic, major, minor, zone, sigfigs, snaplen, link = struct.unpack("<IHHiIII", data[:24])
if link != 1: sys.exit(src + ": link type %d, expected Ethernet" % link)
out_link = {"raw": 101, "null": 0, "swapped": 1}[kind]
end = ">" if kind == "swapped" else "<"
out = [struct.pack(end + "IHHiIII", magic, major, minor, zone, sigfigs, snaplen, out_link)]
off = 24
while off + 16 <= len(data):
    sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    rec = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if kind != "swapped":
        ethertype = rec[12:14]
        if ethertype not in (b"\x08\x00", b"\x86\xdd"): continue
        rec, orig = rec[14:], orig - 14
        if kind == "null":
            rec, orig = struct.pack("<I", 2 if ethertype == b"\x08\x00" else 24) + rec, orig + 4
    out.append(struct.pack(end + "IIII", sec, frac, len(rec), orig) + rec)
open(dst, "wb").write(b"".join(out))
'
# derive NAME SOURCE_CASE KIND EXT: NAME-{client,server}.EXT from SOURCE_CASE's captures.
derive() {
    local name=$1 source=$2 kind=$3 ext=$4 side
    [ -f "$outdir/$source-client.pcap" ] || "case_$source"
    for side in client server; do
        if [ "$kind" = pcapng ]; then
            editcap -F pcapng "$outdir/$source-$side.pcap" "$outdir/$name-$side.$ext"
        else
            "$python" -c "$relink_py" "$outdir/$source-$side.pcap" "$outdir/$name-$side.$ext" "$kind"
        fi
        "$expected" "$outdir/$name-$side.$ext" \
            | awk -v truth="$(sed -n '2s/^# router: //p' "$outdir/$source-$side.tsv")" \
                '{print} NR == 1 {print "# router: " truth}' >"$outdir/$name-$side.tsv"
    done
    log "case $name ($kind of $source)"
}
# pcapng: tcpdump writes pcap only, so the SYN-loss case is converted with editcap.
case_pcapng_syn_loss_v4() { derive pcapng_syn_loss_v4 syn_loss_v4 pcapng pcapng; }
case_rawip_fin_loss_v4() { derive rawip_fin_loss_v4 fin_loss_v4 raw pcap; }
case_null_fin_loss_v6() { derive null_fin_loss_v6 fin_loss_v6 null pcap; }
case_swapped_synack_loss_v4() { derive swapped_synack_loss_v4 synack_loss_v4 swapped pcap; }
# A capture cut short in the middle of a record (client vantage only): what was read before
# the damage is still analysed; tshark's message is the TSV's "# damaged:" comment.
case_truncated_fin_loss_v4() {
    [ -f "$outdir/fin_loss_v4-client.pcap" ] || case_fin_loss_v4
    head -c 15000 "$outdir/fin_loss_v4-client.pcap" >"$outdir/truncated_fin_loss_v4-client.pcap"
    "$expected" "$outdir/truncated_fin_loss_v4-client.pcap" 2>/dev/null \
        | awk -v truth="$(sed -n '2s/^# router: //p' "$outdir/fin_loss_v4-client.tsv")" \
            '{print} NR == 1 {print "# router: " truth}' >"$outdir/truncated_fin_loss_v4-client.tsv"
    grep -q '^# damaged:' "$outdir/truncated_fin_loss_v4-client.tsv" \
        || die "truncated_fin_loss_v4-client.pcap is not reported as damaged by tshark"
    log "case truncated_fin_loss_v4 (first 15000 bytes of fin_loss_v4-client.pcap)"
}
# A capture that missed one packet (the client's last data segment with its FIN, as a busy
# tcpdump can): the server's ACKs of bytes never seen are "ACKed unseen segment", and tshark
# reports one gap once (its dupacknum = -1 mark) until the client sends past it.
case_uncaptured_fin_v4() {
    [ -f "$outdir/clean_v4-client.pcap" ] || case_clean_v4
    local side frame
    for side in client server; do
        frame=$(tshark -n -r "$outdir/clean_v4-$side.pcap" -Y 'tcp.flags.fin == 1 && tcp.len > 0' \
                    -T fields -e frame.number 2>/dev/null | head -n 1)
        [ -n "$frame" ] || die "clean_v4-$side.pcap has no data segment with FIN"
        editcap "$outdir/clean_v4-$side.pcap" "$outdir/uncaptured_fin_v4-$side.pcap" "$frame"
        "$expected" "$outdir/uncaptured_fin_v4-$side.pcap" \
            | awk -v frame="$frame" '{print} NR == 1 {print "# derived: clean_v4-'"$side"'.pcap without its frame " frame}' \
            >"$outdir/uncaptured_fin_v4-$side.tsv"
    done
    log "case uncaptured_fin_v4 (clean_v4 without the client's data+FIN segment)"
}

all_cases=(clean_v4 clean_v6 loss_data_v4 loss_data_v6 loss_ack_v4 syn_loss_v4 synack_loss_v4
           synack_loss_v6 fin_loss_v4 fin_loss_v6 congestion_v4 zero_window_v4 keepalive_v6
           port_reuse_v4 rst_abort_v4 icmp_reject_v4 icmp_reject_v6 exthdr_loss_v6
           sll2_syn_loss_v4 sll_fin_loss_v6 nsec_loss_ack_v4 pcapng_syn_loss_v4
           rawip_fin_loss_v4 null_fin_loss_v6 swapped_synack_loss_v4 truncated_fin_loss_v4
           uncaptured_fin_v4)
[ ${#cases[@]} -gt 0 ] || cases=("${all_cases[@]}")
for c in "${cases[@]}"; do
    declare -F "case_$c" >/dev/null || die "unknown case '$c' (known: ${all_cases[*]})" 2
done
for c in "${cases[@]}"; do
    nft_rules      # each case starts with no drop rules
    "case_$c"
done
log "done: ${#cases[@]} cases in $outdir"
