#!/usr/bin/env bash
# Start evcxr_jupyter with brainml's settings (argv[0] of the 'rust' kernelspec in .venv):
# - EVCXR_CONFIG_DIR: scripts/evcxr (evcxr.toml: opt-level of cells);
# - EVCXR_TMPDIR: a persistent build folder per concurrent kernel ("slot"), held with flock for
#   the kernel's lifetime so two kernels never write one crate folder;
# - every slot's target/ is a link to $BRAINML_CACHE/target, the folder the CLI and the tests
#   build in (scripts/common.sh): evcxr always builds in <slot>/target (it sets
#   CARGO_TARGET_DIR=target itself), so the link is how the kernel reuses their artifacts
#   instead of compiling brainml's dependencies again; cargo's lock on the folder serialises two
#   kernels' builds;
# - a cargo config above the slots builds every dependency (brainml included) at opt-level 2
#   while cells themselves compile at the opt-level in evcxr.toml.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${BRAINML_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/brainml}"
export EVCXR_CONFIG_DIR="$here/evcxr"
mkdir -p "$cache/evcxr/.cargo"
cmp -s "$here/evcxr/cargo-config.toml" "$cache/evcxr/.cargo/config.toml" || cp "$here/evcxr/cargo-config.toml" "$cache/evcxr/.cargo/config.toml"
# anything evcxr keeps under $XDG_CACHE_HOME/evcxr stays inside brainml's cache too
export XDG_CACHE_HOME="$cache/xdg"
for slot in 0 1 2 3 4 5 6 7; do
  dir="$cache/evcxr/slot-$slot"
  mkdir -p "$dir"
  exec 9>"$dir.lock"
  if flock -n 9; then
    export EVCXR_TMPDIR="$dir"
    # brainml's lock file, so the kernel builds the versions the tests ran with
    cmp -s "$here/../Cargo.lock" "$dir/Cargo.lock" || cp "$here/../Cargo.lock" "$dir/Cargo.lock"
    mkdir -p "$cache/target"
    if [ "$(readlink "$dir/target" 2>/dev/null)" != "$cache/target" ]; then
      rm -rf "$dir/target"; ln -s "$cache/target" "$dir/target"
    fi
    break
  fi
  exec 9>&-
done
# evcxr copies each cell's library up from target/.../deps, so its relative RUNPATH to the Rust
# standard library is one folder short; inside a deep persistent folder that misses (in /tmp the
# extra ".." stops at /). Point the loader at the standard library directly.
libdir="$(rustc --print target-libdir)"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# evcxr_jupyter "updates" the kernelspec it finds through JUPYTER_PATH (ours) with its own argv;
# without JUPYTER_PATH it only looks at the user's own evcxr install, as it always does.
unset JUPYTER_PATH
exec "${BRAINML_EVCXR_JUPYTER:-evcxr_jupyter}" "$@"
