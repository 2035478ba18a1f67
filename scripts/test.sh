#!/usr/bin/env bash
# Command (b): every test — cargo tests of all features, MNE reading the simulated BDF, then
# every notebook executed headless
# into a scratch folder (the committed notebooks are not touched); fails on any error cell.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_venv
ensure_rust
ensure_kernel
ensure_data
step "cargo test (all features)"
cargo test --all-features --no-fail-fast
took
ensure_test_venv
step "MNE reads the simulated BDF (tests/python/check_simulated_bdf.py)"
"$ROOT/tests/.venv/bin/python" "$ROOT/tests/python/check_simulated_bdf.py" "$ROOT/data/simulated"
took
execute_notebooks "$BRAINML_CACHE/executed" "$ROOT"/notebooks/*.ipynb
step "All tests passed ($((SECONDS)) s)"
