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
    eprintln!("grammatical {:.1} bits ({:.2}/token), scrambled {:.1} bits ({:.2}/token)", good.total(), good.mean(), bad.total(), bad.mean());
    eprintln!("per word: {:?}", good.tokenized.words.iter().zip(good.word_bits.iter()).map(|(w, b)| format!("{} {b:.1}", w.text)).collect::<Vec<_>>());
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
