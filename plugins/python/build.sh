#!/usr/bin/env bash
# Builds the Python pricing plugin into a WebAssembly component.
#
#   bash plugins/python/build.sh OUT_DIR      -> OUT_DIR/flat_pricing_py.wasm
#
# Installs componentize-py (pinned) into the repo-local virtualenv <repo>/.venv
# (pip cache under <repo>/target/pip-cache, nothing cached outside the repo) and
# skips every step whose result is already up to date, so a rebuild with nothing
# changed takes well under a second.
#
# Environment:
#   PYTHON          interpreter used to create the venv (default: python3)
#   BAZAAR_WIT_DIR  WIT directory to build against (default: <repo>/wit)
set -euo pipefail

COMPONENTIZE_PY_VERSION=0.25.1
WORLD=pricing-plugin
APP_MODULE=app
OUT_NAME=flat_pricing_py.wasm

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUT_DIR" >&2
    exit 2
fi

SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"
VENV="$REPO/.venv"
APP_DIR="$SCRIPT_DIR/flat_pricing"
WIT_DIR="${BAZAAR_WIT_DIR:-$REPO/wit}"
mkdir -p "$1"
OUT_DIR="$(cd "$1" && pwd)"
OUT="$OUT_DIR/$OUT_NAME"

# --- componentize-py in the repo-local venv --------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    echo "build.sh: creating virtualenv $VENV" >&2
    "${PYTHON:-python3}" -m venv "$VENV"
fi

# Cheap check (no pip start-up): the installed dist-info carries the version.
if ! compgen -G "$VENV/lib/python3*/site-packages/componentize_py-$COMPONENTIZE_PY_VERSION.dist-info" >/dev/null; then
    echo "build.sh: installing componentize-py==$COMPONENTIZE_PY_VERSION into $VENV" >&2
    PIP_CACHE_DIR="$REPO/target/pip-cache" "$VENV/bin/python" -m pip install \
        --disable-pip-version-check -q "componentize-py==$COMPONENTIZE_PY_VERSION"
fi

# --- componentize, unless the output is newer than every input ---------------
up_to_date() {
    [ -f "$OUT" ] || return 1
    local input
    for input in "$APP_DIR/$APP_MODULE.py" "$WIT_DIR"/*.wit "$SCRIPT_DIR/build.sh"; do
        [ "$OUT" -nt "$input" ] || return 1
    done
    return 0
}

if up_to_date; then
    echo "build.sh: $OUT is up to date" >&2
    exit 0
fi

# Build into a temporary file and move it into place, so an interrupted build
# never leaves a truncated component that looks up to date.
TMP_OUT="$OUT_DIR/.$OUT_NAME.tmp.$$"
trap 'rm -f "$TMP_OUT"' EXIT
# Run from the app directory with no VIRTUAL_ENV so only the app (and the
# standard library) is bundled; the venv's own site-packages stays out.
(
    cd "$APP_DIR"
    unset VIRTUAL_ENV
    "$VENV/bin/componentize-py" -q -d "$WIT_DIR" -w "$WORLD" \
        componentize -p "$APP_DIR" "$APP_MODULE" -o "$TMP_OUT"
)
mv -f "$TMP_OUT" "$OUT"
trap - EXIT
echo "build.sh: built $OUT ($(wc -c <"$OUT") bytes)" >&2
