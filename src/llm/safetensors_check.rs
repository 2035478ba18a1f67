//! A `model.safetensors` checked before candle reads it, so that every problem is said with
//! what was expected and what was found (the safetensors crate says `invalid header length` or
//! `incomplete metadata, file not fully covered`), and weights that are not finite are refused.
//!
//! Layout (<https://github.com/huggingface/safetensors#format>): an 8-byte little-endian header
//! length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
//! then the data; offsets are relative to the data, and the tensors must cover it exactly.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{json_error, utf8, Error, Result};

/// One tensor's entry in the header.
pub(crate) struct Entry {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub start: usize,
    pub end: usize,
}

const RETRY: &str = "the file is shorter than its header says (truncated download?) — re-download it";
/// The safetensors crate's own limit on the header (100 MB).
const MAX_HEADER: u64 = 100_000_000;

fn dtype_size(d: &str) -> Option<usize> {
    Some(match d {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" => 1,
        "U16" | "I16" | "F16" | "BF16" => 2,
        "U32" | "I32" | "F32" => 4,
        "U64" | "I64" | "F64" => 8,
        _ => return None,
    })
}

/// Check the header and the weights of a safetensors file held in `bytes`; returns the tensors.
pub(crate) fn check(path: &Path, bytes: &[u8]) -> Result<HashMap<String, Entry>> {
    let (n, obj) = read_header(path, bytes)?;
    let data_len = bytes.len() - 8 - n;
    let mut out = HashMap::new();
    for (name, v) in &obj {
        if name == "__metadata__" {
            continue;
        }
        out.insert(name.clone(), read_entry(path, name, v, data_len)?);
    }
    check_coverage(path, &out, data_len)?;
    check_finite(path, &out, &bytes[8 + n..])?;
    Ok(out)
}

fn err(path: &Path, field: &str, why: String) -> Error {
    Error::format(path, field, why)
}

/// The 8-byte header length (within the file, 2 to 100 MB) and the JSON object after it.
fn read_header(path: &Path, bytes: &[u8]) -> Result<(usize, serde_json::Map<String, serde_json::Value>)> {
    let f = |field: &str, why: String| err(path, field, why);
    if bytes.len() < 8 {
        return Err(f(
            "header length",
            format!(
                "expected at least 8 bytes (the header length), found a file of {} bytes: {RETRY}",
                bytes.len()
            ),
        ));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap_or([0; 8]));
    let rest = bytes.len() as u64 - 8;
    if n > rest {
        return Err(f("header length", format!("expected a header of at most the {rest} bytes that follow, found a header length of {n}: {RETRY}")));
    }
    if !(2..=MAX_HEADER).contains(&n) {
        return Err(f(
            "header length",
            format!("expected a header of 2 to {MAX_HEADER} bytes, found {n}: is this a safetensors file?"),
        ));
    }
    let header = &bytes[8..8 + n as usize];
    let text = utf8(path, "header", header)?;
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| json_error(path, "header (the JSON after the first 8 bytes)", &e))?;
    match json {
        serde_json::Value::Object(obj) => Ok((n as usize, obj)),
        _ => Err(f("header", "expected a JSON object of tensors, found another JSON value".into())),
    }
}

/// One tensor of the header: a known dtype, a shape, data offsets inside the data whose
/// length matches the shape.
fn read_entry(path: &Path, name: &str, v: &serde_json::Value, data_len: usize) -> Result<Entry> {
    let field = format!("tensor {name}");
    let f = |why: String| err(path, &field, why);
    let dtype = v
        .get("dtype")
        .and_then(|d| d.as_str())
        .ok_or_else(|| f("expected a \"dtype\" string, found none".into()))?;
    let size = dtype_size(dtype).ok_or_else(|| {
        f(format!(
            "expected a dtype such as F32, F16 or BF16, found {}",
            crate::error::excerpt(dtype.as_bytes(), 40)
        ))
    })?;
    let shape: Vec<usize> = v
        .get("shape")
        .and_then(|s| s.as_array())
        .and_then(|a| {
            a.iter().map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok())).collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| f("expected a \"shape\" array of non-negative integers".into()))?;
    let offs: Vec<usize> = v
        .get("data_offsets")
        .and_then(|s| s.as_array())
        .filter(|a| a.len() == 2)
        .and_then(|a| {
            a.iter().map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok())).collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| f("expected \"data_offsets\": [begin, end] (two non-negative integers)".into()))?;
    let (start, end) = (offs[0], offs[1]);
    let need = shape.iter().try_fold(size, |a, &d| a.checked_mul(d));
    if start > end || end > data_len {
        return Err(f(format!(
            "expected data_offsets within the {data_len} bytes of data, found [{start}, {end}]: {RETRY}"
        )));
    }
    if need != Some(end - start) {
        let need = need.map_or("more than 2^64".into(), |n| n.to_string());
        return Err(f(format!(
            "shape {shape:?} of {dtype} needs {need} bytes, but data_offsets [{start}, {end}] hold {}",
            end - start
        )));
    }
    Ok(Entry { dtype: dtype.to_string(), shape, start, end })
}

/// The tensors cover the data exactly, without gaps or overlaps.
fn check_coverage(path: &Path, out: &HashMap<String, Entry>, data_len: usize) -> Result<()> {
    let mut spans: Vec<(usize, usize, &str)> =
        out.iter().map(|(k, e)| (e.start, e.end, k.as_str())).collect();
    spans.sort();
    let mut at = 0;
    let mut prev = "the start of the data";
    for (s, e, k) in &spans {
        if *s != at {
            let what = if *s > at {
                format!("bytes {at}..{s} between {prev} and tensor {k} belong to no tensor")
            } else {
                format!("tensor {k} overlaps {prev}")
            };
            return Err(err(
                path,
                "data_offsets",
                format!("expected tensors that cover the data one after the other, found that {what}"),
            ));
        }
        at = *e;
        prev = k;
    }
    if at != data_len {
        return Err(err(path, "data_offsets", format!("expected the tensors to cover all {data_len} bytes of data, found that they end at byte {at}: the file has extra bytes or a damaged header")));
    }
    Ok(())
}

/// Weights that are not finite (NaN, ±inf) are refused.
fn check_finite(path: &Path, out: &HashMap<String, Entry>, data: &[u8]) -> Result<()> {
    for (name, e) in out {
        let d = &data[e.start..e.end];
        let bad = match e.dtype.as_str() {
            "F32" => d
                .chunks_exact(4)
                .filter(|c| !f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite())
                .count(),
            "F16" => {
                d.chunks_exact(2).filter(|c| u16::from_le_bytes([c[0], c[1]]) & 0x7c00 == 0x7c00).count()
            }
            "BF16" => {
                d.chunks_exact(2).filter(|c| u16::from_le_bytes([c[0], c[1]]) & 0x7f80 == 0x7f80).count()
            }
            "F64" => d
                .chunks_exact(8)
                .filter(|c| !f64::from_le_bytes((*c).try_into().unwrap_or([0; 8])).is_finite())
                .count(),
            _ => 0,
        };
        if bad > 0 {
            let total = (e.end - e.start) / dtype_size(&e.dtype).unwrap_or(1);
            return Err(err(path, &format!("tensor {name}"), format!(
                "expected finite weights, found {bad} of {total} values NaN or infinite: the file is damaged — re-download it")));
        }
    }
    Ok(())
}
