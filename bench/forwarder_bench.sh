#!/usr/bin/env bash
# Userspace forwarder vs the kernel's own forwarding, same namespaces, same kernel TCP bulk
# transfer (512 MiB client -> server, 1514-byte frames, offloads off). Prints both rates and the
# ratio, and fails if the forwarder moves less than 1 Gbit/s of frames. Needs root.
#   bench/forwarder_bench.sh [BUILD_DIR]      (default: build)
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
TCPLAB_BENCH=1 "$binary" --gtest_filter='ForwarderPerf.*' --gtest_brief=0 |
    grep -E 'forwarding|forwarder|ratio|OK|FAILED|Failure|target'
