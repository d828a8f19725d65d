#!/usr/bin/env bash
# Fails when a C++ source differs from the repo's .clang-format (Debian 12's clang-format 14, the
# version setup.sh installs; another major version may format differently). Lists the files;
# `./scripts/check_format.sh --fix` rewrites them in place.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v clang-format >/dev/null || { echo "check_format.sh: clang-format is not installed (scripts/setup.sh installs it)" >&2; exit 3; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc' | grep -v '^tests/data/')
if [ "${1:-}" = --fix ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
bad=()
for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
    echo "check_format.sh: ${#bad[@]} file(s) differ from .clang-format (fix: ./scripts/check_format.sh --fix):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
echo "check_format.sh: ${#files[@]} files formatted"
