#!/usr/bin/env bash
# Open Jupyter Lab on notebooks/ with the brainml Rust kernel (after scripts/run.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
exec "$VENV/bin/jupyter" lab --notebook-dir="$ROOT/notebooks" "$@"
