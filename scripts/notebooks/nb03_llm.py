"""Cells of notebooks/03_llm.ipynb (see scripts/make_notebooks.py)."""
from cells import code, md

NAME = "03_llm"
# what the executed notebook must show (checked by scripts/check_notebook.py)
REQUIRE = ["text/html", "figure"]

STORY = [
    "The students arrived early for the first session of the workshop.",
    "Each of them wore a cap with electrodes that measured tiny voltages on the scalp.",
    "On the screen, photographs of faces alternated with scrambled pictures.",
    "About one sixth of a second after every face, the signal over the right temple dipped.",
    "This dip is called the N170, and it is larger for faces than for almost anything else.",
    "After lunch the group moved to the scanner, where a magnet measured blood oxygen.",
    "The fusiform gyrus lit up whenever a face appeared among the houses and chairs.",
    "A classifier trained on the voxel patterns told faces from houses nearly every time.",
    "In the afternoon they turned to language and asked how the brain predicts words.",
    "A small language model read each sentence one token at a time.",
    "Words the model did not expect carried more bits of surprisal.",
    "Readers spend longer on such words, and their brains produce a larger N400.",
    "The model's hidden layers were turned into features for an encoding model.",
    "Ridge regression then predicted each response from one layer at a time.",
    "Middle layers often predict brain activity better than the first or the last.",
    "By evening everyone had a notebook full of plots and a head full of questions.",
    "The teacher reminded them that a correlation across folds is not a mechanism.",
    "Still, the tools gave them a way to test ideas against real recordings.",
    "Some planned to record their own data the following week.",
    "Others simply wanted a long walk by the river before dinner.",
    "The river was quiet, and the autumn leaves floated slowly past the old bridge.",
    "A dog chased a ball across the wet grass while its owner laughed.",
    "Two friends argued about whether cats or dogs make better companions.",
    "Nobody could agree, so they bought ice cream instead.",
    "Strawberry was the most popular flavour, followed by chocolate and vanilla.",
    "As the sun set, the city lights came on one by one.",
    "The last train home was crowded with tired travellers.",
    "A child fell asleep on her father's shoulder before the second stop.",
    "Outside the window, dark fields and small villages rushed by.",
    "At midnight the station clock struck twelve and the platform emptied.",
]

story_cell = "let story: Vec<String> = [\n" + "".join(f'    "{s}",\n' for s in STORY) + "].iter().map(|s| s.to_string()).collect();\nlet n_words: usize = story.iter().map(|s| s.split_whitespace().count()).sum();\nprintln!(\"{} sentences, {n_words} words\", story.len());"

CELLS = [
    md("""
# 03 · Language models as features for brain research

Language-and-brain studies increasingly use the *internal vectors* of language models as
features: they predict fMRI, MEG or EEG responses to words and sentences from a model's
layers ("encoding models"), and they use a model's word probabilities (surprisal) to explain
reading times and the N400. This notebook walks through the pieces:

1. **tokens** — how text becomes ids (WordPiece in a BERT model, byte-level BPE in a GPT-style model);
2. **hidden states** — every layer's vector for every token, pooled into sentence vectors;
3. **similarity and PCA** — what the vectors capture, layer by layer;
4. **surprisal** from a causal language model;
5. **embeddings as features** — cross-validated ridge regression from each layer to a
   word-level response, with a simulated response whose answer we know.

Two pretrained models, read from local files fetched at set-up (nothing downloads now):
**all-MiniLM-L6-v2** (a 6-layer BERT encoder trained for sentence embeddings) and
**SmolLM2-135M-Instruct** (a 30-layer causal language model, 4-bit GGUF).

**Cost:** after `bash scripts/run.sh` the first cell compiles nothing (`brainml` with candle is
already built; the kernel's rust-analyzer still reads it, which takes seconds). On a machine where the set-up has not been run it would first compile brainml and all its dependencies — about 8 minutes on 2 cores — showing nothing in the cell meanwhile. The whole notebook runs in about a minute and a half on a 2-core
laptop.
"""),
    code(':dep brainml = { path = "..", features = ["llm"] }'),
    code("use brainml::prelude::*;"),
    md("""
## 1 · Tokens

A model never sees letters: its tokenizer cuts text into pieces from a fixed vocabulary and
turns them into ids. MiniLM uses **WordPiece** (lower-cased; `##` marks a piece that continues
a word) and adds the special tokens `[CLS]` and `[SEP]`. The table shows each token's id, its
byte range in the text (`offset_mapping` in Hugging Face), the whitespace word it belongs to
and the attention mask.
"""),
    code("""
let n170 = "The N170 is larger for faces than scrambled faces.";
let minilm = Tokenizer::from_file(model_dir("all-minilm-l6-v2")?.join("tokenizer.json"))?;
let tokens = minilm.encode(n170)?;
tokens
"""),
    md("""
SmolLM2 uses **byte-level BPE** (like GPT-2 and Llama): case is kept, `Ġ` marks a token that
starts with a space, and frequent words are single tokens. Its tokenizer is built from the
vocabulary and merge rules stored *inside* the GGUF model file.
"""),
    code("""
let gguf = model_dir("smollm2-135m-instruct")?.join("SmolLM2-135M-Instruct.Q4_1.gguf");
let smol = Tokenizer::from_gguf(&gguf)?;
let smol_tokens = smol.encode(n170)?;
smol_tokens
"""),
    md("""
Brain data come per *word* (a word on the screen, a word in the audio), not per token. Both
tokenizers keep the alignment between whitespace words and their tokens, so token vectors can
be averaged into word vectors and token surprisals summed into word surprisals.
"""),
    code("""
fn pieces(t: &Tokenized) -> Vec<String> {
    t.words.iter().map(|w| w.tokens.iter().map(|&i| t.tokens[i].clone()).collect::<Vec<_>>().join(" ")).collect()
}
let alignment = df!(
    "word" => tokens.words.iter().map(|w| w.text.clone()).collect::<Vec<_>>(),
    "MiniLM (WordPiece)" => pieces(&tokens),
    "SmolLM2 (byte-level BPE)" => pieces(&smol_tokens),
)?;
alignment
"""),
    md("""
**Batches.** Models run on batches of texts padded to the same length; the *attention mask*
tells the model (and the pooling) which positions are real. The MiniLM file asks for padding
every text to 128 tokens; `brainml` turns that off, and the embedder pads each batch only to
its longest text (sorting texts by length first, as sentence-transformers does).
"""),
    code("""
let batch = minilm.encode_batch(&["Faces.", "The fusiform face area responds to faces.", n170], None)?;
let longest = batch.iter().map(|t| t.len()).max().unwrap_or(0);
let padding = df!(
    "text" => batch.iter().map(|t| t.text.clone()).collect::<Vec<_>>(),
    "real tokens (mask = 1)" => batch.iter().map(|t| t.len() as u32).collect::<Vec<_>>(),
    "padding in the batch (mask = 0)" => batch.iter().map(|t| (longest - t.len()) as u32).collect::<Vec<_>>(),
)?;
padding
"""),
    md("""
## 2 · Every layer's hidden states

Each layer turns every token into a 384-number vector. `hidden_states` returns all 7 (the
embedding layer + 6 transformer layers), like `output_hidden_states=True` in Hugging Face;
the values equal transformers' to about 1e-6 (checked in `tests/llm_minilm.rs`).
"""),
    code("""
let embedder = Embedder::load(model_dir("all-minilm-l6-v2")?)?;
let hs = embedder.hidden_states(n170)?;
let shape = format!("{:?} (layers, tokens, dims)", hs.data.dim());
shape
"""),
    md("""
## 3 · Sentence similarity

Mean-pooling the last layer over the tokens and normalising gives one vector per sentence
(what `SentenceTransformer.encode` returns). The cosine similarity of two vectors says how
close their meanings are: paraphrases score high, unrelated sentences near zero.
"""),
    code("""
let topics = [
    ("faces", "The N170 is larger for faces than scrambled faces."),
    ("faces", "Faces evoke a bigger N170 than scrambled images."),
    ("faces", "The fusiform face area responds to faces."),
    ("faces", "Patients with prosopagnosia cannot recognise familiar faces."),
    ("language", "Language models predict the next word."),
    ("language", "Surprising words evoke a larger N400."),
    ("language", "Readers slow down on unexpected words."),
    ("language", "A transformer turns every token into a vector."),
    ("weather", "The weather was cold and rainy."),
    ("weather", "It snowed all night in the mountains."),
    ("weather", "A warm wind blew across the beach."),
    ("weather", "Thunderstorms are expected this afternoon."),
    ("food", "She baked fresh bread for breakfast."),
    ("food", "The soup needs more salt and pepper."),
    ("food", "We ate pasta with tomato sauce."),
    ("food", "Ripe strawberries taste sweet."),
];
let texts: Vec<String> = topics.iter().map(|t| t.1.to_string()).collect();
let groups: Vec<String> = topics.iter().map(|t| t.0.to_string()).collect();
let emb = embedder.encode(&texts)?;
let sim = emb.plot_similarity("cosine similarity (MiniLM, last layer, mean-pooled)").limits(-0.2, 1.0);
sim
"""),
    md("""
**PCA** squeezes the 384 dimensions into the two directions of largest variance (scikit-learn's
`PCA(n_components=2)`, same numbers and signs). Sentences on the same topic should cluster.
"""),
    code("""
let pca2 = emb.pca(2)?.groups(groups.clone())?;
let pca_fig = pca2.plot()?;
pca_fig
"""),
    md("""
**Layer by layer.** `embed_layers` mean-pools *every* hidden state. How similar are a
paraphrase pair, a same-topic pair and an unrelated pair at each layer? Early layers make
every sentence look alike (their vectors share a large common direction); the last layer,
fine-tuned for sentence similarity, pulls unrelated sentences apart.
"""),
    code("""
let layers = embedder.embed_layers(&texts, Pooling::Mean)?;
let pairs = [(0, 1), (0, 2), (0, 8)];
let by_layer = cosine_by_layer(&layers, &pairs)?;
let x: Vec<f64> = (0..layers.len()).map(|l| l as f64).collect();
let mut layer_plot = LinePlot::new("cosine similarity by layer").xlabel("layer (0 = embeddings)").ylabel("cosine similarity");
for (k, name) in ["paraphrase (0, 1)", "same topic (0, 2)", "unrelated (0, 8)"].iter().enumerate() {
    layer_plot = layer_plot.line(*name, &x, &by_layer.row(k).to_vec());
}
layer_plot
"""),
    md("""
## 4 · Surprisal

A causal language model gives the probability of each next token given the ones before.
Surprisal = −log₂ p, in bits: high for words the context did not predict. Reading times and
the N400 grow with surprisal. A grammatical sentence should be less surprising, in total, than
the same words scrambled.
"""),
    code("""
let lm = CausalLm::load(&gguf)?;
let good = lm.surprisal(n170)?;
let bad = lm.surprisal("Faces the than larger scrambled is for N170 faces.")?;
let table = df!(
    "sentence" => [good.tokenized.text.clone(), bad.tokenized.text.clone()],
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
    md("""
## 5 · Embeddings as features: encoding models

An **encoding model** predicts a brain response to each word from features of that word — here,
one layer's vector. It is fitted with **ridge regression** (a linear model whose weights are
shrunk, because 384 features is a lot for a few hundred words) and scored on words it did not
see: 5-fold cross-validation, Pearson r between predicted and measured responses on each
held-out fold. Doing this layer by layer asks *which layer carries the information*.
`RidgeCv` picks the shrinkage (alpha) on the training words by leave-one-out, like
scikit-learn's `RidgeCV`; `encoding_by_layer` mirrors `cross_val_score(RidgeCV(alphas), X, y,
cv=KFold(5))` with Pearson r (tested equal to scikit-learn).

Our "participant" reads a short story, one word at a time. First the word features: every
layer's vector for every word (the mean of the word's tokens).
"""),
    code(story_cell),
    code("""
let word_layers = embedder.word_features(&story)?;
let shape = format!("{} layers × {:?} (words, dims)", word_layers.len(), word_layers[0].data.dim());
shape
"""),
    md("""
**A response with a known answer.** As with the simulated EEG and fMRI data, we first plant
an effect: a response that is a fixed random weighting of layer 4's features plus noise
(noise SD 0.5, signal SD 1). The encoding curve should peak at layer 4. Neighbouring layers
predict it almost as well — they are transformations of each other — which is why real
studies compare layers with care.
"""),
    code("""
let alphas = RidgeCv::logspace(-2.0, 4.0, 13); // 0.01 … 10 000
let planted = planted_response(&word_layers, 4, 0.5, 170)?;
let planted_scores = encoding_by_layer("planted at layer 4", &word_layers, &planted, &Cv::kfold(5), &alphas)?;
println!("held-out r by layer: {:?}", planted_scores.mean().iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>());
println!("best layer: {} (planted: 4)", planted_scores.best_layer());
let planted_plot = planted_scores.plot();
planted_plot
"""),
    md("""
**Surprisal as the response.** Now a real word-level quantity: each word's surprisal under
SmolLM2 (summed over its tokens). Can MiniLM's vectors of a word, which see the whole
sentence, predict how surprising the word was to a left-to-right model?
"""),
    code("""
let mut word_bits: Vec<f64> = Vec::new();
for s in &story {
    word_bits.extend(lm.surprisal(s)?.word_bits.iter().copied());
}
let surprisal_scores = encoding_by_layer("word surprisal (SmolLM2)", &word_layers, &word_bits, &Cv::kfold(5), &alphas)?;
println!("held-out r by layer: {:?}", surprisal_scores.mean().iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>());
println!("best layer: {}", surprisal_scores.best_layer());
let surprisal_plot = surprisal_scores.plot();
surprisal_plot
"""),
    md("""
**Try this.** Which layer best predicts a word's *length* (its number of letters)? Make a
guess — an early layer that sees the word's own tokens, or a late one that sees the whole
sentence? — put it in `my_guess` and run the cell: it fits the encoding model and checks.
"""),
    code("""
let my_guess: Option<usize> = None; // e.g. Some(3)
let lengths: Vec<f64> = word_layers[0].labels.iter().map(|w| w.chars().filter(|c| c.is_alphanumeric()).count() as f64).collect();
let length_scores = encoding_by_layer("word length", &word_layers, &lengths, &Cv::kfold(5), &alphas)?;
let best = length_scores.best_layer();
match my_guess {
    None => println!("Fill in my_guess first."),
    Some(g) if g == best => println!("Right: layer {best} (r = {:.3})", length_scores.mean()[best]),
    Some(g) => println!("Not quite: layer {g} gives r = {:.3}, the best is layer {best} (r = {:.3})", length_scores.mean()[g.min(6)], length_scores.mean()[best]),
};
let length_plot = length_scores.plot();
length_plot
"""),
    md("""
## What next

- Swap the story for the stimuli of a real experiment and the response for fMRI voxels or
  EEG amplitudes at a latency (sessions 1 and 2 give you those arrays).
- Use SmolLM2's own hidden states (`lm.forward(text)?.hidden_states`, 31 layers) as features.
- Compare against a baseline (word length, frequency) before crediting the language model.
"""),
]
