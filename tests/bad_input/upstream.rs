//! Minimal reproducers of the panics and aborts inside the dependencies (tokenizers 0.23.2,
//! candle-core 0.11.1) that brainml now guards against, calling the dependency directly.
//! `BRAINML_BAD_INPUT_UPSTREAM=1 cargo test --all-features --test bad_input` runs each in a
//! child process and prints what happened (they are expected to crash; not part of the test).

use std::io::Cursor;

/// A tokenizer.json as small as tokenizers accepts, with `decoder` and `post_processor` given.
fn tokenizer_json(decoder: &str, post: &str) -> String {
    format!(
        r#"{{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":{post},"decoder":{decoder},"model":{{"type":"WordLevel","vocab":{{"a":0}},"unk_token":"a"}}}}"#
    )
}

/// A GGUF v3 file: metadata `(key, u32 value)` pairs and tensors `(name, dims, ggml type)`,
/// tensor data (zeros) at offset 0.
fn gguf(kvs: &[(&str, u32)], tensors: &[(&str, &[u64], u32)], data: usize) -> Vec<u8> {
    let mut o = b"GGUF".to_vec();
    o.extend_from_slice(&3u32.to_le_bytes());
    o.extend_from_slice(&(tensors.len() as u64).to_le_bytes());
    o.extend_from_slice(&(kvs.len() as u64).to_le_bytes());
    for (k, v) in kvs {
        o.extend_from_slice(&(k.len() as u64).to_le_bytes());
        o.extend_from_slice(k.as_bytes());
        o.extend_from_slice(&4u32.to_le_bytes());
        o.extend_from_slice(&v.to_le_bytes());
    }
    for (n, dims, ty) in tensors {
        o.extend_from_slice(&(n.len() as u64).to_le_bytes());
        o.extend_from_slice(n.as_bytes());
        o.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in *dims {
            o.extend_from_slice(&d.to_le_bytes());
        }
        o.extend_from_slice(&ty.to_le_bytes());
        o.extend_from_slice(&0u64.to_le_bytes());
    }
    o.resize(o.len().div_ceil(32) * 32 + data, 0);
    o
}

pub fn cases() -> Vec<(&'static str, fn())> {
    vec![
        ("tokenizers: decoder section with a syntax error (from_bytes)", || {
            let j = tokenizer_json(r###"{"type":"WordPiece",,"prefix":"##","cleanup":true}"###, "null");
            let r = tokenizers::Tokenizer::from_bytes(j.as_bytes());
            println!("returned {:?}", r.map(|_| ()).map_err(|e| e.to_string()));
        }),
        ("tokenizers: template naming an undefined special token (encode)", || {
            let post = r#"{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[X]","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"pair":[{"Sequence":{"id":"A","type_id":0}},{"Sequence":{"id":"B","type_id":1}}],"special_tokens":{}}"#;
            let t =
                tokenizers::Tokenizer::from_bytes(tokenizer_json("null", post).as_bytes()).expect("loads");
            println!("loaded; encoding");
            let r = t.encode("a", true);
            println!("returned {:?}", r.map(|e| e.get_ids().to_vec()).map_err(|e| e.to_string()));
        }),
        ("candle: general.alignment = 0 (gguf_file::Content::read)", || {
            let b = gguf(&[("general.alignment", 0)], &[], 0);
            let r = candle_core::quantized::gguf_file::Content::read(&mut Cursor::new(b));
            println!("returned {:?}", r.map(|_| ()).map_err(|e| e.to_string()));
        }),
        ("candle: a tensor dimension of 0 (Content::tensor)", || {
            let b = gguf(&[], &[("t", &[0], 0)], 0);
            let ct = candle_core::quantized::gguf_file::Content::read(&mut Cursor::new(b.clone()))
                .expect("header reads");
            println!("header read; reading the tensor");
            let r = ct.tensor(&mut Cursor::new(b), "t", &candle_core::Device::Cpu);
            println!("returned {:?}", r.map(|_| ()).map_err(|e| e.to_string()));
        }),
        ("candle: a tensor dimension of 2^62 (Content::tensor)", || {
            let b = gguf(&[], &[("t", &[1 << 62, 4], 0)], 64);
            let ct = candle_core::quantized::gguf_file::Content::read(&mut Cursor::new(b.clone()))
                .expect("header reads");
            println!("header read; reading the tensor");
            let r = ct.tensor(&mut Cursor::new(b), "t", &candle_core::Device::Cpu);
            println!("returned {:?}", r.map(|_| ()).map_err(|e| e.to_string()));
        }),
    ]
}
