#!/usr/bin/env bash
# A cold set-up, measured as a newcomer meets it: a fresh clone of this repository in a scratch
# folder, with empty CARGO_HOME (crates downloaded from the registry), empty $BRAINML_CACHE and
# no pip cache (wheels downloaded from the package index), then `bash scripts/run.sh` there.
# Prints run.sh's step table, the wall time, and bench/build_reuse.py's count of crates compiled
# more than once; then times a second (warm) run.sh and, with --test, scripts/test.sh.
# Only the Rust toolchain (rustup) is shared with this machine. Needs about 6 GB of disk.
# Usage: bash bench/setup.sh [--test] [--keep]
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
run_tests=0; keep=0
for a in "$@"; do case "$a" in --test) run_tests=1;; --keep) keep=1;; *) echo "unknown option $a" >&2; exit 2;; esac; done
W="$(mktemp -d "${TMPDIR:-/tmp}/brainml-setup.XXXXXX")"
mirror="${BRAINML_MIRROR:-$SRC/../shared/data}"
git clone -q "$SRC" "$W/brainml"
export CARGO_HOME="$W/cargo-home" BRAINML_CACHE="$W/cache" PIP_CACHE_DIR="$W/pip-cache"
export BRAINML_MIRROR="$mirror"
# wheels come from the package index, as on a newcomer's machine (no local wheel folder)
unset PIP_FIND_LINKS
mkdir -p "$CARGO_HOME"
# the rustup proxies (cargo, rustc) stay where rustup put them
export PATH="$(dirname "$(command -v cargo)"):$PATH"
unset CARGO_TARGET_DIR RUSTFLAGS CARGO_BUILD_TARGET
echo "== cold set-up in $W (CARGO_HOME, BRAINML_CACHE, pip cache all empty), $(nproc) cores"
t=$SECONDS
( cd "$W/brainml" && bash scripts/run.sh ) 2>&1 | tee "$W/run-cold.log"
cold=$((SECONDS - t))
echo "== cold bash scripts/run.sh: $cold s"
python3 "$SRC/bench/build_reuse.py" "$BRAINML_CACHE/target" | tee "$W/build-reuse.txt" || true
t=$SECONDS
( cd "$W/brainml" && bash scripts/run.sh ) > "$W/run-warm.log" 2>&1
echo "== second bash scripts/run.sh: $((SECONDS - t)) s"
if [ "$run_tests" = 1 ]; then
  t=$SECONDS
  ( cd "$W/brainml" && bash scripts/test.sh ) > "$W/test.log" 2>&1 && ok=passed || ok=FAILED
  echo "== bash scripts/test.sh after it: $((SECONDS - t)) s ($ok; log $W/test.log)"
  python3 "$SRC/bench/build_reuse.py" "$BRAINML_CACHE/target" || true
fi
echo "== cold $cold s; logs in $W"
[ "$keep" = 1 ] || { rm -rf "$W/cargo-home" "$W/cache" "$W/pip-cache"; echo "   (caches removed; --keep keeps them)"; }
