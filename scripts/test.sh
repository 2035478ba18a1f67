#!/usr/bin/env bash
# Command (b): every test — the dependency-feature check, cargo tests of all features, MNE
# reading the simulated BDF, then every notebook in a real browser (tests/browser: the committed
# notebook opened as a learner opens it, then run in JupyterLab; the committed notebooks are not
# touched). Fails on any failed test, error cell or figure that does not show.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
ensure_venv
ensure_rust
ensure_kernel
ensure_data
step "Every build shares one compiled dependency graph (scripts/check_features.py)"
python3 "$ROOT/scripts/check_features.py"
step "Formatting (cargo fmt --check; rustfmt.toml)"
for c in rustfmt clippy; do  # in rustup's default profile; added when the toolchain is minimal
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
done
cargo fmt --all --check
step "Lints (cargo clippy --all-features -- -D warnings)" 240
cargo clippy --all-features -- -D warnings
step "Committed notebooks match their cell sources (scripts/make_notebooks.py --check)"
"$PY" "$ROOT/scripts/make_notebooks.py" --check
step "cargo test (all features)" 150
cargo test --all-features --no-fail-fast
ensure_test_venv
step "MNE reads the simulated BDF (tests/python/check_simulated_bdf.py)"
"$ROOT/tests/.venv/bin/python" "$ROOT/tests/python/check_simulated_bdf.py" "$ROOT/data/simulated"
ensure_browser
browser_test "$ROOT"/notebooks/*.ipynb
step_table
echo "All tests passed ($SECONDS s)"
