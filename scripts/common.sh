# Shared by scripts/run.sh, scripts/test.sh and scripts/lab.sh: each step checks whether it is
# already done and returns quickly if so. Nothing global is touched: Python packages go to
# .venv/, the Jupyter kernel is registered inside .venv/, build caches go to $BRAINML_CACHE.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
EVCXR_VERSION="0.22.0"
export BRAINML_CACHE="${BRAINML_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/brainml}"
# Kernels are looked up here first, so ours wins over any other "rust" kernel a user has.
export JUPYTER_PATH="$VENV/share/jupyter"
export BRAINML_DATA="$ROOT/data"

# One build of the dependency graph serves the CLI, the tests and every notebook's kernel.
# The kernel (evcxr) builds with `--target <host>`, RUSTFLAGS=-Cprefer-dynamic and the profile
# in Cargo.toml/scripts/evcxr/cargo-config.toml, in <slot>/target, which scripts/rust-kernel.sh
# links to this same folder; building the CLI and the tests the same way lets cargo reuse every
# artifact (scripts/check_features.py keeps the dependency features equal across builds).
export CARGO_TARGET_DIR="$BRAINML_CACHE/target"
HOST_TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"
export CARGO_BUILD_TARGET="$HOST_TRIPLE"
export RUSTFLAGS="-Cprefer-dynamic"
# -Cprefer-dynamic links the Rust standard library dynamically: point the loader at it
# (cargo test does this itself; the CLI binary run from the target folder needs it too)
export LD_LIBRARY_PATH="$(rustc --print target-libdir)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
BIN_DIR="$CARGO_TARGET_DIR/$HOST_TRIPLE/debug"

# Steps: `step NAME [ESTIMATE_S]` starts one (printing the estimate for this machine's cores),
# `took` ends it; `step_table` prints what each step took. Estimates are what the step took on
# a 2-core machine from empty caches (README, "Set-up"), scaled by core count.
CORES="$(nproc 2>/dev/null || echo 2)"
STEP_NAMES=(); STEP_SECS=()
_step_name=""; t0=$SECONDS
step() {
  if [ -n "$_step_name" ]; then took; fi
  _step_name="$1"; t0=$SECONDS
  local est="${2:-}"
  if [ -n "$est" ] && [ "$est" -ge 60 ]; then
    printf '\n== %s (up to ~%d min on %d cores when nothing is cached)\n' "$1" $(( (est * 2 / CORES + 59) / 60 )) "$CORES"
  else
    printf '\n== %s\n' "$1"
  fi
}
took() {
  [ -n "$_step_name" ] || return 0
  local dt=$((SECONDS - t0))
  printf '   (%ds)\n' "$dt"
  STEP_NAMES+=("$_step_name"); STEP_SECS+=("$dt"); _step_name=""; t0=$SECONDS
}
step_table() {
  took
  printf '\n%-58s %8s\n' "step" "seconds"
  local i total=0
  for i in "${!STEP_NAMES[@]}"; do
    printf '%-58s %8d\n' "${STEP_NAMES[$i]:0:58}" "${STEP_SECS[$i]}"; total=$((total + STEP_SECS[i]))
  done
  printf '%-58s %8d\n' "total" "$total"
}

ensure_venv() {
  step "Python environment for Jupyter (.venv)" 40
  local stamp="$VENV/.brainml-requirements"
  if [ -x "$PY" ] && cat "$ROOT"/scripts/requirements-jupyter.txt "$ROOT"/scripts/constraints-jupyter.txt | cmp -s - "$stamp"; then
    echo "   up to date"; return
  fi
  if [ -n "${CONDA_PREFIX:-}" ] && [ "${BRAINML_USE_CONDA:-0}" = 1 ]; then
    python -m venv --system-site-packages "$VENV"
  else
    python3 -m venv "$VENV"
  fi
  "$PY" -m pip install --disable-pip-version-check -q -r "$ROOT/scripts/requirements-jupyter.txt" -c "$ROOT/scripts/constraints-jupyter.txt"
  cat "$ROOT"/scripts/requirements-jupyter.txt "$ROOT"/scripts/constraints-jupyter.txt > "$stamp"
}

# tool_venv DIR REQUIREMENTS [CONSTRAINTS]: a virtual environment of pinned Python tools that
# only the tests use (the workshop never does), rebuilt when its requirements change.
tool_venv() {
  local dir="$1" reqs=("$2" "${3:-}") stamp="$1/.brainml-requirements"
  if [ -x "$dir/bin/python" ] && cat "${reqs[@]}" 2>/dev/null | cmp -s - "$stamp"; then
    echo "   up to date"; return
  fi
  python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --disable-pip-version-check -q -r "$2" ${3:+-c "$3"}
  cat "${reqs[@]}" 2>/dev/null > "$stamp"
}

# ensure_test_venv: tests/.venv with MNE (golden checks only).
ensure_test_venv() {
  step "Python reference tools for tests (tests/.venv)" 60
  tool_venv "$ROOT/tests/.venv" "$ROOT/tests/python/requirements.txt" "$ROOT/tests/python/constraints.txt"
}

# ensure_browser: Debian's Chromium + chromedriver and tests/browser/.venv with selenium.
ensure_browser() {
  step "Browser for the notebook test (Chromium, selenium in tests/browser/.venv)" 60
  bash "$ROOT/tests/browser/ensure_chromium.sh"
  tool_venv "$ROOT/tests/browser/.venv" "$ROOT/tests/browser/requirements.txt" "$ROOT/tests/browser/constraints.txt"
}

# browser_test NB...: tests/browser/test_notebooks.py on the given (committed) notebooks.
browser_test() {
  step "Notebooks in JupyterLab in Chromium: open, restart and run all, step through" 400
  "$ROOT/tests/browser/.venv/bin/python" "$ROOT/tests/browser/test_notebooks.py" \
    --jupyter "$VENV/bin/jupyter" --out "$BRAINML_CACHE/ui" "$@"
}

ensure_rust() {
  step "Rust: rust-src component and evcxr_jupyter $EVCXR_VERSION" 320
  if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    rustup component add rust-src
  fi
  local tools="$BRAINML_CACHE/tools" want="evcxr_jupyter v$EVCXR_VERSION:"
  # evcxr_jupyter has no --version: ask cargo what it installed (ours first, then the user's)
  if cargo install --list --root "$tools" 2>/dev/null | grep -qx "$want" && [ -x "$tools/bin/evcxr_jupyter" ]; then
    EVCXR_JUPYTER="$tools/bin/evcxr_jupyter"
  elif cargo install --list 2>/dev/null | grep -qx "$want" && command -v evcxr_jupyter >/dev/null 2>&1; then
    EVCXR_JUPYTER="$(command -v evcxr_jupyter)"
  else
    echo "   building evcxr_jupyter $EVCXR_VERSION into $tools (once)"
    # its own build, not brainml's: without the shared target folder and flags set above
    env -u RUSTFLAGS -u CARGO_BUILD_TARGET -u CARGO_TARGET_DIR \
      cargo install --locked --root "$tools" evcxr_jupyter --version "$EVCXR_VERSION"
    EVCXR_JUPYTER="$tools/bin/evcxr_jupyter"
  fi
  echo "   $EVCXR_JUPYTER"
}

ensure_kernel() {
  step "Jupyter kernel 'rust' (inside .venv)"
  local kdir="$VENV/share/jupyter/kernels/rust"
  mkdir -p "$kdir"
  # argv[0] is our wrapper: it picks a persistent build folder and the evcxr settings.
  cat > "$kdir/kernel.json.new" <<JSON
{
  "argv": ["$ROOT/scripts/rust-kernel.sh", "--control_file", "{connection_file}"],
  "display_name": "Rust (brainml)",
  "language": "rust",
  "interrupt_mode": "message",
  "env": {"BRAINML_EVCXR_JUPYTER": "$EVCXR_JUPYTER", "BRAINML_CACHE": "$BRAINML_CACHE", "BRAINML_DATA": "$ROOT/data"}
}
JSON
  mv "$kdir/kernel.json.new" "$kdir/kernel.json"
  "$VENV/bin/jupyter" kernelspec list | grep -E '^\s*rust\s' || { echo "kernel not visible" >&2; exit 1; }
}

ensure_data() {
  step "Build brainml's dependency graph once, and the brainml CLI (cargo, all features)" 500
  cargo build --all-features --bin brainml
  step "Data: public recordings and models (brainml fetch)"
  BRAINML_PYTHON="$PY" "$BIN_DIR/brainml" fetch
  step "Data: the simulated faces dataset (brainml simulate)"
  "$BIN_DIR/brainml" simulate
}

# What an executed notebook's outputs depend on besides the notebook itself: brainml's code and
# build settings, the kernel settings, the data generator's stamp.
library_hash() {
  ( cd "$ROOT" && { find src -type f | LC_ALL=C sort | xargs sha256sum
                    sha256sum Cargo.toml Cargo.lock build.rs scripts/evcxr/* data/manifest.tsv
                    cat data/simulated/.complete 2>/dev/null || true; } ) | sha256sum | cut -c1-64
}

# execute_notebooks OUTDIR|--inplace NB...: run each notebook headless, failing on any error cell.
# In place, a notebook is skipped when neither it nor library_hash changed since this machine
# executed it (stamps in $BRAINML_CACHE/executed-stamps), so a second run.sh takes seconds.
execute_notebooks() {
  local where="$1"; shift
  local args=(--to notebook --execute --ExecutePreprocessor.kernel_name=rust
              --ExecutePreprocessor.timeout="${BRAINML_CELL_TIMEOUT:-1800}"
              --ExecutePreprocessor.startup_timeout=120
              --ExecutePreprocessor.record_timing=False)
  if [ "$where" = "--inplace" ]; then args+=(--inplace); else mkdir -p "$where"; args+=(--output-dir "$where"); fi
  local lib stamps="$BRAINML_CACHE/executed-stamps"
  lib="$(library_hash)"
  mkdir -p "$stamps"
  for nb in "$@"; do
    step "Executing $(basename "$nb")" 120
    local stamp="$stamps/$(basename "$nb").stamp"
    if [ "$where" = "--inplace" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$lib $(sha256sum < "$nb" | cut -c1-64)" ]; then
      echo "   up to date (executed here with this brainml; delete $stamp to force)"; continue
    fi
    "$VENV/bin/jupyter" nbconvert "${args[@]}" "$nb"
    local out="$nb"; [ "$where" = "--inplace" ] || out="$where/$(basename "$nb")"
    "$PY" "$ROOT/scripts/check_notebook.py" "$out"
    if [ "$where" = "--inplace" ]; then echo "$lib $(sha256sum < "$nb" | cut -c1-64)" > "$stamp"; fi
  done
}
