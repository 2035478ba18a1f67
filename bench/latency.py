"""Kernel latency of the workshop set-up, measured the way a learner feels it.

Starts the 'rust' kernel (scripts/rust-kernel.sh through .venv's kernelspec), then times:
  start      kernel process up and answering
  dep        the `:dep brainml = { path = ".." ... }` cell
  use        `use brainml::prelude::*;`
  figure     the first cell that draws a figure (kernel start -> first figure = sum of the above)
  trivial    a trivial cell (`1 + 1`), median of N runs
Usage: .venv/bin/python bench/latency.py [--features eeg] [--runs 5] [--evcxr PATH]
(--evcxr: another evcxr_jupyter binary, e.g. one built with a different profile, run through
the same kernel wrapper.)
Run it twice: the first run after a change to brainml rebuilds it ("cold"), the second is warm.
"""
import argparse
import os
import statistics
import sys
import time

from jupyter_client.manager import start_new_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# the project's kernelspec (scripts/common.sh registers it inside .venv)
os.environ.setdefault("JUPYTER_PATH", os.path.join(ROOT, ".venv", "share", "jupyter"))


def run(kc, code, timeout=3600):
    t = time.perf_counter()
    msg_id = kc.execute(code)
    outputs, error = [], None
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind in ("display_data", "execute_result"):
            outputs.extend(msg["content"]["data"].keys())
        elif kind == "error":
            error = msg["content"]["evalue"]
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            break
    dt = time.perf_counter() - t
    if error:
        sys.exit(f"cell failed: {code!r}: {error}")
    return dt, outputs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default="")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--evcxr", help="an evcxr_jupyter binary to use instead of the set-up's")
    a = ap.parse_args()
    if a.evcxr:
        # a kernelspec of our own, found first, naming the other binary
        import json, tempfile
        spec_dir = os.path.join(os.environ["JUPYTER_PATH"].split(os.pathsep)[0], "kernels", "rust", "kernel.json")
        spec = json.load(open(spec_dir))
        spec["env"]["BRAINML_EVCXR_JUPYTER"] = os.path.abspath(a.evcxr)
        tmp = tempfile.mkdtemp()
        os.makedirs(os.path.join(tmp, "kernels", "rust"))
        json.dump(spec, open(os.path.join(tmp, "kernels", "rust", "kernel.json"), "w"))
        os.environ["JUPYTER_PATH"] = tmp + os.pathsep + os.environ["JUPYTER_PATH"]
    feats = f', features = ["{a.features}"]' if a.features else ""
    t0 = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="rust", cwd=os.path.join(ROOT, "notebooks"), startup_timeout=120)
    try:
        start = time.perf_counter() - t0
        dep, _ = run(kc, f':dep brainml = {{ path = ".."{feats} }}')
        use, _ = run(kc, "use brainml::prelude::*;")
        fig, mimes = run(kc, 'let fig = LinePlot::new("t").line("a", &[0.0, 1.0, 2.0], &[1.0, 3.0, 2.0]).render()?;\nfig')
        assert "text/html" in mimes, mimes
        triv = [run(kc, "1 + 1")[0] for _ in range(a.runs)]
        var = [run(kc, f"let x{i} = {i} * 2;")[0] for i in range(a.runs)]
    finally:
        km.shutdown_kernel(now=True)
    rows = [("kernel start", start), (":dep brainml", dep), ("use prelude", use), ("first figure cell", fig),
            ("kernel start -> first figure", start + dep + use + fig),
            (f"trivial cell `1 + 1` (median of {a.runs})", statistics.median(triv)),
            (f"`let` cell (median of {a.runs})", statistics.median(var))]
    print(f"features: {a.features or '(default)'}" + (f", evcxr_jupyter {a.evcxr}" if a.evcxr else ""))
    for name, v in rows:
        print(f"{name:<40} {v:7.2f} s")


if __name__ == "__main__":
    main()
