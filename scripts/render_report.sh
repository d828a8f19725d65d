#!/usr/bin/env bash
# render_report.sh DIR [OUT.png] — proves an experiment's index.html renders in a real browser:
# headless Chromium loads DIR/index.html (offline: a self-contained page needs nothing else) and
# writes a screenshot (default DIR/index.png). Fails when Chromium cannot render it or the page
# shows no chart. Chromium is large, so it is installed here on first use (Debian's `chromium`),
# not by setup.sh.
set -euo pipefail
dir=${1:?usage: $0 EXPERIMENT_DIR [OUT.png]}
out=${2:-$dir/index.png}
[ -f "$dir/index.html" ] || { echo "render_report.sh: no $dir/index.html" >&2; exit 2; }
if ! command -v chromium >/dev/null; then
    echo "render_report.sh: installing chromium (once)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi
page=$(cd "$dir" && pwd)/index.html
profile=$(mktemp -d); trap 'rm -rf "$profile"' EXIT
# The DOM after rendering: the charts must be there as SVG elements the browser built.
dom=$(timeout 60 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$profile" \
      --dump-dom "file://$page" 2>/dev/null)
n=$(grep -o '<svg' <<<"$dom" | wc -l)
[ "$n" -ge 1 ] || { echo "render_report.sh: the rendered page has no chart" >&2; exit 1; }
timeout 60 chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$profile" \
    --hide-scrollbars --window-size=1000,1500 --screenshot="$(realpath -m "$out")" \
    "file://$page" >/dev/null 2>&1
[ -s "$out" ] || { echo "render_report.sh: no screenshot written" >&2; exit 1; }
echo "render_report.sh: $n charts rendered; screenshot $out"
