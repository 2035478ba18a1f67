//! The language-model files: `tokenizer.json` (Tokenizer::from_file, encode), a GGUF file
//! (Tokenizer::from_gguf, encode; CausalLm::load, surprisal) and a BERT folder
//! (config.json + model.safetensors: Embedder::load, encode).

use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::{
    file_case, interesting, linked_folder, mutate_bytes, mutate_json, random_cases, Case, Expect, Format,
    Made, Rng,
};

const TEXT: &str = "The N170 is larger for faces than scrambled faces.";
const GGUF_FILE: &str = "model.gguf";

pub fn run_tokenizer(p: &Path) -> Result<String, String> {
    let t = brainml::llm::Tokenizer::from_file(p).map_err(|e| e.to_string())?;
    let e = t.encode(TEXT).map_err(|e| e.to_string())?;
    Ok(format!("{} tokens", e.len()))
}

pub fn run_gguf(p: &Path) -> Result<String, String> {
    let t = brainml::llm::Tokenizer::from_gguf(p).map_err(|e| e.to_string())?;
    let n = t.encode(TEXT).map_err(|e| e.to_string())?.len();
    let lm = brainml::llm::CausalLm::load(p).map_err(|e| e.to_string())?;
    let s = lm.surprisal(TEXT).map_err(|e| e.to_string())?;
    Ok(format!("{n} tokens, {:.1} bits", s.total()))
}

pub fn run_bert(p: &Path) -> Result<String, String> {
    let m = brainml::llm::Embedder::load(p).map_err(|e| e.to_string())?;
    let e = m.encode(&[TEXT]).map_err(|e| e.to_string())?;
    Ok(format!("embedding {:?}", e.data.dim()))
}

pub fn formats(models: &Path, random: usize, seed: u64) -> Vec<Format> {
    vec![
        tokenizer_format(models, random, seed),
        gguf_format(models, random, seed),
        bert_format(models, random, seed),
    ]
}

fn json_edit(
    base: &Arc<Vec<u8>>,
    f: impl Fn(&mut serde_json::Value) + Send + Sync + 'static,
) -> impl Fn() -> Vec<u8> + Send + Sync + 'static {
    let base = base.clone();
    move || {
        let mut v: serde_json::Value = serde_json::from_slice(&base).unwrap();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    }
}

fn text_edit(
    base: &Arc<Vec<u8>>,
    from: &'static str,
    to: &'static str,
) -> impl Fn() -> Vec<u8> + Send + Sync + 'static {
    let base = base.clone();
    move || {
        let t = String::from_utf8((*base).clone()).unwrap();
        assert!(t.contains(from), "{from} not in the file");
        t.replacen(from, to, 1).into_bytes()
    }
}

// ---------------------------------------------------------------------------------------------
// tokenizer.json

fn tokenizer_format(models: &Path, random: usize, seed: u64) -> Format {
    let base =
        Arc::new(std::fs::read(models.join("all-minilm-l6-v2/tokenizer.json")).expect("tokenizer.json"));
    let f = "tokenizer.json";
    let b = base.clone();
    let mut cases = vec![file_case("valid tokenizer.json".into(), Expect::Ok, f, move || (*b).clone())];
    let mut hand = |name: &str, expect: Expect, bytes: Box<dyn Fn() -> Vec<u8> + Send + Sync>| {
        cases.push(file_case(name.into(), expect, f, bytes))
    };
    use Expect::{Any, Error};
    hand(
        "template names an undefined special token",
        Error,
        Box::new(json_edit(&base, |v| {
            v["post_processor"]["single"][0]["SpecialToken"]["id"] = json!("[NOPE]");
        })),
    );
    hand(
        "template string names an undefined special token",
        Error,
        Box::new(json_edit(&base, |v| {
            v["post_processor"]["single"] = json!("[CLS] $A [NOPE]");
        })),
    );
    hand(
        "decoder section with a syntax error",
        Error,
        Box::new(text_edit(
            &base,
            "\"decoder\":{\"type\":\"WordPiece\",",
            "\"decoder\":{\"type\":\"WordPiece\",,",
        )),
    );
    hand(
        "decoder of unknown type",
        Error,
        Box::new(json_edit(&base, |v| v["decoder"] = json!({"type": "Nope"}))),
    );
    hand("decoder a number", Error, Box::new(json_edit(&base, |v| v["decoder"] = json!(3))));
    hand(
        "special token with more ids than tokens",
        Error,
        Box::new(json_edit(&base, |v| {
            v["post_processor"]["special_tokens"]["[CLS]"]["ids"] = json!([101, 102]);
        })),
    );
    hand(
        "special token id beyond the vocabulary",
        Any,
        Box::new(json_edit(&base, |v| {
            v["post_processor"]["special_tokens"]["[CLS]"]["ids"] = json!([4000000000u64]);
        })),
    );
    hand("model of unknown type", Error, Box::new(json_edit(&base, |v| v["model"]["type"] = json!("Nope"))));
    hand(
        "model without vocab",
        Error,
        Box::new(json_edit(&base, |v| {
            v["model"].as_object_mut().unwrap().remove("vocab");
        })),
    );
    hand(
        "model without type, garbage (untagged enum)",
        Error,
        Box::new(json_edit(&base, |v| v["model"] = json!({"vocab": 3, "x": []}))),
    );
    hand(
        "model missing",
        Error,
        Box::new(json_edit(&base, |v| {
            v.as_object_mut().unwrap().remove("model");
        })),
    );
    hand(
        "vocab value a string",
        Error,
        Box::new(json_edit(&base, |v| v["model"]["vocab"]["the"] = json!("x"))),
    );
    hand(
        "unk_token not in the vocabulary",
        Any,
        Box::new(json_edit(&base, |v| v["model"]["unk_token"] = json!("[NOT-THERE]"))),
    );
    hand(
        "added_tokens not an array",
        Error,
        Box::new(json_edit(&base, |v| v["added_tokens"] = json!({"a": 1}))),
    );
    hand(
        "added token id 2^32",
        Any,
        Box::new(json_edit(&base, |v| v["added_tokens"][0]["id"] = json!(4294967296u64))),
    );
    hand(
        "normalizer of unknown type",
        Error,
        Box::new(json_edit(&base, |v| v["normalizer"]["type"] = json!("Nope"))),
    );
    hand("pre_tokenizer garbage", Error, Box::new(json_edit(&base, |v| v["pre_tokenizer"] = json!([1, 2]))));
    hand(
        "post_processor of unknown type",
        Error,
        Box::new(json_edit(&base, |v| v["post_processor"]["type"] = json!("Nope"))),
    );
    hand(
        "truncation max_length -1",
        Error,
        Box::new(json_edit(&base, |v| v["truncation"]["max_length"] = json!(-1))),
    );
    hand(
        "padding strategy garbage",
        Error,
        Box::new(json_edit(&base, |v| v["padding"]["strategy"] = json!({"Fixed": "x"}))),
    );
    let b = base.clone();
    hand(
        "invalid utf-8",
        Error,
        Box::new(move || {
            let mut v = (*b).clone();
            let p = v.len() / 3;
            v[p] = 0xff;
            v
        }),
    );
    let b = base.clone();
    hand("truncated in the middle", Error, Box::new(move || b[..b.len() / 2].to_vec()));
    hand("empty file", Error, Box::new(Vec::new));
    hand(
        "binary garbage",
        Error,
        Box::new(|| (0..65536u32).map(|i| (i.wrapping_mul(2654435761) >> 7) as u8).collect()),
    );
    hand("nesting 100 000 deep", Error, Box::new(|| "[".repeat(100_000).into_bytes()));
    hand("a JSON array", Error, Box::new(|| b"[1, 2, 3]".to_vec()));
    let n = base.len();
    cases.extend(random_cases(
        "tokenizer.json",
        random,
        seed,
        f,
        base,
        move |rng: &mut Rng, b: &mut Vec<u8>| {
            if rng.chance(0.5) {
                let mut v: serde_json::Value = serde_json::from_slice(b).unwrap();
                let d = mutate_json(rng, &mut v);
                *b = serde_json::to_vec(&v).unwrap();
                return d;
            }
            // the sections before the vocabulary, mostly
            let hi = if rng.chance(0.8) { 4096 } else { n };
            mutate_bytes(rng, b, 0, hi)
        },
    ));
    Format { name: "tokenizer.json", cases }
}

// ---------------------------------------------------------------------------------------------
// GGUF: a small reader and writer of the test's own (independent of brainml's), for
// targeted mutations of header fields and for hand-made files.

#[derive(Clone)]
struct Kv {
    key: String,
    ty: u32,
    raw: Vec<u8>,
}

#[derive(Clone)]
struct Ti {
    name: String,
    dims: Vec<u64>,
    ty: u32,
    offset: u64,
}

#[derive(Clone)]
struct G {
    kvs: Vec<Kv>,
    tis: Vec<Ti>,
    data_start: usize,
}

/// Header fields by kind: (kind, position, width).
type Fields = Vec<(usize, usize, usize)>;
/// An edit of a parsed GGUF file and its bytes.
type GgufEdit = Box<dyn Fn(&mut G, &mut Vec<u8>) + Send + Sync>;
/// A new file made from the valid one's bytes.
type BytesEdit = Box<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;
const KINDS: usize = 12;

fn gguf_parse(b: &[u8]) -> (G, Fields) {
    let mut p = 24usize;
    let mut fields: Fields = vec![(0, 8, 8), (0, 16, 8)];
    let u32_at = |p: usize| u32::from_le_bytes(b[p..p + 4].try_into().unwrap());
    let u64_at = |p: usize| u64::from_le_bytes(b[p..p + 8].try_into().unwrap());
    let n_t = u64_at(8) as usize;
    let n_kv = u64_at(16) as usize;
    fn skip(b: &[u8], p: &mut usize, ty: u32, fields: &mut Fields) {
        let size = match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            8 => {
                fields.push((4, *p, 8));
                let n = u64::from_le_bytes(b[*p..*p + 8].try_into().unwrap()) as usize;
                *p += 8 + n;
                return;
            }
            9 => {
                fields.push((5, *p, 4));
                fields.push((6, *p + 4, 8));
                let et = u32::from_le_bytes(b[*p..*p + 4].try_into().unwrap());
                let n = u64::from_le_bytes(b[*p + 4..*p + 12].try_into().unwrap()) as usize;
                *p += 12;
                for _ in 0..n {
                    skip(b, p, et, fields);
                }
                return;
            }
            _ => panic!("type {ty}"),
        };
        fields.push((3, *p, size));
        *p += size;
    }
    let mut kvs = Vec::new();
    for _ in 0..n_kv {
        fields.push((1, p, 8));
        let n = u64_at(p) as usize;
        let key = String::from_utf8(b[p + 8..p + 8 + n].to_vec()).unwrap();
        p += 8 + n;
        fields.push((2, p, 4));
        let ty = u32_at(p);
        p += 4;
        let s = p;
        skip(b, &mut p, ty, &mut fields);
        kvs.push(Kv { key, ty, raw: b[s..p].to_vec() });
    }
    let mut tis = Vec::new();
    for _ in 0..n_t {
        fields.push((7, p, 8));
        let n = u64_at(p) as usize;
        let name = String::from_utf8(b[p + 8..p + 8 + n].to_vec()).unwrap();
        p += 8 + n;
        fields.push((8, p, 4));
        let nd = u32_at(p) as usize;
        p += 4;
        let mut dims = Vec::new();
        for _ in 0..nd {
            fields.push((9, p, 8));
            dims.push(u64_at(p));
            p += 8;
        }
        fields.push((10, p, 4));
        let ty = u32_at(p);
        fields.push((11, p + 4, 8));
        let offset = u64_at(p + 4);
        p += 12;
        tis.push(Ti { name, dims, ty, offset });
    }
    let data_start = p.div_ceil(32) * 32;
    (G { kvs, tis, data_start }, fields)
}

fn gguf_build(g: &G, data: &[u8]) -> Vec<u8> {
    let mut o = Vec::with_capacity(data.len() + (4 << 20));
    o.extend_from_slice(b"GGUF");
    o.extend_from_slice(&3u32.to_le_bytes());
    o.extend_from_slice(&(g.tis.len() as u64).to_le_bytes());
    o.extend_from_slice(&(g.kvs.len() as u64).to_le_bytes());
    for kv in &g.kvs {
        o.extend_from_slice(&(kv.key.len() as u64).to_le_bytes());
        o.extend_from_slice(kv.key.as_bytes());
        o.extend_from_slice(&kv.ty.to_le_bytes());
        o.extend_from_slice(&kv.raw);
    }
    for t in &g.tis {
        o.extend_from_slice(&(t.name.len() as u64).to_le_bytes());
        o.extend_from_slice(t.name.as_bytes());
        o.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
        for d in &t.dims {
            o.extend_from_slice(&d.to_le_bytes());
        }
        o.extend_from_slice(&t.ty.to_le_bytes());
        o.extend_from_slice(&t.offset.to_le_bytes());
    }
    o.resize(o.len().div_ceil(32) * 32, 0);
    o.extend_from_slice(data);
    o
}

fn set_kv(g: &mut G, key: &str, ty: u32, raw: Vec<u8>) {
    match g.kvs.iter_mut().find(|k| k.key == key) {
        Some(k) => {
            k.ty = ty;
            k.raw = raw;
        }
        None => g.kvs.push(Kv { key: key.into(), ty, raw }),
    }
}

fn string_array(items: &[String]) -> Vec<u8> {
    let mut raw = 8u32.to_le_bytes().to_vec();
    raw.extend_from_slice(&(items.len() as u64).to_le_bytes());
    for s in items {
        raw.extend_from_slice(&(s.len() as u64).to_le_bytes());
        raw.extend_from_slice(s.as_bytes());
    }
    raw
}

fn strings_of(raw: &[u8]) -> Vec<String> {
    let n = u64::from_le_bytes(raw[4..12].try_into().unwrap()) as usize;
    let mut p = 12;
    (0..n)
        .map(|_| {
            let l = u64::from_le_bytes(raw[p..p + 8].try_into().unwrap()) as usize;
            let s = String::from_utf8(raw[p + 8..p + 8 + l].to_vec()).unwrap();
            p += 8 + l;
            s
        })
        .collect()
}

fn gguf_case(
    name: &str,
    expect: Expect,
    base: &Arc<Vec<u8>>,
    g: &Arc<G>,
    edit: impl Fn(&mut G, &mut Vec<u8>) + Send + Sync + 'static,
) -> Case {
    let (base, g) = (base.clone(), g.clone());
    file_case(name.into(), expect, GGUF_FILE, move || {
        let mut g = (*g).clone();
        let mut data = base[g.data_start..].to_vec();
        edit(&mut g, &mut data);
        gguf_build(&g, &data)
    })
}

fn raw_case(name: &str, base: &Arc<Vec<u8>>, edit: impl Fn(&mut Vec<u8>) + Send + Sync + 'static) -> Case {
    let base = base.clone();
    file_case(name.into(), Expect::Error, GGUF_FILE, move || {
        let mut b = (*base).clone();
        edit(&mut b);
        b
    })
}

fn gguf_format(models: &Path, random: usize, seed: u64) -> Format {
    let base = Arc::new(
        std::fs::read(models.join("smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")).expect("gguf"),
    );
    let (g, fields) = gguf_parse(&base);
    let g = Arc::new(g);
    let fields = Arc::new(fields);
    let b = base.clone();
    let mut cases = vec![file_case("valid SmolLM2 GGUF".into(), Expect::Ok, GGUF_FILE, move || (*b).clone())];
    use Expect::{Error, Ok as Loads};
    let u32v = |v: u32| v.to_le_bytes().to_vec();
    let f32v = |v: f32| v.to_le_bytes().to_vec();
    let ti = |g: &mut G, name: &str| -> usize { g.tis.iter().position(|t| t.name == name).unwrap() };
    let mut c =
        |name: &str, expect: Expect, edit: GgufEdit| cases.push(gguf_case(name, expect, &base, &g, edit));
    c("rebuilt by the test's writer (unchanged)", Loads, Box::new(|_, _| {}));
    c(
        "llama.block_count = 2^32-1",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.block_count", 4, u32v(u32::MAX))),
    );
    c("llama.block_count = 0", Error, Box::new(move |g, _| set_kv(g, "llama.block_count", 4, u32v(0))));
    c(
        "llama.block_count = 31 (one more than the tensors)",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.block_count", 4, u32v(31))),
    );
    c(
        "llama.block_count a u64 of 2^62",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.block_count", 10, (1u64 << 62).to_le_bytes().to_vec())),
    );
    c("general.alignment = 0", Error, Box::new(move |g, _| set_kv(g, "general.alignment", 4, u32v(0))));
    c("general.alignment = 7", Error, Box::new(move |g, _| set_kv(g, "general.alignment", 4, u32v(7))));
    c(
        "general.alignment = 32 (explicit, valid)",
        Loads,
        Box::new(move |g, _| set_kv(g, "general.alignment", 4, u32v(32))),
    );
    c(
        "tensor dimension 0 (output_norm.weight)",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "output_norm.weight");
            g.tis[i].dims = vec![0];
        }),
    );
    c(
        "tensor dimension 0 (token_embd.weight)",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "token_embd.weight");
            g.tis[i].dims[1] = 0;
        }),
    );
    c(
        "tensor dimension 2^62",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "token_embd.weight");
            g.tis[i].dims[1] = 1 << 62;
        }),
    );
    c(
        "tensor dimensions whose product overflows",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "blk.0.attn_q.weight");
            g.tis[i].dims = vec![1 << 32, 1 << 32, 1 << 32];
        }),
    );
    c(
        "tensor with 5 dimensions",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "blk.0.attn_norm.weight");
            g.tis[i].dims = vec![576, 1, 1, 1, 1];
        }),
    );
    c(
        "tensor offset beyond the file",
        Error,
        Box::new(move |g, _| {
            let i = g.tis.len() - 1;
            g.tis[i].offset = 1 << 40;
        }),
    );
    c(
        "tensor offset u64::MAX",
        Error,
        Box::new(move |g, _| {
            g.tis[3].offset = u64::MAX - 31;
        }),
    );
    c(
        "tensor offset not aligned",
        Error,
        Box::new(move |g, _| {
            g.tis[2].offset += 1;
        }),
    );
    c(
        "tensor type 99",
        Error,
        Box::new(move |g, _| {
            g.tis[1].ty = 99;
        }),
    );
    c(
        "tensor type Q4_1 on 100 columns",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "blk.0.attn_norm.weight");
            g.tis[i].ty = 3;
            g.tis[i].dims = vec![100];
        }),
    );
    c(
        "duplicate tensor name",
        Error,
        Box::new(move |g, _| {
            let n = g.tis[1].name.clone();
            g.tis[2].name = n;
        }),
    );
    c(
        "tensor missing (blk.29.ffn_up.weight)",
        Error,
        Box::new(move |g, _| {
            let i = ti(g, "blk.29.ffn_up.weight");
            g.tis.remove(i);
        }),
    );
    c(
        "tokens array length 2^40 (beyond the file)",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs.iter_mut().find(|k| k.key == "tokenizer.ggml.tokens").unwrap();
            k.raw[4..12].copy_from_slice(&(1u64 << 40).to_le_bytes());
        }),
    );
    c(
        "tokens array of i32 elements",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs.iter_mut().find(|k| k.key == "tokenizer.ggml.tokens").unwrap();
            k.raw[0..4].copy_from_slice(&5u32.to_le_bytes());
        }),
    );
    c(
        "token_type array shorter than the tokens",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs.iter_mut().find(|k| k.key == "tokenizer.ggml.token_type").unwrap();
            let n = u64::from_le_bytes(k.raw[4..12].try_into().unwrap()) - 10;
            k.raw[4..12].copy_from_slice(&n.to_le_bytes());
            k.raw.truncate(12 + 4 * n as usize);
        }),
    );
    c(
        "a merge that is not two tokens",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs.iter_mut().find(|k| k.key == "tokenizer.ggml.merges").unwrap();
            let mut m = strings_of(&k.raw);
            m[7] = "nonsense here too".into();
            k.raw = string_array(&m);
        }),
    );
    c(
        "a merge of tokens not in the vocabulary",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs.iter_mut().find(|k| k.key == "tokenizer.ggml.merges").unwrap();
            let mut m = strings_of(&k.raw);
            m[0] = "qqqqzz xxxwww".into();
            k.raw = string_array(&m);
        }),
    );
    c(
        "duplicate token in the vocabulary",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs.iter_mut().find(|k| k.key == "tokenizer.ggml.tokens").unwrap();
            let mut t = strings_of(&k.raw);
            t[300] = t[301].clone();
            k.raw = string_array(&t);
        }),
    );
    c(
        "empty vocabulary",
        Error,
        Box::new(move |g, _| set_kv(g, "tokenizer.ggml.tokens", 9, string_array(&[]))),
    );
    c(
        "tokenizer.ggml.tokens missing",
        Error,
        Box::new(move |g, _| g.kvs.retain(|k| k.key != "tokenizer.ggml.tokens")),
    );
    c(
        "tokenizer.ggml.model = llama",
        Error,
        Box::new(move |g, _| {
            set_kv(g, "tokenizer.ggml.model", 8, string_array(&["llama".into()])[12..].to_vec())
        }),
    );
    c(
        "tokenizer.ggml.pre unknown",
        Error,
        Box::new(move |g, _| {
            set_kv(g, "tokenizer.ggml.pre", 8, string_array(&["nope".into()])[12..].to_vec())
        }),
    );
    c(
        "general.architecture = gpt2",
        Error,
        Box::new(move |g, _| {
            set_kv(g, "general.architecture", 8, string_array(&["gpt2".into()])[12..].to_vec())
        }),
    );
    c(
        "bos_token_id beyond the vocabulary",
        Error,
        Box::new(move |g, _| set_kv(g, "tokenizer.ggml.bos_token_id", 4, u32v(1_000_000))),
    );
    c(
        "rms epsilon NaN",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.layer_norm_rms_epsilon", 6, f32v(f32::NAN))),
    );
    c(
        "rms epsilon -1",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.layer_norm_rms_epsilon", 6, f32v(-1.0))),
    );
    c(
        "rms epsilon 0",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.layer_norm_rms_epsilon", 6, f32v(0.0))),
    );
    c(
        "rms epsilon a string",
        Error,
        Box::new(move |g, _| {
            set_kv(
                g,
                "llama.attention.layer_norm_rms_epsilon",
                8,
                string_array(&["1e-5".into()])[12..].to_vec(),
            )
        }),
    );
    c(
        "rope freq_base NaN",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.rope.freq_base", 6, f32v(f32::NAN))),
    );
    c(
        "head_count 7 (does not divide 576)",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.head_count", 4, u32v(7))),
    );
    c(
        "head_count 576 (odd head size 1)",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.head_count", 4, u32v(576))),
    );
    c(
        "head_count_kv 2 (does not divide 9)",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.head_count_kv", 4, u32v(2))),
    );
    c("head_count_kv 0", Error, Box::new(move |g, _| set_kv(g, "llama.attention.head_count_kv", 4, u32v(0))));
    c(
        "head_count 3 (divides, but tensors do not match)",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.attention.head_count", 4, u32v(3))),
    );
    c("context_length 0", Error, Box::new(move |g, _| set_kv(g, "llama.context_length", 4, u32v(0))));
    c(
        "embedding_length 512 (tensors are 576)",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.embedding_length", 4, u32v(512))),
    );
    c(
        "embedding_length 2^32-1",
        Error,
        Box::new(move |g, _| set_kv(g, "llama.embedding_length", 4, u32v(u32::MAX))),
    );
    c(
        "unknown value type 99",
        Error,
        Box::new(move |g, _| {
            g.kvs[2].ty = 99;
        }),
    );
    c(
        "duplicate metadata key",
        Error,
        Box::new(move |g, _| {
            let k = g.kvs[1].clone();
            g.kvs.push(k);
        }),
    );
    c(
        "output_norm weights all NaN",
        Error,
        Box::new(move |g, d| {
            let i = ti(g, "output_norm.weight");
            let o = g.tis[i].offset as usize;
            for j in 0..576 {
                d[o + 4 * j..o + 4 * j + 4].copy_from_slice(&f32::NAN.to_le_bytes());
            }
        }),
    );
    c(
        "extra 120 MB u8 metadata array",
        Loads,
        Box::new(move |g, _| {
            let n = 120usize << 20;
            let mut raw = 0u32.to_le_bytes().to_vec();
            raw.extend_from_slice(&(n as u64).to_le_bytes());
            raw.resize(12 + n, 7);
            g.kvs.insert(5, Kv { key: "test.padding".into(), ty: 9, raw });
        }),
    );
    c(
        "extra metadata array of 4M empty strings",
        Loads,
        Box::new(move |g, _| {
            let n = 4usize << 20;
            let mut raw = 8u32.to_le_bytes().to_vec();
            raw.extend_from_slice(&(n as u64).to_le_bytes());
            raw.resize(12 + 8 * n, 0);
            g.kvs.insert(5, Kv { key: "test.strings".into(), ty: 9, raw });
        }),
    );
    c(
        "arrays nested 100 deep",
        Error,
        Box::new(move |g, _| {
            let mut raw = Vec::new();
            for _ in 0..100 {
                raw.extend_from_slice(&9u32.to_le_bytes());
                raw.extend_from_slice(&1u64.to_le_bytes());
            }
            raw.extend_from_slice(&0u32.to_le_bytes());
            raw.extend_from_slice(&0u64.to_le_bytes());
            g.kvs.insert(3, Kv { key: "test.nested".into(), ty: 9, raw });
        }),
    );
    cases.push(raw_case("truncated at 12 bytes", &base, |b| b.truncate(12)));
    cases.push(raw_case("truncated in the metadata", &base, |b| b.truncate(500_000)));
    let ds = g.data_start;
    cases.push(raw_case("truncated just after the header", &base, move |b| b.truncate(ds)));
    cases.push(raw_case("truncated in the tensor data", &base, |b| {
        let n = b.len() * 2 / 3;
        b.truncate(n);
    }));
    cases.push(raw_case("last byte missing", &base, |b| {
        b.pop();
    }));
    cases.push(raw_case("wrong magic", &base, |b| b[..4].copy_from_slice(b"GGML")));
    cases.push(raw_case("version 4", &base, |b| b[4..8].copy_from_slice(&4u32.to_le_bytes())));
    cases.push(raw_case("big-endian version", &base, |b| b[4..8].copy_from_slice(&3u32.to_be_bytes())));
    cases.push(raw_case("tensor_count 2^40", &base, |b| {
        b[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes())
    }));
    cases.push(raw_case("metadata count 2^40", &base, |b| {
        b[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes())
    }));
    cases.push(raw_case("first key length 2^40", &base, |b| {
        b[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes())
    }));
    cases.push(raw_case("key not UTF-8", &base, |b| b[33] = 0xff));
    cases.push(raw_case("an empty file", &base, |b| b.clear()));
    let hdr = g.data_start;
    cases.extend(random_cases(
        "gguf",
        random,
        seed,
        GGUF_FILE,
        base,
        move |rng: &mut Rng, b: &mut Vec<u8>| {
            let r = rng.below(100);
            if r < 60 {
                // one header field set to an interesting value
                let kind = rng.below(KINDS);
                let of_kind: Vec<&(usize, usize, usize)> = fields.iter().filter(|f| f.0 == kind).collect();
                let &&(_, pos, w) = rng.pick(&of_kind);
                let v = if w == 4 && kind == 3 && rng.chance(0.3) {
                    rng.pick(&[f32::NAN, f32::INFINITY, -1.0, 0.0, 1e30]).to_le_bytes().to_vec()
                } else {
                    interesting(rng, w)
                };
                b[pos..pos + w].copy_from_slice(&v);
                format!("field kind {kind} at byte {pos} = {v:?}")
            } else if r < 90 {
                mutate_bytes(rng, b, 0, hdr)
            } else {
                mutate_bytes(rng, b, hdr, b.len())
            }
        },
    ));
    Format { name: "gguf", cases }
}

// ---------------------------------------------------------------------------------------------
// BERT folder: config.json + model.safetensors

fn st_split(b: &[u8]) -> (serde_json::Value, &[u8]) {
    let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
    (serde_json::from_slice(&b[8..8 + n]).unwrap(), &b[8 + n..])
}

fn st_join(h: &serde_json::Value, data: &[u8]) -> Vec<u8> {
    let h = serde_json::to_vec(h).unwrap();
    let mut o = (h.len() as u64).to_le_bytes().to_vec();
    o.extend_from_slice(&h);
    o.extend_from_slice(data);
    o
}

fn folder_case(
    name: String,
    expect: Expect,
    src: Arc<std::path::PathBuf>,
    file: &'static str,
    bytes: impl Fn() -> (Vec<u8>, String) + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        expect,
        make: Box::new(move |dir: &Path| {
            let (b, note) = bytes();
            let size = b.len() as u64;
            let input = linked_folder(&src, dir, "minilm", &[(file, &b)]);
            Made { input, must_name: file.to_string(), size, note }
        }),
    }
}

fn bert_format(models: &Path, random: usize, seed: u64) -> Format {
    let src = Arc::new(models.join("all-minilm-l6-v2"));
    let cfg = Arc::new(std::fs::read(src.join("config.json")).expect("config.json"));
    let st = Arc::new(std::fs::read(src.join("model.safetensors")).expect("model.safetensors"));
    let mut cases = Vec::new();
    use Expect::{Error, Ok as Loads};
    let c = cfg.clone();
    cases.push(folder_case("valid MiniLM folder".into(), Loads, src.clone(), "config.json", move || {
        ((*c).clone(), String::new())
    }));
    let config_cases: Vec<(&str, Expect, serde_json::Value)> = vec![
        ("num_hidden_layers", Error, json!(1_000_000_000_000u64)),
        ("num_hidden_layers", Error, json!(1u64 << 62)),
        ("num_hidden_layers", Error, json!(0)),
        ("num_hidden_layers", Error, json!(7)),
        ("num_hidden_layers", Error, json!(-1)),
        ("num_hidden_layers", Error, json!(6.5)),
        ("num_hidden_layers", Error, json!("6")),
        ("hidden_size", Error, json!(383)),
        ("hidden_size", Error, json!(1u64 << 40)),
        ("num_attention_heads", Error, json!(5)),
        ("num_attention_heads", Error, json!(0)),
        // 6 heads of 64 is another valid model of the same weights: nothing can tell
        ("num_attention_heads", Expect::Any, json!(6)),
        ("vocab_size", Error, json!(1_000_000_000_000u64)),
        ("vocab_size", Error, json!(30521)),
        ("max_position_embeddings", Error, json!(0)),
        ("max_position_embeddings", Error, json!(1u64 << 62)),
        ("intermediate_size", Error, json!(1u64 << 62)),
        ("intermediate_size", Error, json!(1535)),
        ("type_vocab_size", Error, json!(0)),
        ("layer_norm_eps", Error, json!(-1)),
        ("layer_norm_eps", Error, json!(0)),
        ("layer_norm_eps", Error, json!(1e300)),
        ("hidden_act", Error, json!("nope")),
        ("hidden_act", Error, json!(3)),
    ];
    for (k, expect, v) in config_cases {
        let edit = json_edit(&cfg, {
            let v = v.clone();
            move |j: &mut serde_json::Value| j[k] = v.clone()
        });
        cases.push(folder_case(
            format!("config.json {k} = {v}"),
            expect,
            src.clone(),
            "config.json",
            move || (edit(), String::new()),
        ));
    }
    let edit = json_edit(&cfg, |j| {
        j.as_object_mut().unwrap().remove("vocab_size");
    });
    cases.push(folder_case(
        "config.json without vocab_size".into(),
        Error,
        src.clone(),
        "config.json",
        move || (edit(), String::new()),
    ));
    let raw: Vec<(&str, Vec<u8>)> = vec![
        ("config.json truncated", cfg[..cfg.len() / 2].to_vec()),
        ("config.json invalid utf-8", {
            let mut v = (*cfg).clone();
            v[40] = 0xff;
            v
        }),
        ("config.json an array", b"[1,2]".to_vec()),
        ("config.json empty", vec![]),
    ];
    for (name, b) in raw {
        let b = Arc::new(b);
        cases.push(folder_case(name.into(), Error, src.clone(), "config.json", move || {
            ((*b).clone(), String::new())
        }));
    }
    // model.safetensors
    let mut s = |name: &str, expect: Expect, f: BytesEdit| {
        let st = st.clone();
        cases.push(folder_case(name.into(), expect, src.clone(), "model.safetensors", move || {
            (f(&st), String::new())
        }));
    };
    let hedit = |f: fn(&mut serde_json::Value)| -> BytesEdit {
        Box::new(move |b: &[u8]| {
            let (mut h, d) = st_split(b);
            f(&mut h);
            st_join(&h, d)
        })
    };
    s(
        "header length 2^62",
        Error,
        Box::new(|b| {
            let mut v = b.to_vec();
            v[..8].copy_from_slice(&(1u64 << 62).to_le_bytes());
            v
        }),
    );
    s(
        "header length 0",
        Error,
        Box::new(|b| {
            let mut v = b.to_vec();
            v[..8].copy_from_slice(&0u64.to_le_bytes());
            v
        }),
    );
    s(
        "header length = file length",
        Error,
        Box::new(|b| {
            let mut v = b.to_vec();
            let n = v.len() as u64;
            v[..8].copy_from_slice(&n.to_le_bytes());
            v
        }),
    );
    s(
        "header length one byte short",
        Error,
        Box::new(|b| {
            let mut v = b.to_vec();
            let n = u64::from_le_bytes(v[..8].try_into().unwrap()) - 1;
            v[..8].copy_from_slice(&n.to_le_bytes());
            v
        }),
    );
    s(
        "header not JSON",
        Error,
        Box::new(|b| {
            let mut v = b.to_vec();
            v[8..40].fill(0x01);
            v
        }),
    );
    s(
        "header not UTF-8",
        Error,
        Box::new(|b| {
            let mut v = b.to_vec();
            v[30] = 0xff;
            v
        }),
    );
    s("file of 7 bytes", Error, Box::new(|b| b[..7].to_vec()));
    s("empty file", Error, Box::new(|_| vec![]));
    s("truncated in the middle", Error, Box::new(|b| b[..b.len() / 2].to_vec()));
    s("last byte missing", Error, Box::new(|b| b[..b.len() - 1].to_vec()));
    s("extra bytes at the end", Error, Box::new(|b| [b, &[0u8; 100][..]].concat()));
    s(
        "data_offsets beyond the data",
        Error,
        hedit(|h| h["embeddings.LayerNorm.bias"]["data_offsets"] = json!([4096, 1u64 << 40])),
    );
    s(
        "data_offsets reversed",
        Error,
        hedit(|h| h["embeddings.LayerNorm.bias"]["data_offsets"] = json!([5632, 4096])),
    );
    s(
        "shape not matching the offsets",
        Error,
        hedit(|h| h["embeddings.LayerNorm.bias"]["shape"] = json!([383])),
    );
    s(
        "shape whose size overflows",
        Error,
        hedit(|h| h["embeddings.LayerNorm.bias"]["shape"] = json!([1u64 << 62, 1u64 << 62])),
    );
    s(
        "a tensor removed (gap in the data)",
        Error,
        hedit(|h| {
            h.as_object_mut().unwrap().remove("embeddings.LayerNorm.bias");
        }),
    );
    s("dtype F99", Error, hedit(|h| h["embeddings.LayerNorm.bias"]["dtype"] = json!("F99")));
    s("dtype I32 instead of F32", Error, hedit(|h| h["embeddings.LayerNorm.bias"]["dtype"] = json!("I32")));
    s("shape a string", Error, hedit(|h| h["embeddings.LayerNorm.bias"]["shape"] = json!("384")));
    s("header an array", Error, hedit(|h| *h = json!([1, 2])));
    s(
        "word_embeddings renamed",
        Error,
        hedit(|h| {
            let m = h.as_object_mut().unwrap();
            let v = m.remove("embeddings.word_embeddings.weight").unwrap();
            m.insert("embeddings.word_embedding.weight".into(), v);
        }),
    );
    s(
        "LayerNorm weights all NaN",
        Error,
        Box::new(|b| {
            let (h, _) = st_split(b);
            let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
            let o = h["embeddings.LayerNorm.weight"]["data_offsets"][0].as_u64().unwrap() as usize + 8 + n;
            let mut v = b.to_vec();
            for j in 0..384 {
                v[o + 4 * j..o + 4 * j + 4].copy_from_slice(&f32::NAN.to_le_bytes());
            }
            v
        }),
    );
    s(
        "one weight +inf",
        Error,
        Box::new(|b| {
            let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
            let mut v = b.to_vec();
            let o = 8 + n + 10_000_000;
            v[o..o + 4].copy_from_slice(&f32::INFINITY.to_le_bytes());
            v
        }),
    );
    // random: 35 % config.json, 65 % model.safetensors
    let hdr_len = u64::from_le_bytes(st[..8].try_into().unwrap()) as usize + 8;
    for i in 0..random {
        let mut rng = Rng::new(seed, &format!("bert-{i}"));
        if rng.chance(0.35) {
            let cfg = cfg.clone();
            cases.push(folder_case(
                format!("random {i:03}"),
                Expect::Any,
                src.clone(),
                "config.json",
                move || {
                    let mut rng = Rng::new(seed, &format!("bert-{i}-x"));
                    let mut b = (*cfg).clone();
                    let note = if rng.chance(0.6) {
                        let mut v: serde_json::Value = serde_json::from_slice(&b).unwrap();
                        let d = mutate_json(&mut rng, &mut v);
                        b = serde_json::to_vec_pretty(&v).unwrap();
                        format!("config.json {d}")
                    } else {
                        let n = b.len();
                        format!("config.json {}", mutate_bytes(&mut rng, &mut b, 0, n))
                    };
                    (b, note)
                },
            ));
        } else {
            let st = st.clone();
            cases.push(folder_case(
                format!("random {i:03}"),
                Expect::Any,
                src.clone(),
                "model.safetensors",
                move || {
                    let mut rng = Rng::new(seed, &format!("bert-{i}-x"));
                    let r = rng.below(100);
                    if r < 45 {
                        let (mut h, d) = st_split(&st);
                        let desc = mutate_json(&mut rng, &mut h);
                        (st_join(&h, d), format!("safetensors header {desc}"))
                    } else {
                        let mut b = (*st).clone();
                        let hi = if r < 85 { hdr_len } else { b.len() };
                        let d = mutate_bytes(&mut rng, &mut b, 0, hi);
                        (b, format!("safetensors {d}"))
                    }
                },
            ));
        }
    }
    Format { name: "bert", cases }
}
