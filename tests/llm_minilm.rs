//! all-MiniLM-L6-v2 and the SmolLM2 GGUF tokenizer against Hugging Face (golden vectors from
//! tests/python/make_llm_golden.py), and bad input.
#![cfg(feature = "llm")]

use brainml::data::model_dir;
use brainml::llm::{Embedder, Pooling, Tokenizer};

const N170: &str = "The N170 is larger for faces than scrambled faces.";

fn golden() -> serde_json::Value {
    serde_json::from_str(include_str!("golden/llm_minilm.json")).unwrap()
}

#[test]
fn minilm_token_ids() {
    let tok = Tokenizer::from_file(model_dir("all-minilm-l6-v2").unwrap().join("tokenizer.json")).unwrap();
    let t = tok.encode(N170).unwrap();
    assert_eq!(t.ids, [101, 1996, 1050, 16576, 2692, 2003, 3469, 2005, 5344, 2084, 13501, 5344, 1012, 102]);
    assert_eq!(t.attention_mask, vec![1; 14], "padding must be off for one sentence");
    assert_eq!(t.special_tokens_mask.first(), Some(&1));
    // words: "N170" is tokens 2..=4 ("n", "##17", "##0")
    assert_eq!(t.words.len(), 9);
    assert_eq!(t.words[1].text, "N170");
    assert_eq!(t.words[1].tokens, vec![2, 3, 4]);
    assert_eq!(t.words[8].tokens, vec![11, 12], "\"faces.\" = faces + .");
}

#[test]
fn smollm2_gguf_tokenizer_ids() {
    let path = model_dir("smollm2-135m-instruct").unwrap().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    let tok = Tokenizer::from_gguf(&path).unwrap();
    let t = tok.encode(N170).unwrap();
    assert_eq!(t.ids, [504, 442, 33, 39, 32, 314, 3227, 327, 7975, 670, 47343, 7975, 30]);
    assert_eq!(tok.decode(&t.ids, false).unwrap(), N170);
    assert_eq!(t.words[1].tokens, vec![1, 2, 3, 4]);
}

#[test]
fn minilm_hidden_states_and_embeddings_match_transformers() {
    let g = golden();
    let emb = Embedder::load(model_dir("all-minilm-l6-v2").unwrap()).unwrap();
    let dims = g["dims"].as_u64().unwrap() as usize;
    let texts: Vec<String> =
        g["sentences"].as_array().unwrap().iter().map(|s| s["text"].as_str().unwrap().to_string()).collect();
    let mut worst = vec![0f32; 7];
    for s in g["sentences"].as_array().unwrap() {
        let hs = emb.hidden_states(s["text"].as_str().unwrap()).unwrap();
        let ids: Vec<u32> = s["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
        assert_eq!(hs.tokenized.ids, ids);
        assert_eq!(hs.num_layers(), 7);
        for (l, layer) in s["hidden_head"].as_array().unwrap().iter().enumerate() {
            for (t, row) in layer.as_array().unwrap().iter().enumerate() {
                for (d, v) in row.as_array().unwrap().iter().enumerate().take(dims) {
                    let diff = (hs.data[(l, t, d)] - v.as_f64().unwrap() as f32).abs();
                    worst[l] = worst[l].max(diff);
                }
                let norm = hs.data.slice(ndarray::s![l, t, ..]).iter().map(|x| x * x).sum::<f32>().sqrt();
                let gn = s["hidden_norm"][l][t].as_f64().unwrap() as f32;
                assert!((norm - gn).abs() < 1e-3 * gn.max(1.0), "layer {l} token {t}: norm {norm} vs {gn}");
            }
        }
    }
    eprintln!("max |brainml - transformers| per hidden state (first {dims} dims of every token): {worst:?}");
    assert!(worst.iter().all(|&w| w < 1e-4), "{worst:?}");
    // batched (padded) sentence embeddings = transformers' padded batch, mean-pooled, normalised
    for batch_size in [1, 3] {
        let mut e = Embedder::load(model_dir("all-minilm-l6-v2").unwrap()).unwrap();
        e.batch_size = batch_size;
        let out = e.encode(&texts).unwrap();
        let mut w = 0f32;
        for (i, s) in g["sentences"].as_array().unwrap().iter().enumerate() {
            for (d, v) in s["embedding"].as_array().unwrap().iter().enumerate() {
                w = w.max((out.data[(i, d)] - v.as_f64().unwrap() as f32).abs());
            }
            let n = out.data.row(i).iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-5);
        }
        eprintln!("batch_size {batch_size}: max |embedding diff| {w}");
        assert!(w < 1e-4, "batch_size {batch_size}: {w}");
    }
    let cls = emb.embed(&texts, Pooling::Cls, false).unwrap();
    assert_eq!(cls.data.dim(), (4, 384));
    let sim = emb.encode(&texts).unwrap().cosine_similarity();
    assert!((sim[(0, 0)] - 1.0).abs() < 1e-5 && sim[(0, 1)] < 0.99);
}

#[test]
fn empty_text_is_an_error() {
    let tok = Tokenizer::from_file(model_dir("all-minilm-l6-v2").unwrap().join("tokenizer.json")).unwrap();
    let e = tok.encode("   ").unwrap_err().to_string();
    assert!(e.contains("empty text"), "{e}");
}

#[test]
fn missing_folder_is_an_error() {
    let e = Embedder::load("/nonexistent/minilm").unwrap_err().to_string();
    assert!(e.contains("/nonexistent/minilm") && e.contains("not found"), "{e}");
}

fn copy_model(dir: &std::path::Path) {
    let src = model_dir("all-minilm-l6-v2").unwrap();
    for f in
        ["config.json", "tokenizer.json", "model.safetensors", "modules.json", "sentence_bert_config.json"]
    {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
}

#[test]
fn truncated_safetensors_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    let w = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&w).unwrap();
    std::fs::write(&w, &bytes[..bytes.len() / 2]).unwrap();
    let e = Embedder::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("model.safetensors"), "{e}");
    // corrupt header
    let mut bad = bytes.clone();
    bad[8..40].copy_from_slice(&[b'#'; 32]);
    std::fs::write(&w, &bad).unwrap();
    let e = Embedder::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("model.safetensors"), "{e}");
}

#[test]
fn config_not_matching_weights_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_model(dir.path());
    let c = dir.path().join("config.json");
    let text = std::fs::read_to_string(&c).unwrap().replace("\"hidden_size\": 384", "\"hidden_size\": 768");
    std::fs::write(&c, text).unwrap();
    let e = Embedder::load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("model.safetensors") && e.contains("config.json"), "{e}");
}

#[test]
fn truncated_gguf_is_an_error() {
    let path = model_dir("smollm2-135m-instruct").unwrap().join("SmolLM2-135M-Instruct.Q4_1.gguf");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("cut.gguf");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&bad, &bytes[..4096]).unwrap();
    let e = Tokenizer::from_gguf(&bad).unwrap_err().to_string();
    assert!(e.contains("cut.gguf"), "{e}");
}
