//! A causal language model (SmolLM2, llama architecture) from a GGUF file: per-layer hidden
//! states, next-token log-probabilities, per-token and per-word surprisal.
//!
//! The model code follows candle-transformers 0.11.1 `src/models/quantized_llama.rs`:
//! loading (`ModelWeights::from_gguf`, lines 367–524), attention (`LayerWeights::forward_attn`,
//! 191–266) and the layer loop (`ModelWeights::forward`, 568–596). Upstream keeps a KV cache
//! and returns only the last position's logits; here one full-sequence pass returns every
//! position's logits and every hidden state (Hugging Face `output_hidden_states=True`:
//! embeddings, then each layer's output, the last one after the final RMSNorm).

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;
use ndarray::{Array1, Array2, Array3};

use super::tokenize::{Tokenized, Tokenizer};
use crate::error::{Error, Result};

/// Most layers a GGUF model may declare (the largest open models have about 130).
const MAX_LAYERS: u64 = 1024;
/// Largest embedding size / head count accepted.
const MAX_DIM: u64 = 1 << 16;

struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    wo: QMatMul,
    attn_norm: RmsNorm,
    w1: QMatMul,
    w2: QMatMul,
    w3: QMatMul,
    ffn_norm: RmsNorm,
}

/// A llama-architecture causal LM loaded from GGUF, with its tokenizer built from the same file.
/// Mirrors `AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)` (which dequantises);
/// here the weights stay quantised and candle's quantised matmul is used.
pub struct CausalLm {
    tok_embeddings: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: QMatMul,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    rope_base: f32,
    context_length: usize,
    bos: Option<u32>,
    tokenizer: Tokenizer,
    path: PathBuf,
}

impl std::fmt::Debug for CausalLm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CausalLm({}, {} layers)", self.path.display(), self.layers.len())
    }
}

/// One forward pass: `logits[(position, vocab)]`, `hidden_states[(layer, position, dim)]`.
#[derive(Clone, Debug)]
pub struct LmOutput {
    pub tokenized: Tokenized,
    pub logits: Array2<f32>,
    pub hidden_states: Array3<f32>,
}

/// Surprisal −log2 p(token | preceding tokens), in bits, per token and per whitespace word
/// (the sum over the word's tokens), as used in language-and-brain studies.
#[derive(Clone, Debug)]
pub struct Surprisal {
    pub tokenized: Tokenized,
    pub token_bits: Array1<f64>,
    pub word_bits: Array1<f64>,
}

impl Surprisal {
    /// Total surprisal of the text in bits.
    pub fn total(&self) -> f64 {
        self.token_bits.sum()
    }
    /// Mean surprisal per token in bits.
    pub fn mean(&self) -> f64 {
        self.total() / self.token_bits.len().max(1) as f64
    }
}

impl CausalLm {
    /// Load a GGUF file (llama architecture). The header is read first by brainml's own
    /// checked reader (`llm/gguf.rs`: every count, length, dimension and offset against the
    /// file's size); then the hyperparameters are checked against sane limits (layers ≤ 1024,
    /// RMS epsilon in (0, 1), heads dividing the embedding into even head sizes, context ≥ 1)
    /// and every tensor's shape against them, before any tensor is read; norm weights that are
    /// not finite are refused. A damaged file is an error naming the file and field, never an
    /// allocation, a panic or an abort.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::load_with(path, false)
    }

    /// Like [`CausalLm::load`]; with `dequantize` every weight is dequantised to f32 at load
    /// time (as transformers does with a GGUF file): about 4× the memory and slower, but the
    /// activations are no longer quantised to 8 bits (Q8_1) inside each matmul, so logits
    /// match transformers to ~1e-4 instead of ~0.6.
    pub fn load_with(path: impl AsRef<Path>, dequantize: bool) -> Result<Self> {
        let path = path.as_ref();
        let super::gguf::Gguf { content: ct, reader: mut file } = super::gguf::open(path)?;
        let tokenizer = Tokenizer::from_gguf_metadata(path, &ct.metadata)?;
        let h = Hyper::read(&Meta { path, md: &ct.metadata }, &tokenizer)?;
        check_shapes(path, &ct, &h, tokenizer.vocab_size())?;
        let w = read_weights(path, &ct, &mut file, &h, dequantize)?;
        Ok(CausalLm {
            tok_embeddings: w.tok_embeddings,
            layers: w.layers,
            norm: w.norm,
            output: w.output,
            n_head: h.n_head,
            n_kv_head: h.n_kv_head,
            head_dim: h.dim / h.n_head,
            rope_base: h.rope_base,
            context_length: h.context_length,
            bos: h.bos,
            tokenizer,
            path: path.to_path_buf(),
        })
    }

    /// The tokenizer built from the GGUF metadata.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    fn run(&self, ids: &[u32]) -> candle_core::Result<(Tensor, Vec<Tensor>)> {
        let dev = Device::Cpu;
        let seq = ids.len();
        let x = Tensor::new(ids, &dev)?.unsqueeze(0)?;
        // rotary tables (precomput_freqs_cis, upstream lines 283–300), interleaved pairs (rope_i)
        let theta: Vec<f32> = (0..self.head_dim)
            .step_by(2)
            .map(|i| 1f32 / self.rope_base.powf(i as f32 / self.head_dim as f32))
            .collect();
        let theta = Tensor::new(theta.as_slice(), &dev)?;
        let pos =
            Tensor::arange(0u32, seq as u32, &dev)?.to_dtype(candle_core::DType::F32)?.reshape((seq, 1))?;
        let idx = pos.matmul(&theta.reshape((1, self.head_dim / 2))?)?;
        let (cos, sin) = (idx.cos()?, idx.sin()?);
        let mask: Vec<f32> = (0..seq)
            .flat_map(|i| (0..seq).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_slice(&mask, (seq, seq), &dev)?;
        let mut h = self.tok_embeddings.forward(&x)?;
        let mut hidden = vec![h.clone()];
        for l in &self.layers {
            let xn = l.attn_norm.forward(&h)?;
            let q =
                l.wq.forward(&xn)?
                    .reshape((1, seq, self.n_head, self.head_dim))?
                    .transpose(1, 2)?
                    .contiguous()?;
            let k =
                l.wk.forward(&xn)?
                    .reshape((1, seq, self.n_kv_head, self.head_dim))?
                    .transpose(1, 2)?
                    .contiguous()?;
            let v =
                l.wv.forward(&xn)?
                    .reshape((1, seq, self.n_kv_head, self.head_dim))?
                    .transpose(1, 2)?
                    .contiguous()?;
            let q = candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?;
            let k = candle_transformers::utils::repeat_kv(k, self.n_head / self.n_kv_head)?;
            let v = candle_transformers::utils::repeat_kv(v, self.n_head / self.n_kv_head)?;
            let att = (q.matmul(&k.t()?)? / (self.head_dim as f64).sqrt())?.broadcast_add(&mask)?;
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v.contiguous()?)?.transpose(1, 2)?.reshape((
                1,
                seq,
                self.n_head * self.head_dim,
            ))?;
            let h2 = (l.wo.forward(&y)? + &h)?;
            let f = l.ffn_norm.forward(&h2)?;
            let f = l.w2.forward(&(candle_nn::ops::silu(&l.w1.forward(&f)?)? * l.w3.forward(&f)?)?)?;
            h = (f + h2)?;
            hidden.push(h.clone());
        }
        let hn = self.norm.forward(&h)?;
        if let Some(last) = hidden.last_mut() {
            *last = hn.clone();
        }
        let logits = self.output.forward(&hn)?;
        Ok((logits, hidden))
    }

    fn forward_ids(&self, tokenized: Tokenized, ids: &[u32]) -> Result<LmOutput> {
        if ids.len() > self.context_length {
            return Err(Error::data(format!(
                "{} tokens: longer than the model's context ({})",
                ids.len(),
                self.context_length
            )));
        }
        // candle tensors as (rows, columns) and values, then as arrays
        let flat = |t: &Tensor| -> candle_core::Result<((usize, usize), Vec<f32>)> {
            let t = t.squeeze(0)?;
            Ok((t.dims2()?, t.flatten_all()?.to_vec1::<f32>()?))
        };
        let go = || -> candle_core::Result<_> {
            let (logits, hidden) = self.run(ids)?;
            Ok((flat(&logits)?, hidden.iter().map(flat).collect::<candle_core::Result<Vec<_>>>()?))
        };
        let ((dim, v), hidden) =
            go().map_err(|e| Error::data(format!("{}: forward pass: {e}", self.path.display())))?;
        let logits = Array2::from_shape_vec(dim, v)?;
        let hs: Vec<Array2<f32>> =
            hidden.into_iter().map(|(dim, v)| Array2::from_shape_vec(dim, v)).collect::<Result<_, _>>()?;
        let views: Vec<_> = hs.iter().map(|h| h.view()).collect();
        let hidden_states = ndarray::stack(ndarray::Axis(0), &views)?;
        Ok(LmOutput { tokenized, logits, hidden_states })
    }

    /// Logits at every position and every hidden state for `text`, without a BOS token
    /// (mirrors `model(**tok(text), output_hidden_states=True)`).
    pub fn forward(&self, text: &str) -> Result<LmOutput> {
        let tk = self.tokenizer.encode_with(text, false)?;
        let ids = tk.ids.clone();
        self.forward_ids(tk, &ids)
    }

    /// Surprisal of every token of `text` given the tokens before it, in bits. The BOS token
    /// of the GGUF metadata is put in front as context, so the first word has a surprisal too.
    pub fn surprisal(&self, text: &str) -> Result<Surprisal> {
        let tk = self.tokenizer.encode_with(text, false)?;
        let bos = self.bos.ok_or_else(|| {
            Error::format(
                &self.path,
                "tokenizer.ggml.bos_token_id",
                "missing: needed as context for the first token",
            )
        })?;
        let ids: Vec<u32> = std::iter::once(bos).chain(tk.ids.iter().copied()).collect();
        let out = self.forward_ids(tk, &ids)?;
        let n = out.tokenized.ids.len();
        let mut token_bits = Array1::zeros(n);
        for i in 0..n {
            let row = out.logits.row(i); // predicts ids[i + 1] = token i
            let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
            let lse = m + row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
            let lp = row[out.tokenized.ids[i] as usize] as f64 - lse;
            token_bits[i] = -lp / std::f64::consts::LN_2;
        }
        let word_bits =
            out.tokenized.words.iter().map(|w| w.tokens.iter().map(|&t| token_bits[t]).sum()).collect();
        Ok(Surprisal { tokenized: out.tokenized, token_bits, word_bits })
    }
}

/// The GGUF metadata of one file, read with checks (step 1 of [`CausalLm::load_with`]).
struct Meta<'a> {
    path: &'a Path,
    md: &'a HashMap<String, Value>,
}

impl Meta<'_> {
    fn field(k: &str) -> String {
        format!("metadata {k}")
    }
    fn get(&self, k: &str) -> Result<&Value> {
        self.md
            .get(k)
            .ok_or_else(|| Error::format(self.path, Self::field(k), "missing from the GGUF metadata"))
    }
    /// An integer in lo..=hi (any GGUF integer type).
    fn int(&self, k: &str, lo: u64, hi: u64) -> Result<usize> {
        let v = match self.get(k)? {
            Value::U8(v) => *v as i128,
            Value::I8(v) => *v as i128,
            Value::U16(v) => *v as i128,
            Value::I16(v) => *v as i128,
            Value::U32(v) => *v as i128,
            Value::I32(v) => *v as i128,
            Value::U64(v) => *v as i128,
            Value::I64(v) => *v as i128,
            other => {
                return Err(Error::format(
                    self.path,
                    Self::field(k),
                    format!("expected an integer, found {}", super::gguf::describe(other)),
                ))
            }
        };
        if v < lo as i128 || v > hi as i128 {
            return Err(Error::format(
                self.path,
                Self::field(k),
                format!("expected an integer from {lo} to {hi}, found {v}"),
            ));
        }
        Ok(v as usize)
    }
    fn float(&self, k: &str) -> Result<f64> {
        match self.get(k)? {
            Value::F32(v) => Ok(*v as f64),
            Value::F64(v) => Ok(*v),
            other => Err(Error::format(
                self.path,
                Self::field(k),
                format!("expected a float, found {}", super::gguf::describe(other)),
            )),
        }
    }
    /// An error in metadata field `k`.
    fn err(&self, k: &str, why: impl std::fmt::Display) -> Error {
        Error::format(self.path, Self::field(k), why)
    }
}

/// The hyperparameters of a llama model, checked against sane limits.
struct Hyper {
    n_layer: usize,
    dim: usize,
    n_head: usize,
    n_kv_head: usize,
    context_length: usize,
    eps: f64,
    rope_base: f32,
    bos: Option<u32>,
}

impl Hyper {
    /// `ModelWeights::from_gguf`'s metadata reads (upstream lines 367–400), each checked.
    fn read(m: &Meta, tokenizer: &Tokenizer) -> Result<Self> {
        let arch =
            m.get("general.architecture")?.to_string().map_err(|e| m.err("general.architecture", e))?;
        if arch != "llama" {
            return Err(m.err(
                "general.architecture",
                format!(
                    "expected \"llama\", found {}: only llama models are supported",
                    crate::error::excerpt(arch.as_bytes(), 40)
                ),
            ));
        }
        let n_layer = m.int("llama.block_count", 1, MAX_LAYERS)?;
        let dim = m.int("llama.embedding_length", 1, MAX_DIM)?;
        let n_head = m.int("llama.attention.head_count", 1, MAX_DIM)?;
        let n_kv_head = m.int("llama.attention.head_count_kv", 1, MAX_DIM)?;
        let context_length = if m.md.contains_key("llama.context_length") {
            m.int("llama.context_length", 1, 1 << 24)?
        } else {
            2048
        };
        if dim % n_head != 0 || (dim / n_head) % 2 != 0 {
            return Err(m.err("llama.attention.head_count", format!(
                "expected a head count that divides llama.embedding_length ({dim}) into heads of an even size, found {n_head}")));
        }
        if n_head % n_kv_head != 0 {
            return Err(m.err(
                "llama.attention.head_count_kv",
                format!("expected a divisor of llama.attention.head_count ({n_head}), found {n_kv_head}"),
            ));
        }
        let eps = m.float("llama.attention.layer_norm_rms_epsilon")?;
        if !(eps > 0.0 && eps < 1.0) {
            return Err(m.err(
                "llama.attention.layer_norm_rms_epsilon",
                format!("expected a small positive number such as 1e-5, found {eps}"),
            ));
        }
        let rope_base = if m.md.contains_key("llama.rope.freq_base") {
            m.float("llama.rope.freq_base")? as f32
        } else {
            10000.0
        };
        if !(rope_base.is_finite() && rope_base > 1.0) {
            return Err(m.err(
                "llama.rope.freq_base",
                format!("expected a number above 1 such as 10000, found {rope_base}"),
            ));
        }
        let bos = match m.md.get("tokenizer.ggml.bos_token_id") {
            None => None,
            Some(_) => Some(m.int(
                "tokenizer.ggml.bos_token_id",
                0,
                tokenizer.vocab_size().saturating_sub(1) as u64,
            )? as u32),
        };
        Ok(Hyper { n_layer, dim, n_head, n_kv_head, context_length, eps, rope_base, bos })
    }
}

/// Every tensor's shape against the hyperparameters, before any tensor is read (step 2 of
/// [`CausalLm::load_with`]).
fn check_shapes(path: &Path, ct: &Content, h: &Hyper, n_tokens: usize) -> Result<()> {
    let (n_layer, dim, n_head, n_kv_head) = (h.n_layer, h.dim, h.n_head, h.n_kv_head);
    let kv_dim = n_kv_head * (dim / n_head);
    let shape = |name: &str| ct.tensor_infos.get(name).map(|i| i.shape.dims().to_vec());
    let expect = |name: &str, want: &[Option<usize>]| -> Result<Vec<usize>> {
        let got = shape(name).ok_or_else(|| {
            Error::format(
                path,
                format!("tensor {name}"),
                format!("missing: llama.block_count says {n_layer} layers (is the file complete?)"),
            )
        })?;
        if got.len() != want.len() || got.iter().zip(want).any(|(g, w)| w.is_some_and(|w| w != *g)) {
            let want: Vec<String> = want.iter().map(|w| w.map_or("any".into(), |w| w.to_string())).collect();
            return Err(Error::format(path, format!("tensor {name}"), format!(
                "expected shape [{}] from the metadata (embedding_length {dim}, {n_head} heads, {n_kv_head} kv heads), found {got:?}", want.join(", "))));
        }
        Ok(got)
    };
    let vocab = expect("token_embd.weight", &[None, Some(dim)])?[0];
    if vocab < n_tokens {
        return Err(Error::format(
            path,
            "tensor token_embd.weight",
            format!("expected at least one row per token ({n_tokens}), found {vocab}"),
        ));
    }
    expect("output_norm.weight", &[Some(dim)])?;
    if ct.tensor_infos.contains_key("output.weight") {
        expect("output.weight", &[Some(vocab), Some(dim)])?;
    }
    for i in 0..n_layer {
        let n = |s: &str| format!("blk.{i}.{s}.weight");
        expect(&n("attn_q"), &[Some(dim), Some(dim)])?;
        expect(&n("attn_k"), &[Some(kv_dim), Some(dim)])?;
        expect(&n("attn_v"), &[Some(kv_dim), Some(dim)])?;
        expect(&n("attn_output"), &[Some(dim), Some(dim)])?;
        expect(&n("attn_norm"), &[Some(dim)])?;
        expect(&n("ffn_norm"), &[Some(dim)])?;
        let ff = expect(&n("ffn_gate"), &[None, Some(dim)])?[0];
        expect(&n("ffn_up"), &[Some(ff), Some(dim)])?;
        expect(&n("ffn_down"), &[Some(dim), Some(ff)])?;
    }
    Ok(())
}

/// The weights of [`CausalLm`].
struct Weights {
    tok_embeddings: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: QMatMul,
}

/// Read every tensor (step 3 of [`CausalLm::load_with`]; upstream lines 400–524): norm weights
/// must be finite; with `dequantize` the matmul weights become f32.
fn read_weights(
    path: &Path,
    ct: &Content,
    file: &mut BufReader<File>,
    h: &Hyper,
    dequantize: bool,
) -> Result<Weights> {
    let dev = Device::Cpu;
    let mut t = |name: &str| {
        ct.tensor(&mut *file, name, &dev).map_err(|e| Error::format(path, format!("tensor {name}"), e))
    };
    let emb_q = t("token_embd.weight")?;
    let emb = emb_q.dequantize(&dev).map_err(|e| Error::format(path, "token_embd.weight", e))?;
    let rms = |q: QTensor, name: &str| {
        let w =
            q.dequantize(&dev).and_then(|w| w.to_vec1::<f32>()).map_err(|e| Error::format(path, name, e))?;
        if let Some(bad) = w.iter().position(|v| !v.is_finite()) {
            return Err(Error::format(
                path,
                format!("tensor {name}"),
                format!(
                    "expected finite weights, found {} at index {bad}: the file is corrupt — re-download it",
                    w[bad]
                ),
            ));
        }
        RmsNorm::from_qtensor(q, h.eps).map_err(|e| Error::format(path, name, e))
    };
    let norm = rms(t("output_norm.weight")?, "output_norm.weight")?;
    // tied embeddings (SmolLM2) when there is no output.weight
    let output = if ct.tensor_infos.contains_key("output.weight") { t("output.weight")? } else { emb_q };
    let qm = |q: QTensor, name: &str| {
        if dequantize { q.dequantize(&dev).map(QMatMul::Tensor) } else { QMatMul::from_qtensor(q) }
            .map_err(|e| Error::format(path, name, e))
    };
    let mut layers = Vec::with_capacity(h.n_layer);
    for i in 0..h.n_layer {
        let n = |s: &str| format!("blk.{i}.{s}.weight");
        layers.push(Layer {
            wq: qm(t(&n("attn_q"))?, &n("attn_q"))?,
            wk: qm(t(&n("attn_k"))?, &n("attn_k"))?,
            wv: qm(t(&n("attn_v"))?, &n("attn_v"))?,
            wo: qm(t(&n("attn_output"))?, &n("attn_output"))?,
            attn_norm: rms(t(&n("attn_norm"))?, &n("attn_norm"))?,
            w1: qm(t(&n("ffn_gate"))?, &n("ffn_gate"))?,
            w2: qm(t(&n("ffn_down"))?, &n("ffn_down"))?,
            w3: qm(t(&n("ffn_up"))?, &n("ffn_up"))?,
            ffn_norm: rms(t(&n("ffn_norm"))?, &n("ffn_norm"))?,
        });
    }
    Ok(Weights {
        tok_embeddings: Embedding::new(emb, h.dim),
        layers,
        norm,
        output: qm(output, "output.weight")?,
    })
}
