#!/usr/bin/env bash
# Refresh the vendored third-party web assets from their npm packages at pinned versions.
# The web client serves them itself (no CDN at run time); each keeps its licence file.
set -euo pipefail

HTMX=2.0.11
PICO=2.1.1
AXE=4.14.1  # for the browser tests only

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATIC="$ROOT/src/flowra_entrypoints/web/static/vendor"
TESTS="$ROOT/tests/e2e/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

unpack() {  # unpack NAME@VERSION DIR: npm pack into the temp dir and extract
    local spec=$1 dir=$2
    mkdir -p "$WORK/$dir"
    (cd "$WORK" && npm pack --silent "$spec" >"$WORK/$dir.name")
    tar -xzf "$WORK/$(cat "$WORK/$dir.name")" -C "$WORK/$dir"
}

unpack "htmx.org@$HTMX" htmx
unpack "@picocss/pico@$PICO" pico
unpack "axe-core@$AXE" axe

mkdir -p "$STATIC/htmx" "$STATIC/pico" "$TESTS/axe"
cp "$WORK/htmx/package/dist/htmx.min.js" "$WORK/htmx/package/LICENSE" "$STATIC/htmx/"
cp "$WORK/pico/package/css/pico.min.css" "$STATIC/pico/"
cp "$WORK/pico/package/LICENSE.md" "$STATIC/pico/LICENSE.md"
cp "$WORK/axe/package/axe.min.js" "$WORK/axe/package/LICENSE" "$TESTS/axe/"
printf 'htmx.org %s\n@picocss/pico %s\n' "$HTMX" "$PICO" >"$STATIC/VERSIONS"
printf 'axe-core %s\n' "$AXE" >"$TESTS/VERSIONS"
echo "assets: htmx $HTMX, pico $PICO, axe-core $AXE"
