#!/usr/bin/env bash
# unexpected_skips.sh CTEST_LOG ALLOWED_REGEX: the tests ctest reported as skipped ("The following
# tests did not run: ... (Skipped)") whose names do not match ALLOWED_REGEX, one per line. Used by
# test.sh and sanitize.sh, each with its own list of expected skips.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 CTEST_LOG ALLOWED_REGEX" >&2; exit 2; }
sed -n '/^The following tests did not run:/,/^$/p' "$1" | grep -F '(Skipped)' \
    | sed 's/^[[:space:]]*[0-9]* - \([^ ]*\) .*/\1/' | grep -v -E "$2|^$" || true
