#!/usr/bin/env bash
# Userspace forwarder vs the kernel's own forwarding, same namespaces, same kernel TCP bulk
# transfer (512 MiB client -> server, 1514-byte frames, offloads off), in 5 interleaved rounds
# (TCPLAB_BENCH_ROUNDS=N for more). Prints every round, both medians and their ratio, and fails if
# the forwarder's median is under 1 Gbit/s of frames. Needs root. Run it alone:
#   sudo flock /tmp/tcplab-bench.lock bench/forwarder_bench.sh [BUILD_DIR]   (default: build)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
binary="$build/tests/integration_netem"
if [ "$(id -u)" -ne 0 ]; then
    echo "forwarder_bench: needs root (creates network namespaces)" >&2
    exit 3
fi
if [ ! -x "$binary" ]; then
    echo "forwarder_bench: $binary not built (cmake --build $build --target integration_netem)" >&2
    exit 3
fi
echo "forwarder_bench: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
TCPLAB_BENCH=1 "$binary" --gtest_filter='ForwarderPerf.*' --gtest_brief=0 |
    grep -E 'round|median|forwarding|forwarder|ratio|OK|FAILED|Failure|target'
