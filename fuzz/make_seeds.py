#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs from the project's real data into OUT/<target>/:
packet: single frames cut out of tests/data/analyzer captures (first byte = link selector of
packet_fuzz.cpp, its top bit = through the tunnels); pcap_file: those captures cut to their first records, once per report form
(last byte = report selector of pcap_file_fuzz.cpp); scenario_spec: the
shipped scenarios/*.ini; tls_accept: ClientHellos that `openssl s_client` really sends.
scripts/fuzz.sh minimises the result (-merge=1) into tests/data/fuzz/<target>/corpus."""
import glob, os, socket, struct, subprocess, sys, threading

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo, "build-fuzz", "seeds")
RECORDS = 8  # records kept per capture: enough for a handshake, small enough to mutate fast
# packet_fuzz.cpp's kLinks order; the index after the last one means "raw IP, no link layer".
LINK_INDEX = {0: 0, 1: 1, 101: 2, 108: 3, 113: 4, 228: 5, 229: 6, 276: 7}
# pcap_file_fuzz.cpp's selector bytes for text, json, tsv, then the same with --frames (all streams).
REPORTS = {"text": 60, "json": 61, "tsv": 62, "frames-text": 63, "frames-json": 64, "frames-tsv": 65}


def put(target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def pcap_records(data):
    """(header bytes, [(record bytes, frame bytes)], linktype) of a classic pcap."""
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    records, pos = [], 24
    while pos + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
        records.append((data[pos:pos + 16 + caplen], data[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return data[:24], records, linktype


def pcapng_cut(data, keep):
    """The section header, interface blocks and the first `keep` packet blocks."""
    endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    pos, packets, parts = 0, 0, []
    while pos + 12 <= len(data) and packets < keep:
        kind, length = struct.unpack(endian + "II", data[pos:pos + 8])
        parts.append(data[pos:pos + length])
        packets += kind in (3, 6)
        pos += length
    return b"".join(parts)


def put_capture(name, capture):
    for report, selector in REPORTS.items():
        put("pcap_file", f"{name}-{report}", capture + bytes([selector]))


def captures():
    for path in sorted(glob.glob(os.path.join(repo, "tests/data/analyzer/*.pcap*"))):
        name = os.path.basename(path)
        data = open(path, "rb").read()
        if data[:4] == b"\x0a\x0d\x0d\x0a":
            put_capture(name, pcapng_cut(data, RECORDS))
            continue
        header, records, linktype = pcap_records(data)
        put_capture(name, header + b"".join(r for r, _ in records[:RECORDS]))
        for i, (_, frame) in enumerate(records[:RECORDS]):
            put("packet", f"{name}-{i + 1}", bytes([LINK_INDEX[linktype]]) + frame)
            put("packet", f"{name}-{i + 1}-innermost", bytes([0x80 | LINK_INDEX[linktype]]) + frame)


def scenarios():
    for path in sorted(glob.glob(os.path.join(repo, "scenarios/*.ini"))):
        put("scenario_spec", os.path.basename(path), open(path, "rb").read())


def client_hellos():
    """What openssl s_client sends first, recorded by a loopback listener that never answers."""
    variants = {"tls13": [], "tls12": ["-tls1_2"], "sni_alpn": ["-servername", "server", "-alpn", "h2"]}
    for name, extra in variants.items():
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        received = []

        def serve():
            conn, _ = listener.accept()
            conn.settimeout(2)
            try:
                received.append(conn.recv(65536))
            finally:
                conn.close()

        t = threading.Thread(target=serve)
        t.start()
        subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{listener.getsockname()[1]}",
                        *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
        t.join()
        listener.close()
        if not received or received[0][:1] != b"\x16":
            sys.exit(f"make_seeds: no ClientHello recorded from openssl s_client {extra}")
        put("tls_accept", f"client_hello_{name}", received[0])


captures()
scenarios()
client_hellos()
print(f"make_seeds: wrote {out}")
