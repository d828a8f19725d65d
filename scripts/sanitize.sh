#!/usr/bin/env bash
# The sanitizer CI step: build tcplab and every unit_* / integration_* test with AddressSanitizer
# + UndefinedBehaviorSanitizer (-fno-sanitize-recover=all, from the top-level CMakeLists.txt) and
# run the unit and integration tests (not the scenario library: it re-runs the same code paths
# for minutes). Any finding — memory error, leak, undefined behaviour — aborts the process with a
# stack and fails its test. Integration tests need root (namespaces); without root they report
# themselves as skipped.
#
# Environment: TCPLAB_ASAN_BUILD_DIR (default build-asan). Built without -Werror: the
# instrumented build makes GCC 12 report false -Wmaybe-uninitialized inside libstdc++'s <regex>;
# warnings are enforced by the normal -Werror build of the same code.
# Extra arguments go to ctest, e.g.  scripts/sanitize.sh -R hostile
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${TCPLAB_ASAN_BUILD_DIR:-$repo/build-asan}
started=$(date +%s)

die() { echo "sanitize.sh: $*" >&2; exit 1; }

cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTCPLAB_WERROR=OFF -DTCPLAB_SANITIZE=address,undefined >/dev/null \
    || die "cmake configure failed"

# Only what the tests run: the CLI (tests exec it) and the test executables (benchmarks and
# fuzz targets are not part of this step).
mapfile -t targets < <(cmake --build "$build_dir" --target help \
    | sed -n 's/^\.\.\. \(\(unit\|integration\)_[A-Za-z0-9_]*\)$/\1/p')
[ ${#targets[@]} -gt 0 ] || die "no unit_*/integration_* targets found in $build_dir"
# The sanitizer build is CPU-heavy and the machine is shared: lowest priority.
nice -n 19 cmake --build "$build_dir" -j "$(nproc)" --target tcplab "${targets[@]}" \
    || die "build failed (see the compiler output above)"
built=$(date +%s)

# Fatal on the first finding, with a symbolised stack. detect_leaks: a leak fails the test at
# exit. No suppressions: every finding so far has been a real bug in our code and was fixed.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:print_stacktrace=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:detect_invalid_pointer_pairs=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=print_suppressions=0

cd "$build_dir"
rc=0
ctest --output-on-failure --timeout 900 -j "$(nproc)" -L 'unit|integration' -LE scenario "$@" || rc=$?
finished=$(date +%s)
echo "sanitize.sh: build $((built - started)) s, tests $((finished - built)) s, total $((finished - started)) s, ctest exit $rc"
exit "$rc"
