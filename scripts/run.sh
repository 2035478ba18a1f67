#!/usr/bin/env bash
# Command (a): set everything up and run the main job — every notebook in notebooks/ executed
# headless, in place (the notebooks you open afterwards hold this machine's outputs).
# Idempotent: a second run skips finished steps.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cat <<TXT
brainml set-up: Python + Jupyter (.venv), the evcxr Rust kernel, brainml and its dependencies
(compiled once, shared by the CLI, the tests and every notebook), the data, then every notebook
executed in place. On $CORES cores with nothing cached this takes about $(( (1150 * 2 / CORES + 59) / 60 )) minutes
(measured: README, "Set-up"); a second run takes seconds. Build caches: $BRAINML_CACHE
TXT
ensure_venv
ensure_rust
ensure_kernel
ensure_data
execute_notebooks --inplace "$ROOT"/notebooks/*.ipynb
step_table
echo "Done: notebooks executed in place in notebooks/ ($SECONDS s in all)"
