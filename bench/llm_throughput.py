"""MiniLM embedding throughput on the CPU, brainml vs transformers/PyTorch, side by side.

Both sides: the same 256 sentences (brainml's `examples/bench_embed.rs` makes them and this
script passes them to both), all-MiniLM-L6-v2, every hidden state (7) mean-pooled over the
attention mask, batches of 32 sorted by length, best of 3 timed runs after a warm-up.
brainml runs as a release build; PyTorch with torch.inference_mode and its default threads.
The two sides alternate for `--rounds` rounds (default 3) and the median ratio is reported,
as PyTorch's times vary more from run to run than brainml's on a shared machine.

    tests/.venv-llm/bin/python bench/llm_throughput.py [--rounds N]
"""
import argparse
import json
import statistics
import os
import pathlib
import subprocess
import time

import torch
import transformers

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODEL = ROOT / "data" / "models" / "all-minilm-l6-v2"


def sentences():
    subj = ["The N170", "A face-selective region", "The fusiform gyrus", "Language models", "The listener", "Each participant", "The hippocampus", "Visual cortex"]
    verb = ["responds more strongly to", "is predicted by", "encodes", "tracks the surprisal of", "shows adaptation to", "differs between"]
    obj = ["faces than scrambled images", "the next word in a sentence", "familiar and unfamiliar faces", "words that are hard to predict",
           "the meaning of a whole paragraph read aloud slowly", "objects"]
    tail = ["", " in every session", " across all twenty participants in both runs of the experiment", " after filtering"]
    return [f"{subj[i % 8]} {verb[(i // 8) % 6]} {obj[(i // 3) % 6]}{tail[(i // 5) % 4]}." for i in range(256)]


def torch_side(texts):
    """Load the model once; return a function timing one best-of-3 measurement."""
    tok = transformers.AutoTokenizer.from_pretrained(MODEL)
    model = transformers.AutoModel.from_pretrained(MODEL).eval()
    order = sorted(range(len(texts)), key=lambda i: -len(tok(texts[i])["input_ids"]))

    def run():
        out = [None] * len(texts)
        with torch.inference_mode():
            for k in range(0, len(order), 32):
                idx = order[k:k + 32]
                b = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=256, return_tensors="pt")
                hs = model(**b, output_hidden_states=True).hidden_states
                m = b["attention_mask"].unsqueeze(-1).float()
                pooled = [(h * m).sum(1) / m.sum(1) for h in hs]
                for j, i in enumerate(idx):
                    out[i] = [p[j] for p in pooled]
        return out

    def measure():
        run()
        best = min(_timed(run) for _ in range(3))
        return {"side": "transformers", "sentences": len(texts), "seconds": round(best, 4),
                "per_second": round(len(texts) / best, 1), "threads": torch.get_num_threads()}

    return measure


def _timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    texts = sentences()
    env = dict(os.environ, CARGO_TARGET_DIR=os.environ.get("CARGO_TARGET_DIR", str(pathlib.Path.home() / ".cache/brainml/target")))
    subprocess.run(["cargo", "build", "--release", "--features", "llm", "--example", "bench_embed"], cwd=ROOT, env=env, check=True)
    exe = pathlib.Path(env["CARGO_TARGET_DIR"]) / "release" / "examples" / "bench_embed"
    theirs_measure = torch_side(texts)
    ratios = []
    for r in range(args.rounds):
        ours = json.loads(subprocess.run([str(exe), *texts], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout)
        theirs = theirs_measure()
        ratios.append(ours["per_second"] / theirs["per_second"])
        print(f"round {r + 1}:", json.dumps(ours), json.dumps(theirs), f"ratio {ratios[-1]:.2f}x", flush=True)
    print(f"brainml / transformers throughput ratio: median {statistics.median(ratios):.2f}x "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)} rounds)")


if __name__ == "__main__":
    main()
