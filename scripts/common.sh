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
# One build of the crate (all features) serves the CLI and the tests; it lives in the cache so
# a fresh clone on the same machine reuses it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$BRAINML_CACHE/target}"

step() { printf '\n== %s\n' "$*"; }
t0=$SECONDS
took() { printf '   (%ds)\n' $((SECONDS - t0)); t0=$SECONDS; }

ensure_venv() {
  step "Python environment for Jupyter (.venv)"
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
  took
}

# ensure_test_venv: tests/.venv with MNE (golden checks only; the workshop never uses it).
ensure_test_venv() {
  step "Python reference tools for tests (tests/.venv)"
  local tv="$ROOT/tests/.venv" stamp="$ROOT/tests/.venv/.brainml-requirements"
  if [ -x "$tv/bin/python" ] && cat "$ROOT"/tests/python/requirements.txt "$ROOT"/tests/python/constraints.txt | cmp -s - "$stamp"; then
    echo "   up to date"; return
  fi
  python3 -m venv "$tv"
  "$tv/bin/python" -m pip install --disable-pip-version-check -q -r "$ROOT/tests/python/requirements.txt" -c "$ROOT/tests/python/constraints.txt"
  cat "$ROOT"/tests/python/requirements.txt "$ROOT"/tests/python/constraints.txt > "$stamp"
  took
}

ensure_rust() {
  step "Rust: rust-src component and evcxr_jupyter $EVCXR_VERSION"
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
    echo "   building evcxr_jupyter $EVCXR_VERSION into $tools (about 6 min on 2 cores, once)"
    cargo install --locked --root "$tools" evcxr_jupyter --version "$EVCXR_VERSION"
    EVCXR_JUPYTER="$tools/bin/evcxr_jupyter"
  fi
  echo "   $EVCXR_JUPYTER"
  took
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
  step "Data: public recordings and models (brainml fetch)"
  cargo build --all-features --bin brainml
  BRAINML_PYTHON="$PY" "$CARGO_TARGET_DIR/debug/brainml" fetch
  step "Data: the simulated faces dataset (brainml simulate)"
  "$CARGO_TARGET_DIR/debug/brainml" simulate
  took
}

# execute_notebooks OUTDIR|--inplace NB...: run each notebook headless, failing on any error cell.
execute_notebooks() {
  local where="$1"; shift
  local args=(--to notebook --execute --ExecutePreprocessor.kernel_name=rust
              --ExecutePreprocessor.timeout="${BRAINML_CELL_TIMEOUT:-1800}"
              --ExecutePreprocessor.startup_timeout=120
              --ExecutePreprocessor.record_timing=False)
  if [ "$where" = "--inplace" ]; then args+=(--inplace); else mkdir -p "$where"; args+=(--output-dir "$where"); fi
  for nb in "$@"; do
    step "Executing $(basename "$nb")"
    "$VENV/bin/jupyter" nbconvert "${args[@]}" "$nb"
    local out="$nb"; [ "$where" = "--inplace" ] || out="$where/$(basename "$nb")"
    "$PY" "$ROOT/scripts/check_notebook.py" "$out"
    took
  done
}
