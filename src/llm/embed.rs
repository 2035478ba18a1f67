//! Sentence embeddings and per-layer hidden states from a BERT model folder
//! (sentence-transformers layout: `config.json`, `model.safetensors`, `tokenizer.json`,
//! `1_Pooling/config.json`, `modules.json`).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use ndarray::{Array2, Array3, Axis};
use rayon::prelude::*;

use super::bert::{Bert, Config};
use super::candle_err;
use super::safetensors_check;
use super::tokenize::{Tokenized, Tokenizer};
use crate::error::{escaped, json_error, read_text, short_json, Error, IoContext, Result};
use std::collections::HashMap;

/// A tensor's three dimensions and its values, row-major.
type Flat3 = ((usize, usize, usize), Vec<f32>);

/// How token vectors become one sentence vector (sentence-transformers `Pooling`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pooling {
    /// The first token (`[CLS]`): `pooling_mode_cls_token`.
    Cls,
    /// Mean over the tokens the attention mask keeps, special tokens included:
    /// `pooling_mode_mean_tokens` (sentence-transformers `Pooling.forward`).
    Mean,
}

/// One vector per text (rows), with the texts as labels.
#[derive(Clone, Debug)]
pub struct Embeddings {
    pub data: Array2<f32>,
    pub labels: Vec<String>,
}

impl Embeddings {
    /// Each row divided by its L2 norm (sentence-transformers `Normalize`, i.e.
    /// `torch.nn.functional.normalize(p=2, dim=1)`, which clamps the norm at 1e-12).
    pub fn normalize(&self) -> Embeddings {
        let mut data = self.data.clone();
        for mut row in data.rows_mut() {
            let n = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            row.mapv_inplace(|v| v / n);
        }
        Embeddings { data, labels: self.labels.clone() }
    }
    /// Cosine similarity between every pair of rows (`sentence_transformers.util.cos_sim`).
    pub fn cosine_similarity(&self) -> Array2<f64> {
        let n = self.normalize().data.mapv(|v| v as f64);
        n.dot(&n.t())
    }
}

/// Every layer's hidden states of one text: `data[(layer, token, dim)]`, layer 0 being the
/// embedding output (Hugging Face `outputs.hidden_states` for one sequence, stacked).
#[derive(Clone, Debug)]
pub struct HiddenStates {
    pub data: Array3<f32>,
    pub tokenized: Tokenized,
}

impl HiddenStates {
    /// Number of hidden states (layers + 1).
    pub fn num_layers(&self) -> usize {
        self.data.len_of(Axis(0))
    }
    /// One vector per whitespace word at `layer`: the mean of the word's tokens.
    pub fn word_embeddings(&self, layer: usize) -> Result<Embeddings> {
        if layer >= self.num_layers() {
            return Err(Error::shape("hidden-state layer", format!("< {}", self.num_layers()), layer));
        }
        let l = self.data.index_axis(Axis(0), layer);
        let words = &self.tokenized.words;
        let mut data = Array2::zeros((words.len(), l.ncols()));
        for (w, word) in words.iter().enumerate() {
            if word.tokens.is_empty() {
                return Err(Error::data(format!("word {:?} has no token (truncated?)", word.text)));
            }
            for &t in &word.tokens {
                data.row_mut(w).scaled_add(1.0 / word.tokens.len() as f32, &l.row(t));
            }
        }
        Ok(Embeddings { data, labels: words.iter().map(|w| w.text.clone()).collect() })
    }
}

/// A sentence-transformers BERT model (all-MiniLM-L6-v2) on the CPU: tokenizer + encoder +
/// pooling. Mirrors `SentenceTransformer(folder)`; [`Embedder::encode`] mirrors
/// `model.encode(texts)`.
pub struct Embedder {
    model: Bert,
    tokenizer: Tokenizer,
    dir: PathBuf,
    pooling: Pooling,
    normalize: bool,
    max_length: usize,
    /// Texts per forward pass (`batch_size`, default 32 as in sentence-transformers).
    pub batch_size: usize,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Embedder({}, {} hidden states, {:?} pooling, normalize={})",
            self.dir.display(),
            self.model.num_hidden_states(),
            self.pooling,
            self.normalize
        )
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = read_text(path, "JSON", 64 << 20)?;
    serde_json::from_str(&text).map_err(|e| json_error(path, "JSON", &e))
}

/// Limits on the sizes in a BERT `config.json` (BERT-large is 24 layers, 1024 wide).
const CONFIG_LIMITS: &[(&str, u64, u64)] = &[
    ("vocab_size", 1, 1 << 20),
    ("hidden_size", 1, 1 << 14),
    ("num_hidden_layers", 1, 256),
    ("num_attention_heads", 1, 1 << 10),
    ("intermediate_size", 1, 1 << 16),
    ("max_position_embeddings", 1, 1 << 16),
    ("type_vocab_size", 1, 1 << 10),
];

/// A BERT config.json, its sizes checked against sane limits and against the tensors of
/// `model.safetensors` before anything is allocated from them.
fn read_config(
    cfg_path: &Path,
    weights: &Path,
    tensors: &HashMap<String, safetensors_check::Entry>,
) -> Result<Config> {
    let json = read_json(cfg_path)?;
    let obj = json.as_object().ok_or_else(|| Error::format(cfg_path, "config", "expected a JSON object"))?;
    let mut n = HashMap::new();
    for &(k, lo, hi) in CONFIG_LIMITS {
        let v = obj
            .get(k)
            .ok_or_else(|| Error::format(cfg_path, k, "missing: a BERT config.json must give it"))?;
        let x = v.as_u64().filter(|x| (lo..=hi).contains(x)).ok_or_else(|| {
            Error::format(
                cfg_path,
                k,
                format!("expected a whole number from {lo} to {hi}, found {}", short_json(v)),
            )
        })?;
        n.insert(k, x as usize);
    }
    match obj.get("layer_norm_eps").map(|v| v.as_f64()) {
        None => {}
        Some(Some(e)) if e > 0.0 && e < 1.0 => {}
        Some(_) => {
            return Err(Error::format(
                cfg_path,
                "layer_norm_eps",
                format!(
                    "expected a small positive number such as 1e-12, found {}",
                    short_json(&obj["layer_norm_eps"])
                ),
            ))
        }
    }
    let (h, heads) = (n["hidden_size"], n["num_attention_heads"]);
    if h % heads != 0 {
        return Err(Error::format(
            cfg_path,
            "num_attention_heads",
            format!("expected a divisor of hidden_size ({h}), found {heads}"),
        ));
    }
    let config: Config = serde_json::from_value(json).map_err(|e| json_error(cfg_path, "config", &e))?;
    // weights must be floating point (candle would convert integers to f32 silently)
    for (name, e) in tensors {
        if (name.ends_with(".weight") || name.ends_with(".bias"))
            && !matches!(e.dtype.as_str(), "F32" | "F16" | "BF16" | "F64")
        {
            return Err(Error::format(
                weights,
                format!("tensor {}", escaped(name.as_bytes(), 80)),
                format!("expected floating-point weights (F32, F16, BF16), found {}", e.dtype),
            ));
        }
    }
    // the sizes against the weights
    let prefix = if tensors.contains_key("bert.embeddings.word_embeddings.weight") { "bert." } else { "" };
    let shape = |name: &str| tensors.get(&format!("{prefix}{name}")).map(|e| e.shape.clone());
    let emb = |name: &str, rows: &str| -> Result<()> {
        let t = format!("embeddings.{name}.weight");
        let got = shape(&t).ok_or_else(|| {
            Error::format(weights, format!("tensor {prefix}{t}"), "missing (is this a BERT model?)")
        })?;
        if got != [n[rows], h] {
            return Err(Error::format(cfg_path, rows, format!(
                "config.json says {rows} {} and hidden_size {h}, but {} holds {prefix}{t} of shape {got:?}", n[rows], weights.display())));
        }
        Ok(())
    };
    emb("word_embeddings", "vocab_size")?;
    emb("position_embeddings", "max_position_embeddings")?;
    emb("token_type_embeddings", "type_vocab_size")?;
    let layers = (0..)
        .take_while(|i| shape(&format!("encoder.layer.{i}.attention.self.query.weight")).is_some())
        .count();
    if layers != n["num_hidden_layers"] {
        return Err(Error::format(
            cfg_path,
            "num_hidden_layers",
            format!(
                "config.json says {} layers, but {} holds {layers}",
                n["num_hidden_layers"],
                weights.display()
            ),
        ));
    }
    if let Some(got) = shape("encoder.layer.0.intermediate.dense.weight") {
        if got != [n["intermediate_size"], h] {
            return Err(Error::format(cfg_path, "intermediate_size", format!(
                "config.json says intermediate_size {} and hidden_size {h}, but {} holds encoder.layer.0.intermediate.dense.weight of shape {got:?}",
                n["intermediate_size"], weights.display())));
        }
    }
    Ok(config)
}

impl Embedder {
    /// Load a model folder. The weights file is read into memory and its header and tensor
    /// sizes are checked (a truncated or corrupt `model.safetensors` is an error, as is a
    /// `config.json` whose sizes do not match the weights).
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(Error::data(format!("{}: model folder not found", dir.display())));
        }
        let cfg_path = dir.join("config.json");
        let weights = dir.join("model.safetensors");
        let bytes = std::fs::read(&weights).at(&weights)?;
        let tensors = safetensors_check::check(&weights, &bytes)?;
        let config = read_config(&cfg_path, &weights, &tensors)?;
        drop(tensors);
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))?;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &Device::Cpu)
            .map_err(candle_err(&weights, "header"))?;
        let model = Bert::load(vb, &config, &weights)?;
        let pool_path = dir.join("1_Pooling").join("config.json");
        let pooling = if pool_path.is_file() {
            let p = read_json(&pool_path)?;
            if p["pooling_mode_cls_token"].as_bool() == Some(true) {
                Pooling::Cls
            } else {
                Pooling::Mean
            }
        } else {
            Pooling::Mean
        };
        let modules = dir.join("modules.json");
        let normalize =
            modules.is_file() && read_text(&modules, "modules", 64 << 20)?.contains("models.Normalize");
        let st = dir.join("sentence_bert_config.json");
        let max_length = if st.is_file() {
            read_json(&st)?["max_seq_length"].as_u64().unwrap_or(512) as usize
        } else {
            config.max_position_embeddings
        };
        Ok(Embedder {
            model,
            tokenizer,
            dir: dir.to_path_buf(),
            pooling,
            normalize,
            max_length: max_length.min(config.max_position_embeddings),
            batch_size: 32,
        })
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }
    /// Number of hidden states (layers + 1).
    pub fn num_hidden_states(&self) -> usize {
        self.model.num_hidden_states()
    }

    /// Hidden states of a padded batch: `(layers+1, batch, seq, dim)` flattened per layer.
    fn forward(&self, batch: &[Tokenized]) -> Result<(Vec<Array3<f32>>, Array2<f32>)> {
        let seq = batch.iter().map(|t| t.len()).max().unwrap_or(0);
        let mut ids = Array2::<u32>::zeros((batch.len(), seq));
        let mut mask = Array2::<u32>::zeros((batch.len(), seq));
        for (i, t) in batch.iter().enumerate() {
            for j in 0..t.len() {
                ids[(i, j)] = t.ids[j];
                mask[(i, j)] = t.attention_mask[j];
            }
        }
        let run = || -> candle_core::Result<Vec<Flat3>> {
            let dev = Device::Cpu;
            let ids_t = Tensor::from_slice(ids.as_slice().unwrap_or(&[]), (batch.len(), seq), &dev)?;
            let mask_t = Tensor::from_slice(mask.as_slice().unwrap_or(&[]), (batch.len(), seq), &dev)?;
            let hs = self.model.hidden_states(&ids_t, &mask_t)?;
            hs.into_iter()
                .map(|h| {
                    let (b, s, d) = h.dims3()?;
                    Ok(((b, s, d), h.flatten_all()?.to_vec1::<f32>()?))
                })
                .collect()
        };
        let hs = run().map_err(|e| Error::data(format!("{}: forward pass: {e}", self.dir.display())))?;
        let hs = hs.into_iter().map(|(dim, v)| Array3::from_shape_vec(dim, v)).collect::<Result<_, _>>()?;
        Ok((hs, mask.mapv(|m| m as f32)))
    }

    fn tokenize_all<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Tokenized>> {
        self.tokenizer.encode_batch(texts, Some(self.max_length))
    }

    /// Every layer's hidden states for one text (`model(**tok, output_hidden_states=True)`).
    pub fn hidden_states(&self, text: &str) -> Result<HiddenStates> {
        let tk = self.tokenize_all(&[text])?.remove(0);
        let (hs, _) = self.forward(std::slice::from_ref(&tk))?;
        let views: Vec<_> = hs.iter().map(|h| h.index_axis(Axis(0), 0)).collect();
        let data = ndarray::stack(Axis(0), &views)?;
        Ok(HiddenStates { data, tokenized: tk })
    }

    /// Pooled vectors of every hidden state: `data[layer]` is `(texts, dim)`, not normalised.
    /// Texts are processed `batch_size` at a time, sorted by length (as sentence-transformers
    /// does) to keep padding small, several batches at once on rayon's threads; results come
    /// back in input order.
    pub fn embed_layers<S: AsRef<str>>(&self, texts: &[S], pooling: Pooling) -> Result<Vec<Embeddings>> {
        let tks = self.tokenize_all(texts)?;
        let mut order: Vec<usize> = (0..tks.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(tks[i].len()));
        let nl = self.num_hidden_states();
        let labels: Vec<String> = texts.iter().map(|t| t.as_ref().to_string()).collect();
        // batches run in parallel (rayon); each pools its own rows, assembled in input order
        let chunks: Vec<&[usize]> = order.chunks(self.batch_size.max(1)).collect();
        let pooled: Vec<Vec<Array2<f32>>> = chunks
            .par_iter()
            .map(|chunk| -> Result<Vec<Array2<f32>>> {
                let batch: Vec<Tokenized> = chunk.iter().map(|&i| tks[i].clone()).collect();
                let (hs, mask) = self.forward(&batch)?;
                Ok(hs
                    .iter()
                    .map(|h| {
                        let mut p = Array2::zeros((chunk.len(), h.len_of(Axis(2))));
                        for bi in 0..chunk.len() {
                            let hb = h.index_axis(Axis(0), bi);
                            let v = match pooling {
                                Pooling::Cls => hb.row(0).to_owned(),
                                Pooling::Mean => {
                                    let m = mask.row(bi);
                                    m.dot(&hb) / m.sum().max(1e-9)
                                }
                            };
                            p.row_mut(bi).assign(&v);
                        }
                        p
                    })
                    .collect())
            })
            .collect::<Result<_>>()?;
        let mut out: Vec<Option<Array2<f32>>> = vec![None; nl];
        for (chunk, layers) in chunks.iter().zip(&pooled) {
            for (l, p) in layers.iter().enumerate() {
                let dst = out[l].get_or_insert_with(|| Array2::zeros((texts.len(), p.ncols())));
                for (bi, &i) in chunk.iter().enumerate() {
                    dst.row_mut(i).assign(&p.row(bi));
                }
            }
        }
        Ok(out
            .into_iter()
            .map(|d| Embeddings { data: d.unwrap_or_default(), labels: labels.clone() })
            .collect())
    }

    /// Last-layer sentence embeddings with the given pooling, L2-normalised when
    /// `normalize_embeddings` (mirrors `model.encode(texts, normalize_embeddings=...)`).
    pub fn embed<S: AsRef<str>>(
        &self,
        texts: &[S],
        pooling: Pooling,
        normalize_embeddings: bool,
    ) -> Result<Embeddings> {
        let e = self.embed_layers(texts, pooling)?.pop().ok_or_else(|| Error::data("model has no layer"))?;
        Ok(if normalize_embeddings { e.normalize() } else { e })
    }

    /// `SentenceTransformer.encode(texts)` with the folder's own modules: its pooling
    /// (`1_Pooling/config.json`) and normalisation (a `Normalize` module in `modules.json`).
    pub fn encode<S: AsRef<str>>(&self, texts: &[S]) -> Result<Embeddings> {
        self.embed(texts, self.pooling, self.normalize)
    }
}
