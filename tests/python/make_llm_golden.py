"""Golden vectors for tests/llm_minilm.rs: all-MiniLM-L6-v2 through Hugging Face transformers.

Writes tests/golden/llm_minilm.json: for each sentence the token ids, every hidden state
(output_hidden_states=True, 7 = embeddings + 6 layers) as the first 16 dims of every token
plus every token's L2 norm, and the sentence-transformers embedding (attention-masked mean
pooling of the last layer, then L2 normalisation), full 384 dims.

Run from the repository root with the LLM venv:
    python3 -m venv tests/.venv-llm && tests/.venv-llm/bin/pip install -r tests/python/requirements-llm.txt
    tests/.venv-llm/bin/python tests/python/make_llm_golden.py
"""
import json
import pathlib

import torch
import transformers

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "data" / "models" / "all-minilm-l6-v2"
SENTENCES = [
    "The N170 is larger for faces than scrambled faces.",
    "A face-selective region responds in the fusiform gyrus.",
    "Language models predict the next word.",
    "Surprisal",
]
DIMS = 16


def main():
    tok = transformers.AutoTokenizer.from_pretrained(MODEL)
    model = transformers.AutoModel.from_pretrained(MODEL).eval()
    out = {"model": "all-minilm-l6-v2", "transformers": transformers.__version__,
           "torch": torch.__version__, "dims": DIMS, "sentences": []}
    batch = tok(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        res = model(**batch, output_hidden_states=True)
    mask = batch["attention_mask"].unsqueeze(-1).float()
    mean = (res.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    emb = torch.nn.functional.normalize(mean, p=2, dim=1)
    for i, s in enumerate(SENTENCES):
        n = int(batch["attention_mask"][i].sum())
        hs = [h[i, :n] for h in res.hidden_states]
        out["sentences"].append({
            "text": s,
            "ids": batch["input_ids"][i, :n].tolist(),
            "hidden_head": [[[round(v, 6) for v in row[:DIMS].tolist()] for row in h] for h in hs],
            "hidden_norm": [[round(float(v), 5) for v in h.norm(dim=-1)] for h in hs],
            "embedding": [round(v, 7) for v in emb[i].tolist()],
        })
    path = ROOT / "tests" / "golden" / "llm_minilm.json"
    path.write_text(json.dumps(out, separators=(",", ":")))
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
