#!/usr/bin/env bash
# Open Jupyter Lab on notebooks/ with the brainml Rust kernel (after scripts/run.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
extra=()
# Jupyter refuses to run as root unless told; containers and lab machines often are root.
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
exec "$VENV/bin/jupyter" lab --notebook-dir="$ROOT/notebooks" "${extra[@]}" "$@"
