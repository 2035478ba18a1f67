#!/usr/bin/env bash
# The EEG benchmark: MNE + scikit-learn vs brainml on the Muse N170 files (bench/eeg_muse.py).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${BRAINML_CACHE:-$HOME/.cache/brainml}/target}"
V="$ROOT/bench/.venv-eeg"
if [ ! -x "$V/bin/python" ] || ! cmp -s "$ROOT/bench/requirements-eeg.txt" "$V/.requirements"; then
  python3 -m venv "$V"
  "$V/bin/python" -m pip install --disable-pip-version-check -q -r "$ROOT/bench/requirements-eeg.txt"
  cp "$ROOT/bench/requirements-eeg.txt" "$V/.requirements"
fi
cargo build --release --features eeg --example bench_eeg_muse --manifest-path "$ROOT/Cargo.toml"
"$V/bin/python" "$ROOT/bench/eeg_muse.py" --exe "$CARGO_TARGET_DIR/release/examples/bench_eeg_muse" "$@"
