"""Cells of notebooks/03_llm.ipynb (see scripts/make_notebooks.py)."""
from cells import code, md

NAME = "03_llm"
REQUIRE = ["text/html"]

CELLS = [
    md("""
# 03 · Language models as features for brain research

Two pretrained models, both read from local files fetched at set-up (nothing downloads now):
**all-MiniLM-L6-v2** (a 6-layer BERT encoder: sentence embeddings) and **SmolLM2-135M-Instruct**
(a 30-layer causal language model, 4-bit GGUF: how surprising is each word?).

**Cost:** the first cell builds `brainml` with candle (several minutes on a fresh machine,
once); loading each model takes about a second.
"""),
    code(':dep brainml = { path = "..", features = ["llm"] }'),
    code("use brainml::prelude::*;"),
    md("""
## Tokens

A model never sees letters: the tokenizer cuts text into pieces from a fixed vocabulary and
turns them into ids. MiniLM uses WordPiece (lower-cased; `##` marks a piece that continues a
word) and adds `[CLS]` and `[SEP]`.
"""),
    code("""
let minilm = Tokenizer::from_file(model_dir("all-minilm-l6-v2")?.join("tokenizer.json"))?;
let tokens = minilm.encode("The N170 is larger for faces than scrambled faces.")?;
tokens
"""),
    md("""
## Every layer's hidden states

Each layer turns every token into a 384-number vector. `hidden_states` returns all 7
(the embedding layer + 6 transformer layers), like `output_hidden_states=True` in Hugging Face.
"""),
    code("""
let embedder = Embedder::load(model_dir("all-minilm-l6-v2")?)?;
let hs = embedder.hidden_states("The N170 is larger for faces than scrambled faces.")?;
let shape = format!("{:?} (layers, tokens, dims)", hs.data.dim());
shape
"""),
    md("""
## Sentence similarity

Mean-pooling the last layer and normalising gives one vector per sentence; the cosine
similarity of two vectors says how close their meanings are. Rows/columns follow the list.
"""),
    code("""
let sentences = [
    "The N170 is larger for faces than scrambled faces.",
    "Faces evoke a bigger N170 than scrambled images.",
    "The fusiform face area responds to faces.",
    "Language models predict the next word.",
    "The weather was cold and rainy.",
];
let emb = embedder.encode(&sentences)?;
let sim = Heatmap::new(emb.cosine_similarity()).title("cosine similarity").xlabel("sentence").ylabel("sentence").limits(0.0, 1.0);
sim
"""),
    md("""
## Surprisal

A causal LM gives the probability of each next token. Surprisal = −log₂ p (bits): high for
words the context did not predict. Reading times and the N400 grow with surprisal.
"""),
    code("""
let lm = CausalLm::load(model_dir("smollm2-135m-instruct")?.join("SmolLM2-135M-Instruct.Q4_1.gguf"))?;
let good = lm.surprisal("The N170 is larger for faces than scrambled faces.")?;
let bad = lm.surprisal("Faces the than larger scrambled is for N170 faces.")?;
let table = df!(
    "sentence" => ["grammatical", "scrambled"],
    "total bits" => [good.total(), bad.total()],
    "bits per token" => [good.mean(), bad.mean()],
)?;
table
"""),
    code("""
let words = df!(
    "word" => good.tokenized.words.iter().map(|w| w.text.clone()).collect::<Vec<_>>(),
    "surprisal (bits)" => good.word_bits.to_vec(),
)?;
words
"""),
]
