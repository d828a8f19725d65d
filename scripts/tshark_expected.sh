#!/usr/bin/env bash
# tshark_expected.sh PCAP > TSV
#
# Prints tshark's per-frame TCP analysis of PCAP in the docs/CLI.md `--frames --format tsv`
# contract, so the analyzer's golden tests compare against the oracle itself:
#
#   # tshark <version>                       (comment: lines starting with '#' are comments)
#   frame<TAB>stream<TAB>flags<TAB>rto<TAB>rto_frame
#   one row per frame that has a TCP header
#
# tshark runs with its default TCP preferences (analyze sequence numbers on, relative sequence
# numbers on); the user's Wireshark profile is ignored so a personal preference cannot change
# the oracle.
#
# A damaged capture (cut short mid-record, corrupt record) still yields the rows tshark printed
# before the damage, and a comment line "# damaged: <tshark's message>" under the version.
#
# Choices (documented because the analyzer must make the same ones):
# - Which frames get a row: those where tshark shows a `tcp.stream` field, i.e. a TCP layer was
#   dissected. That includes TCP quoted inside an ICMP/ICMPv6 error (tshark dissects the quoted
#   header, gives it a stream index, but runs no sequence analysis on it, so flags stay empty).
# - A frame with two TCP headers (e.g. an ICMP error quoting TCP, carried over TCP-in-IP
#   tunnels, or ICMP inside ICMP): every column comes from the FIRST occurrence of the field in
#   the frame (`-E occurrence=f`), i.e. the outermost TCP header's stream and flags.
# - flags: the tcp.analysis.<name> fields present on the frame, in the docs/CLI.md order, joined
#   by commas. tshark prints a present FT_NONE field as "1" in -T fields output, absent as "".
# - rto: tcp.analysis.rto is printed by tshark with nanosecond digits; it is rounded to 6
#   decimals half-up on the exact decimal string (no binary floating point), so a nanosecond
#   capture rounds the same way every time. rto_frame is printed as tshark gives it.
set -euo pipefail

die() { echo "tshark_expected.sh: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: tshark_expected.sh PCAP > TSV"
pcap=$1
[ -r "$pcap" ] || die "cannot read capture file '$pcap'"
command -v tshark >/dev/null || { echo "tshark_expected.sh: tshark not installed" >&2; exit 3; }

flags=(retransmission fast_retransmission spurious_retransmission out_of_order duplicate_ack
       lost_segment ack_lost_segment keep_alive zero_window window_update window_full
       keep_alive_ack zero_window_probe)

fields=(-e frame.number -e tcp.stream)
for f in "${flags[@]}"; do fields+=(-e "tcp.analysis.$f"); done
fields+=(-e tcp.analysis.rto -e tcp.analysis.rto_frame)

# A whole test suite calls this script hundreds of times and every tshark start costs ~1 s of
# CPU: scripts/test.sh asks tshark for its version once and passes it in TCPLAB_TSHARK_VERSION.
version=${TCPLAB_TSHARK_VERSION:-$(tshark --version 2>/dev/null | head -n 1)}

# An empty config dir: default preferences, no personal profile; the TCP preferences the
# oracle depends on are also set explicitly so a changed default would be visible here.
confdir=$(mktemp -d)
trap 'rm -rf "$confdir"' EXIT

rc=0
out=$(WIRESHARK_CONFIG_DIR=$confdir timeout 600 tshark -n -r "$pcap" \
        -o tcp.analyze_sequence_numbers:TRUE -o tcp.relative_sequence_numbers:TRUE \
        -Y tcp -T fields -E separator=/t -E occurrence=f "${fields[@]}" 2>"$confdir/stderr") \
    || rc=$?
# tshark's only expected stderr line is its warning about running as root.
problem=$(grep -v 'Running as user' "$confdir/stderr" | tr '\n' ' ' | sed 's/ *$//' || true)
damaged=0
if [ "$rc" -ne 0 ]; then
    # A damaged capture (cut short mid-record, corrupt record): tshark still printed the frames
    # before the damage, and that is the expectation; the message becomes a comment line.
    if [ -n "$out" ] && [[ $problem =~ cut\ short|damaged|corrupt|bogus ]]; then
        damaged=1
    else
        die "tshark failed on '$pcap' (exit $rc): $problem"
    fi
fi
[ -z "$problem" ] || echo "tshark_expected.sh: $pcap: $problem" >&2

printf '# %s\n' "$version"
[ "$damaged" = 0 ] || printf '# damaged: %s\n' "${problem//$pcap/$(basename "$pcap")}"
printf 'frame\tstream\tflags\trto\trto_frame\n'
[ -n "$out" ] || exit 0
printf '%s\n' "$out" | awk -F '\t' -v names="${flags[*]}" '
BEGIN { nflags = split(names, name, " "); OFS = "\t" }
{
    list = ""
    for (i = 1; i <= nflags; i++)
        if ($(2 + i) != "") list = list (list == "" ? "" : ",") name[i]
    rto = $(3 + nflags)
    if (rto != "") rto = round6(rto)
    print $1, $2, list, rto, $(4 + nflags)
}
# "S.FFFFFFFFF" -> "S.FFFFFF", rounded half-up on the decimal digits.
function round6(s,    parts, sec, frac, ns, us) {
    if (s !~ /^[0-9]+(\.[0-9]+)?$/) { print "bad tcp.analysis.rto value: " s > "/dev/stderr"; exit 2 }
    split(s, parts, ".")
    sec = parts[1]; frac = substr(parts[2] "000000000", 1, 9)
    us = int(substr(frac, 1, 6)) + (substr(frac, 7, 1) >= 5 ? 1 : 0)
    if (us >= 1000000) { sec += 1; us -= 1000000 }
    return sprintf("%d.%06d", sec, us)
}'
