#!/usr/bin/env bash
# Command (a): set everything up and run the main job — every notebook in notebooks/ executed
# headless, in place (the notebooks you open afterwards hold this machine's outputs).
# Idempotent: a second run skips finished steps.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_venv
ensure_rust
ensure_kernel
ensure_data
execute_notebooks --inplace "$ROOT"/notebooks/*.ipynb
step "Done: notebooks executed in place in notebooks/ ($((SECONDS)) s in all)"
