#!/usr/bin/env bash
# The dependency rule of docs/ARCHITECTURE.md, checked on the #include lines: each library may
# include only the libraries listed for it (base <- packet <- {analyzer, generator, netem/*};
# base <- tls; everything <- scenario <- app), and a library's detail/ headers only from inside
# that library (and its tests). Prints every violation; exit 1 if there is one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# library directory -> the include roots it may use (its own is always allowed)
declare -A allowed=(
    [base]=""
    [packet]="base"
    [analyzer]="base packet"
    [generator]="base packet"
    [tls]="base"
    [netem/lab]="base"
    [netem/impair]="base packet netem/lab"
    [netem/forwarder]="base packet netem/lab netem/impair"
    [netem/capture]="base"
    [netem/vm]="base"
    [scenario]="base packet analyzer generator tls netem/lab netem/impair netem/forwarder netem/capture netem/vm"
    [experiment]="base packet analyzer generator tls netem/lab netem/impair netem/forwarder netem/capture netem/vm scenario"
    [app]="base packet analyzer generator tls netem/lab netem/impair netem/forwarder netem/capture netem/vm scenario experiment"
)
libraries() { printf '%s\n' "${!allowed[@]}" | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-; }

# The library a path belongs to: the longest library directory that prefixes it.
owner() {
    local lib
    while read -r lib; do
        [[ $1 == "$lib"/* ]] && { echo "$lib"; return; }
    done < <(libraries)
}

bad=0
while IFS=: read -r file line text; do
    from=$(owner "$file")
    [ -n "$from" ] || continue
    target=$(sed -E 's/^[[:space:]]*#include "([^"]+)".*/\1/' <<<"$text")
    to=$(owner "$target")
    [ -n "$to" ] || continue  # not a library header (e.g. a test helper)
    if [[ $target == */detail/* && $to != "$from" ]]; then
        echo "$file:$line: includes $target, an internal header of $to/"
        bad=1
        continue
    fi
    [ "$to" = "$from" ] && continue
    if [[ " ${allowed[$from]} " != *" $to "* ]]; then
        echo "$file:$line: $from/ may not include $to/ ($target)"
        bad=1
    fi
done < <(git grep -n '^[[:space:]]*#include "' -- '*.cpp' '*.hpp' ':!tests/' ':!bench/' ':!fuzz/')

# Tests may use internals, but only of the library they test.
while IFS=: read -r file line text; do
    target=$(sed -E 's/^[[:space:]]*#include "([^"]+)".*/\1/' <<<"$text")
    [[ $target == */detail/* ]] || continue
    to=$(owner "$target")
    dir=$(cut -d/ -f3 <<<"$file")  # tests/<unit|integration>/<dir>/...
    [[ $to == "$dir" || $to == */"$dir" || $to == "$dir"/* ]] && continue
    echo "$file:$line: includes $target, an internal header of $to/, from tests of $dir"
    bad=1
done < <(git grep -n '^[[:space:]]*#include "' -- 'tests/unit/*' 'tests/integration/*')

# Libraries never print and never exit: app/ owns stdout, stderr and exit codes. (A forked
# child that fails to exec still leaves with _exit: that is not the library exiting.)
while IFS= read -r hit; do
    echo "$hit: a library prints or exits (only app/ may)"
    bad=1
done < <(git grep -nE 'std::(cout|cerr|clog)\b|\b(f?printf|f?puts|perror)\(|std::exit\(|[^_:a-z]exit\(' \
    -- '*.cpp' '*.hpp' ':!app/' ':!tests/' ':!bench/' ':!fuzz/' | grep -v '// layering: allowed' || true)

[ "$bad" = 0 ] && echo "check_layering.sh: every #include follows the dependency rule; libraries do not print"
exit "$bad"
