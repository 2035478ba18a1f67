//! Tokenisation with the `tokenizers` crate from a local `tokenizer.json` (WordPiece, MiniLM) or
//! from the metadata of a GGUF file (byte-level BPE, SmolLM2).
//!
//! Mirrors Hugging Face `tokenizers.Tokenizer.from_file` / `AutoTokenizer` and the fields of a
//! `BatchEncoding` (`input_ids`, `attention_mask`, `offset_mapping`, `special_tokens_mask`,
//! `word_ids`). Differences: padding and truncation stored in the file are switched off (the
//! MiniLM file pads every text to 128 tokens), and [`Tokenized::words`] are the
//! whitespace-separated words of the text (what a reader sees), not the pre-tokenizer's pieces.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::display::{dataframe_html, emit, EvcxrDisplay};
use crate::error::{excerpt, json_error, read_text, short_json, Error, Result};

/// A tokenizer loaded from local files (an owned value a notebook cell can keep).
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    source: PathBuf,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokenizer({}, vocabulary {})", self.source.display(), self.vocab_size())
    }
}

/// A whitespace-separated word of the text and the tokens that overlap it.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    /// The word as written.
    pub text: String,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
    /// Indices of the tokens overlapping the word (special tokens never do).
    pub tokens: Vec<usize>,
}

/// One encoded text: mirrors the fields of a Hugging Face `BatchEncoding` for one sequence.
#[derive(Clone, Debug)]
pub struct Tokenized {
    pub text: String,
    pub tokens: Vec<String>,
    /// `input_ids`.
    pub ids: Vec<u32>,
    /// `offset_mapping`: byte ranges in `text` (`(0, 0)` for special tokens).
    pub offsets: Vec<(usize, usize)>,
    /// `special_tokens_mask`: 1 for `[CLS]`, `[SEP]`, padding, ...
    pub special_tokens_mask: Vec<u32>,
    /// `attention_mask`: 1 for real tokens, 0 for padding.
    pub attention_mask: Vec<u32>,
    /// Whitespace-separated words and their tokens (word ↔ token alignment).
    pub words: Vec<Word>,
}

impl Tokenized {
    /// Number of tokens (special tokens included).
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// True when there is no token.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The word each token belongs to (`None` for special tokens and padding): like
    /// `BatchEncoding.word_ids()`, but counting whitespace-separated words.
    pub fn word_ids(&self) -> Vec<Option<usize>> {
        let mut out = vec![None; self.ids.len()];
        for (w, word) in self.words.iter().enumerate() {
            for &t in &word.tokens {
                out[t] = Some(w);
            }
        }
        out
    }
    /// One row per token: token, id, offsets, word, special, attention mask.
    pub fn table(&self) -> Result<DataFrame> {
        let wid = self.word_ids();
        let df = DataFrame::new(vec![
            Column::new("token".into(), self.tokens.clone()),
            Column::new("id".into(), self.ids.clone()),
            Column::new("start".into(), self.offsets.iter().map(|o| o.0 as u32).collect::<Vec<_>>()),
            Column::new("end".into(), self.offsets.iter().map(|o| o.1 as u32).collect::<Vec<_>>()),
            Column::new(
                "word".into(),
                wid.iter().map(|w| w.map(|w| self.words[w].text.clone())).collect::<Vec<_>>(),
            ),
            Column::new("special".into(), self.special_tokens_mask.clone()),
            Column::new("attention_mask".into(), self.attention_mask.clone()),
        ])?;
        Ok(df)
    }
}

impl EvcxrDisplay for Tokenized {
    fn evcxr_display(&self) {
        match self.table() {
            Ok(df) => emit("text/html", &dataframe_html(&df)),
            Err(e) => println!("{e}"),
        }
    }
}

/// Whitespace-separated words of `text` with their byte ranges.
pub(crate) fn split_words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

impl Tokenizer {
    /// Load a `tokenizer.json` (mirrors `tokenizers.Tokenizer.from_file`), switching off the
    /// padding and truncation stored in the file.
    ///
    /// The file is checked before the `tokenizers` crate sees it: UTF-8 (with the position of a
    /// bad byte), JSON syntax (line and column), each section on its own (so an error names
    /// `model`, `decoder`, ... instead of an "untagged enum"), and the special tokens a
    /// post-processor template names. `tokenizers` 0.23.2 panics on two of these (a decoder
    /// section with a syntax error, decoders/mod.rs:90; a template naming an undefined special
    /// token, at the first `encode`, processors/template.rs:563); any other panic inside it is
    /// caught here and returned as an error.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = read_text(path, "tokenizer.json", 1 << 30)?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| json_error(path, "tokenizer.json", &e))?;
        drop(text);
        check_tokenizer_json(path, &json)?;
        let mut inner: tokenizers::Tokenizer = guard(path, "tokenizer.json", || {
            <tokenizers::Tokenizer as serde::Deserialize>::deserialize(&json)
        })?
        .map_err(|e| {
            Error::format(
                path,
                "tokenizer.json",
                format!("not a tokenizer the tokenizers library can load: {}", untagged(&e.to_string())),
            )
        })?;
        inner.with_padding(None);
        inner.with_truncation(None).map_err(|e| Error::format(path, "truncation", e))?;
        Ok(Tokenizer { inner, source: path.to_path_buf() })
    }

    /// Build the byte-level BPE tokenizer stored in a GGUF file's metadata
    /// (`tokenizer.ggml.tokens`, `.merges`, `.token_type`, `.pre`), as transformers'
    /// `GGUFGPTConverter` (integrations/ggml.py) and llama.cpp's `llm_tokenizer_bpe` do.
    /// The pre-tokenizer follows `tokenizer.ggml.pre`: `smollm` splits digits one by one
    /// before the GPT-2 byte-level split (llama.cpp `LLAMA_VOCAB_PRE_TYPE_SMOLLM`).
    /// No BOS token is added (SmolLM2's `add_bos_token` is false).
    pub fn from_gguf(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let g = super::gguf::open(path)?;
        Self::from_gguf_metadata(path, &g.content.metadata)
    }

    pub(crate) fn from_gguf_metadata(
        path: &Path,
        md: &std::collections::HashMap<String, candle_core::quantized::gguf_file::Value>,
    ) -> Result<Self> {
        let f = |k: &str| format!("metadata {k}");
        let get =
            |k: &str| md.get(k).ok_or_else(|| Error::format(path, f(k), "missing from the GGUF metadata"));
        let model = get("tokenizer.ggml.model")?
            .to_string()
            .map_err(|e| Error::format(path, f("tokenizer.ggml.model"), e))?;
        if model != "gpt2" {
            return Err(Error::format(
                path,
                f("tokenizer.ggml.model"),
                format!(
                    "expected \"gpt2\" (byte-level BPE, the only kind supported), found {}",
                    excerpt(model.as_bytes(), 40)
                ),
            ));
        }
        let strings = |k: &str| -> Result<Vec<String>> {
            get(k)?
                .to_vec()
                .map_err(|e| Error::format(path, f(k), format!("expected an array of strings: {e}")))?
                .iter()
                .map(|v| {
                    v.to_string()
                        .cloned()
                        .map_err(|e| Error::format(path, f(k), format!("expected an array of strings: {e}")))
                })
                .collect()
        };
        let tokens = strings("tokenizer.ggml.tokens")?;
        let merges = strings("tokenizer.ggml.merges")?;
        check_bpe(path, &tokens, &merges)?;
        let types: Vec<i32> = match md.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(|e| Error::format(path, f("tokenizer.ggml.token_type"), e))?
                .iter()
                .map(|v| v.to_i32().map_err(|e| Error::format(path, f("tokenizer.ggml.token_type"), e)))
                .collect::<Result<_>>()?,
            None => vec![1; tokens.len()],
        };
        if types.len() != tokens.len() {
            return Err(Error::format(
                path,
                f("tokenizer.ggml.token_type"),
                format!("expected one entry per token ({}), found {}", tokens.len(), types.len()),
            ));
        }
        let pre = md
            .get("tokenizer.ggml.pre")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_else(|| "default".into());
        let byte_level = serde_json::json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true});
        let pre_tokenizer = match pre.as_str() {
            "smollm" => serde_json::json!({"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": true}, byte_level]}),
            "default" | "gpt2" | "gpt-2" => byte_level,
            other => {
                return Err(Error::format(
                    path,
                    f("tokenizer.ggml.pre"),
                    format!("expected smollm, gpt2 or default, found {}", excerpt(other.as_bytes(), 40)),
                ))
            }
        };
        let vocab: serde_json::Map<String, serde_json::Value> =
            tokens.iter().enumerate().map(|(i, t)| (t.clone(), serde_json::Value::from(i as u32))).collect();
        // token_type 3 = control (special) tokens, 4 = user-defined: both are added tokens.
        let added: Vec<serde_json::Value> = tokens
            .iter()
            .zip(&types)
            .enumerate()
            .filter(|(_, (_, &t))| t == 3 || t == 4)
            .map(|(i, (tok, &t))| {
                serde_json::json!({"id": i, "content": tok, "single_word": false, "lstrip": false,
                "rstrip": false, "normalized": t != 3, "special": t == 3})
            })
            .collect();
        let json = serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": added, "normalizer": null,
            "pre_tokenizer": pre_tokenizer,
            "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
            "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
            "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab, "merges": merges}
        });
        // the JSON is brainml's own: a tokenizers error is reported without its position in it
        let inner: tokenizers::Tokenizer = guard(path, "tokenizer.ggml.*", || {
            <tokenizers::Tokenizer as serde::Deserialize>::deserialize(&json)
        })?
        .map_err(|e| {
            Error::format(
                path,
                "tokenizer.ggml.*",
                format!("the tokenizers library refused the vocabulary: {}", untagged(&e.to_string())),
            )
        })?;
        Ok(Tokenizer { inner, source: path.to_path_buf() })
    }

    /// Size of the vocabulary, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }
    /// Id of a token string, if it is in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }
    /// Token string of an id.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }
    /// Text of a sequence of ids (mirrors `tokenizer.decode`).
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        guard(&self.source, "decode", || self.inner.decode(ids, skip_special_tokens))?
            .map_err(|e| Error::data(format!("{}: decode: {e}", self.source.display())))
    }

    /// Encode one text with the model's special tokens (mirrors `tokenizer(text)`).
    /// An empty or all-whitespace text is an error.
    pub fn encode(&self, text: &str) -> Result<Tokenized> {
        self.encode_with(text, true)
    }

    /// Encode one text, with or without special tokens (`add_special_tokens`).
    pub fn encode_with(&self, text: &str, add_special_tokens: bool) -> Result<Tokenized> {
        if text.trim().is_empty() {
            return Err(Error::data(format!("{}: cannot tokenise an empty text", self.source.display())));
        }
        let enc = guard(&self.source, "encode", || self.inner.encode(text, add_special_tokens))?
            .map_err(|e| Error::data(format!("{}: tokenising {text:?}: {e}", self.source.display())))?;
        let offsets: Vec<(usize, usize)> = enc.get_offsets().to_vec();
        let special = enc.get_special_tokens_mask().to_vec();
        let words = split_words(text)
            .into_iter()
            .map(|(s, e)| Word {
                text: text[s..e].to_string(),
                start: s,
                end: e,
                tokens: offsets
                    .iter()
                    .enumerate()
                    .filter(|&(i, &(a, b))| special[i] == 0 && a < e && b > s)
                    .map(|(i, _)| i)
                    .collect(),
            })
            .collect();
        Ok(Tokenized {
            text: text.to_string(),
            tokens: enc.get_tokens().to_vec(),
            ids: enc.get_ids().to_vec(),
            offsets,
            special_tokens_mask: special,
            attention_mask: enc.get_attention_mask().to_vec(),
            words,
        })
    }

    /// Encode several texts with special tokens, truncating each to `max_length` tokens
    /// (`truncation=True, max_length=...`); mirrors `tokenizer(texts)` without padding.
    pub fn encode_batch<S: AsRef<str>>(
        &self,
        texts: &[S],
        max_length: Option<usize>,
    ) -> Result<Vec<Tokenized>> {
        if texts.is_empty() {
            return Err(Error::data("no text to encode"));
        }
        texts
            .iter()
            .map(|t| {
                let mut tk = self.encode(t.as_ref())?;
                if let Some(m) = max_length {
                    truncate(&mut tk, m);
                }
                Ok(tk)
            })
            .collect()
    }
}

/// Keep at most `max` tokens, keeping the last special token (`[SEP]`) as HF truncation does.
fn truncate(tk: &mut Tokenized, max: usize) {
    if tk.len() <= max || max < 2 {
        return;
    }
    let last_special = tk.special_tokens_mask.last() == Some(&1);
    let keep = if last_special { max - 1 } else { max };
    let n = tk.len();
    let pick: Vec<usize> = (0..keep).chain(if last_special { Some(n - 1) } else { None }).collect();
    tk.tokens = pick.iter().map(|&i| tk.tokens[i].clone()).collect();
    tk.ids = pick.iter().map(|&i| tk.ids[i]).collect();
    tk.offsets = pick.iter().map(|&i| tk.offsets[i]).collect();
    tk.special_tokens_mask = pick.iter().map(|&i| tk.special_tokens_mask[i]).collect();
    tk.attention_mask = pick.iter().map(|&i| tk.attention_mask[i]).collect();
    for w in &mut tk.words {
        w.tokens.retain(|&t| t < keep);
    }
}

/// Run `f`, turning a panic inside the tokenizers library into an error on `path`.
pub(crate) fn guard<T>(path: &Path, field: &str, f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| {
        let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
        Error::format(path, field, format!("internal error in the tokenizers library on this file ({msg}): the file is probably damaged — re-download it"))
    })
}

/// serde's "data did not match any variant of untagged enum X" in words.
fn untagged(msg: &str) -> String {
    let msg = msg.rsplit_once(" at line ").map_or(msg, |(w, _)| w);
    match msg.find("untagged enum ") {
        Some(i) => {
            let what = msg[i + 14..]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches("Untagged")
                .trim_end_matches("Wrapper");
            format!("a {} section matches none of the forms the library knows (wrong \"type\", a missing or mistyped field)", what.to_lowercase())
        }
        None => msg.to_string(),
    }
}

/// What can be checked in a tokenizer.json before the tokenizers library reads it: the
/// top-level layout, each section on its own (so that an error names the section), and the
/// special tokens a post-processor template names.
fn check_tokenizer_json(path: &Path, json: &serde_json::Value) -> Result<()> {
    use serde_json::Value as J;
    let obj = json.as_object().ok_or_else(|| {
        Error::format(path, "tokenizer.json", format!("expected a JSON object, found {}", kind(json)))
    })?;
    let model = obj.get("model").ok_or_else(|| {
        Error::format(path, "model", "missing: a tokenizer.json must have a \"model\" section")
    })?;
    let section = |name: &str, r: std::result::Result<(), serde_json::Error>| -> Result<()> {
        r.map_err(|e| Error::format(path, name, format!("not valid: {}", untagged(&e.to_string()))))
    };
    if let Some(pp) = obj.get("post_processor") {
        check_templates(path, pp)?;
    }
    let m = model
        .as_object()
        .ok_or_else(|| Error::format(path, "model", format!("expected an object, found {}", kind(model))))?;
    let ty = m.get("type").and_then(|t| t.as_str()).unwrap_or("");
    use tokenizers::models::{bpe::BPE, unigram::Unigram, wordlevel::WordLevel, wordpiece::WordPiece};
    let r = guard(path, "model", || match ty {
        "WordPiece" => <WordPiece as serde::Deserialize>::deserialize(model).map(drop),
        "BPE" => <BPE as serde::Deserialize>::deserialize(model).map(drop),
        "Unigram" => <Unigram as serde::Deserialize>::deserialize(model).map(drop),
        "WordLevel" => <WordLevel as serde::Deserialize>::deserialize(model).map(drop),
        _ => <tokenizers::ModelWrapper as serde::Deserialize>::deserialize(model).map(drop),
    })?;
    section(&format!("model ({})", if ty.is_empty() { "no type" } else { ty }), r)?;
    for (name, v) in obj.iter().filter(|(_, v)| !v.is_null()) {
        let r = guard(path, name, || match name.as_str() {
            "normalizer" => <tokenizers::NormalizerWrapper as serde::Deserialize>::deserialize(v).map(drop),
            "pre_tokenizer" => {
                <tokenizers::PreTokenizerWrapper as serde::Deserialize>::deserialize(v).map(drop)
            }
            "post_processor" => {
                use tokenizers::processors::{
                    bert::BertProcessing, byte_level::ByteLevel, roberta::RobertaProcessing,
                    sequence::Sequence, template::TemplateProcessing,
                };
                // by its type, for an error that names the field (the wrapper is an untagged enum)
                match v.get("type").and_then(|t| t.as_str()) {
                    Some("TemplateProcessing") => {
                        <TemplateProcessing as serde::Deserialize>::deserialize(v).map(drop)
                    }
                    Some("BertProcessing") => {
                        <BertProcessing as serde::Deserialize>::deserialize(v).map(drop)
                    }
                    Some("RobertaProcessing") => {
                        <RobertaProcessing as serde::Deserialize>::deserialize(v).map(drop)
                    }
                    Some("ByteLevel") => <ByteLevel as serde::Deserialize>::deserialize(v).map(drop),
                    Some("Sequence") => <Sequence as serde::Deserialize>::deserialize(v).map(drop),
                    _ => <tokenizers::PostProcessorWrapper as serde::Deserialize>::deserialize(v).map(drop),
                }
            }
            "decoder" => <tokenizers::DecoderWrapper as serde::Deserialize>::deserialize(v).map(drop),
            "truncation" => <tokenizers::TruncationParams as serde::Deserialize>::deserialize(v).map(drop),
            "padding" => <tokenizers::PaddingParams as serde::Deserialize>::deserialize(v).map(drop),
            "added_tokens" => <Vec<J> as serde::Deserialize<'_>>::deserialize(v).map(drop),
            _ => Ok(()),
        })?;
        section(name, r)?;
    }
    for (i, t) in obj.get("added_tokens").and_then(|a| a.as_array()).into_iter().flatten().enumerate() {
        let field = format!("added_tokens[{i}]");
        if !t.is_object() {
            return Err(Error::format(
                path,
                field,
                format!("expected an object {{\"id\", \"content\", ...}}, found {}", kind(t)),
            ));
        }
        if t.get("id").is_none_or(|id| id.as_u64().is_none_or(|id| id > u32::MAX as u64)) {
            return Err(Error::format(
                path,
                field,
                format!(
                    "expected an \"id\" from 0 to {}, found {}",
                    u32::MAX,
                    short_json(t.get("id").unwrap_or(&J::Null))
                ),
            ));
        }
        let r =
            guard(path, &field, || <tokenizers::AddedToken as serde::Deserialize>::deserialize(t).map(drop))?;
        section(&field, r)?;
    }
    for (name, known, children) in SECTION_TYPES {
        if let Some(v) = obj.get(*name).filter(|v| !v.is_null()) {
            check_types(path, name, v, known, children)?;
        }
    }
    Ok(())
}

/// The `"type"` of each section as tokenizers 0.23.2 writes it, and the key of a Sequence's
/// children. The library also accepts an unknown type when the other fields happen to fit
/// another kind (untagged fallback), which would silently load something else.
const SECTION_TYPES: &[(&str, &[&str], &str)] = &[
    (
        "normalizer",
        &[
            "BertNormalizer",
            "Bert",
            "Strip",
            "StripAccents",
            "NFC",
            "NFD",
            "NFKC",
            "NFKD",
            "Sequence",
            "Lowercase",
            "Nmt",
            "Precompiled",
            "Replace",
            "Prepend",
            "ByteLevel",
        ],
        "normalizers",
    ),
    (
        "pre_tokenizer",
        &[
            "BertPreTokenizer",
            "ByteLevel",
            "Delimiter",
            "CharDelimiterSplit",
            "Metaspace",
            "Whitespace",
            "Sequence",
            "Split",
            "Punctuation",
            "WhitespaceSplit",
            "Digits",
            "UnicodeScripts",
            "FixedLength",
        ],
        "pretokenizers",
    ),
    (
        "post_processor",
        &["RobertaProcessing", "BertProcessing", "ByteLevel", "TemplateProcessing", "Sequence"],
        "processors",
    ),
    (
        "decoder",
        &[
            "BPEDecoder",
            "ByteLevel",
            "WordPiece",
            "Metaspace",
            "CTC",
            "Sequence",
            "Replace",
            "Fuse",
            "Strip",
            "ByteFallback",
        ],
        "decoders",
    ),
];

fn check_types(
    path: &Path,
    field: &str,
    v: &serde_json::Value,
    known: &[&str],
    children: &str,
) -> Result<()> {
    let Some(t) = v.get("type") else { return Ok(()) };
    let t = t.as_str().unwrap_or("");
    if !known.contains(&t) {
        return Err(Error::format(
            path,
            field,
            format!("expected a \"type\" of {}, found {}", known.join(", "), short_json(&v["type"])),
        ));
    }
    if t == "Sequence" {
        for (i, c) in v.get(children).and_then(|c| c.as_array()).into_iter().flatten().enumerate() {
            check_types(path, &format!("{field}.{children}[{i}]"), c, known, children)?;
        }
    }
    Ok(())
}

/// Every special token a `TemplateProcessing` template names must be in its `special_tokens`.
fn check_templates(path: &Path, pp: &serde_json::Value) -> Result<()> {
    match pp.get("type").and_then(|t| t.as_str()) {
        Some("Sequence") => {
            for p in pp.get("processors").and_then(|p| p.as_array()).into_iter().flatten() {
                check_templates(path, p)?;
            }
        }
        Some("TemplateProcessing") => {
            let defined = pp.get("special_tokens").and_then(|s| s.as_object());
            for which in ["single", "pair"] {
                let names: Vec<String> = match pp.get(which) {
                    Some(serde_json::Value::String(s)) => s
                        .split(' ')
                        .filter(|p| !p.starts_with('$') && !p.is_empty())
                        .map(|p| p.split(':').next().unwrap_or(p).to_string())
                        .collect(),
                    Some(serde_json::Value::Array(a)) => a
                        .iter()
                        .filter_map(|p| p.get("SpecialToken")?.get("id")?.as_str().map(str::to_string))
                        .collect(),
                    _ => vec![],
                };
                for n in names {
                    let tok = defined.and_then(|d| d.get(&n));
                    let ids =
                        tok.and_then(|t| t.get("ids")).and_then(|i| i.as_array()).map_or(0, |i| i.len());
                    let toks =
                        tok.and_then(|t| t.get("tokens")).and_then(|i| i.as_array()).map_or(0, |i| i.len());
                    if tok.is_none() {
                        return Err(Error::format(path, format!("post_processor.{which}"), format!(
                            "the template names the special token {}, which is not defined in post_processor.special_tokens", excerpt(n.as_bytes(), 40))));
                    }
                    if ids != toks {
                        return Err(Error::format(
                            path,
                            format!("post_processor.special_tokens.{n}"),
                            format!("expected as many ids as tokens, found {ids} ids and {toks} tokens"),
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A GGUF BPE vocabulary the tokenizers library will accept: tokens unique, each merge two
/// tokens of the vocabulary separated by one space whose concatenation is a token too.
fn check_bpe(path: &Path, tokens: &[String], merges: &[String]) -> Result<()> {
    if tokens.is_empty() {
        return Err(Error::format(
            path,
            "metadata tokenizer.ggml.tokens",
            "expected a vocabulary, found an empty array",
        ));
    }
    let mut ids = std::collections::HashMap::with_capacity(tokens.len());
    for (i, t) in tokens.iter().enumerate() {
        if let Some(j) = ids.insert(t.as_str(), i) {
            return Err(Error::format(
                path,
                "metadata tokenizer.ggml.tokens",
                format!(
                    "expected distinct tokens, found {} at entries {j} and {i}",
                    excerpt(t.as_bytes(), 40)
                ),
            ));
        }
    }
    for (i, m) in merges.iter().enumerate() {
        let ok = m.split_once(' ').filter(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && ids.contains_key(a)
                && ids.contains_key(b)
                && ids.contains_key(format!("{a}{b}").as_str())
        });
        if ok.is_none() {
            return Err(Error::format(path, "metadata tokenizer.ggml.merges", format!(
                "entry {i}: expected two tokens of the vocabulary separated by a space whose concatenation is a token too, found {}", excerpt(m.as_bytes(), 60))));
        }
    }
    Ok(())
}
