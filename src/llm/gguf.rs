//! brainml's own reader of a GGUF file's header (metadata and tensor infos), in front of candle.
//!
//! Why not `candle_core::quantized::gguf_file::Content::read` directly: on a malformed file
//! candle 0.11.1 divides by zero (`general.alignment` = 0, gguf_file.rs:560), overflows
//! (a dimension of 2⁶² in `Shape::elem_count`), aborts without unwinding (a dimension of 0 reaches
//! `slice::from_raw_parts` with a dangling pointer in ggml_file.rs:128 — undefined behaviour that
//! `catch_unwind` cannot catch), and keeps every metadata array element as a 32-byte `Value`
//! read one `read` call at a time from an unbuffered file (an extra 100 MB `u8` array costs
//! seconds and gigabytes). This reader walks the header as the GGUF specification lays it out
//! (<https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>: magic `GGUF`, version,
//! tensor count, metadata count, key/value pairs, tensor infos, padding to `general.alignment`,
//! tensor data) through a `BufReader`, checks every length, count, dimension and offset against
//! the file's size with checked arithmetic before allocating, keeps only the metadata arrays
//! brainml reads (the tokenizer's), and builds candle's `Content` itself. candle then only reads
//! tensors whose size and position have been checked.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use candle_core::quantized::gguf_file::{Content, TensorInfo, Value, VersionedMagic};
use candle_core::quantized::GgmlDType;

use crate::error::{escaped, excerpt, Error, IoContext, Result};

/// Metadata arrays that are kept (all others are checked and skipped).
const KEPT_ARRAYS: &[&str] = &["tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type"];
/// Most elements a kept array may have (vocabularies of today's models are ≤ 262 144).
pub(crate) const MAX_VOCAB: u64 = 1 << 22;
const MAX_KEY_LEN: u64 = 65_535;
/// ggml's GGML_MAX_NAME is 64; a little room for other writers
const MAX_NAME_LEN: u64 = 1024;
const MAX_KEPT_STRING: u64 = 1 << 20;
const MAX_TENSORS: u64 = 1 << 16;
const MAX_KVS: u64 = 1 << 16;
const MAX_DIMS: u32 = 4;
/// Most elements one tensor may have (2⁴⁰: a terabyte-sized tensor is not a workshop model).
const MAX_ELEMS: u64 = 1 << 40;
const MAX_DEPTH: u32 = 4;

const RETRY: &str = "the file is shorter than its header says (truncated download?) — re-download it";

/// A checked GGUF header and the buffered file to read tensors from.
pub(crate) struct Gguf {
    pub content: Content,
    pub reader: BufReader<File>,
}

struct Cursor<'a> {
    r: BufReader<File>,
    pos: u64,
    len: u64,
    path: &'a Path,
    v1: bool,
}

impl Cursor<'_> {
    fn err(&self, field: &str, why: impl std::fmt::Display) -> Error {
        Error::format(self.path, field, why)
    }
    fn need(&self, n: u64, field: &str, what: &str) -> Result<()> {
        if n > self.len - self.pos {
            return Err(self.err(field, format!(
                "expected {n} more bytes for {what} at byte {}, found the end of the file at byte {}: {RETRY}", self.pos, self.len)));
        }
        Ok(())
    }
    fn take<const N: usize>(&mut self, field: &str, what: &str) -> Result<[u8; N]> {
        self.need(N as u64, field, what)?;
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).at(self.path)?;
        self.pos += N as u64;
        Ok(b)
    }
    fn u32(&mut self, field: &str, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(field, what)?))
    }
    fn u64(&mut self, field: &str, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(field, what)?))
    }
    /// A length or count (u32 in GGUF v1, u64 since v2).
    fn count(&mut self, field: &str, what: &str) -> Result<u64> {
        if self.v1 {
            self.u32(field, what).map(u64::from)
        } else {
            self.u64(field, what)
        }
    }
    fn skip(&mut self, n: u64, field: &str, what: &str) -> Result<()> {
        self.need(n, field, what)?;
        let n = i64::try_from(n).map_err(|_| self.err(field, "offset out of range"))?;
        self.r.seek_relative(n).at(self.path)?;
        self.pos += n as u64;
        Ok(())
    }
    /// A length-prefixed string of at most `max` bytes; `None` (skipped) when `keep` is false.
    fn string(&mut self, field: &str, what: &str, max: u64, keep: bool) -> Result<Option<String>> {
        let at = self.pos;
        let n = self.count(field, what)?;
        if n > max {
            return Err(self.err(field, format!("{what} at byte {at}: expected at most {max} bytes, found a length of {n}: the file is damaged — re-download it")));
        }
        if !keep {
            self.skip(n, field, what)?;
            return Ok(None);
        }
        self.need(n, field, what)?;
        let mut b = vec![0u8; n as usize];
        self.r.read_exact(&mut b).at(self.path)?;
        self.pos += n;
        String::from_utf8(b).map(Some).map_err(|e| {
            let bad = e.utf8_error().valid_up_to();
            self.err(
                field,
                format!(
                    "{what} at byte {at}: expected UTF-8 text, found {} (invalid byte at byte {})",
                    excerpt(e.as_bytes(), 40),
                    at + 8 + bad as u64
                ),
            )
        })
    }

    /// One metadata value of GGUF type `ty`; `None` when it was checked and skipped.
    fn value(&mut self, ty: u32, key: &str, keep_array: bool, depth: u32) -> Result<Option<Value>> {
        let f = format!("metadata {}", escaped(key.as_bytes(), 80));
        let v = match ty {
            0 => Value::U8(self.take::<1>(&f, "a u8")?[0]),
            1 => Value::I8(self.take::<1>(&f, "an i8")?[0] as i8),
            2 => Value::U16(u16::from_le_bytes(self.take(&f, "a u16")?)),
            3 => Value::I16(i16::from_le_bytes(self.take(&f, "an i16")?)),
            4 => Value::U32(u32::from_le_bytes(self.take(&f, "a u32")?)),
            5 => Value::I32(i32::from_le_bytes(self.take(&f, "an i32")?)),
            6 => Value::F32(f32::from_le_bytes(self.take(&f, "an f32")?)),
            7 => Value::Bool(self.take::<1>(&f, "a bool")?[0] != 0),
            8 if keep_array && depth > 0 => match self.string(&f, "a string", MAX_KEPT_STRING, true)? {
                Some(s) => Value::String(s),
                None => return Ok(None),
            },
            8 => {
                // a single string: kept unless it is long (brainml reads only short ones)
                let at = self.pos;
                let n = self.count(&f, "a string's length")?;
                if depth > 0 || n > MAX_KEPT_STRING {
                    self.skip(n, &f, "a string")?;
                    return Ok(None);
                }
                self.pos = at;
                self.r.seek_relative(-(if self.v1 { 4 } else { 8 })).at(self.path)?;
                match self.string(&f, "a string", MAX_KEPT_STRING, true)? {
                    Some(s) => Value::String(s),
                    None => return Ok(None),
                }
            }
            9 => {
                if depth >= MAX_DEPTH {
                    return Err(self.err(
                        &f,
                        format!("expected arrays nested at most {MAX_DEPTH} deep, found deeper nesting"),
                    ));
                }
                let at = self.pos;
                let ety = self.u32(&f, "an array's element type")?;
                let n = self.count(&f, "an array's length")?;
                let min = match ety {
                    0 | 1 | 7 => 1,
                    2 | 3 => 2,
                    4..=6 => 4,
                    10..=12 => 8,
                    8 => {
                        if self.v1 {
                            4
                        } else {
                            8
                        }
                    }
                    9 => {
                        if self.v1 {
                            8
                        } else {
                            12
                        }
                    }
                    t => {
                        return Err(self.err(
                            &f,
                            format!("array at byte {at}: expected an element type 0–12, found {t}"),
                        ))
                    }
                };
                let bytes = n.checked_mul(min).filter(|&b| b <= self.len - self.pos).ok_or_else(|| self.err(&f, format!(
                    "array at byte {at}: {n} elements need at least {} bytes, but the file has {} bytes left: {RETRY}",
                    n.saturating_mul(min), self.len - self.pos)))?;
                let keep = keep_array && depth == 0 && KEPT_ARRAYS.contains(&key);
                if keep && n > MAX_VOCAB {
                    return Err(self.err(&f, format!("expected at most {MAX_VOCAB} entries, found {n}")));
                }
                let want = if key == "tokenizer.ggml.token_type" { 5 } else { 8 };
                if keep && ety != want {
                    let name = |t| if t == 5 { "i32 (type 5)" } else { "string (type 8)" };
                    return Err(self.err(
                        &f,
                        format!("expected an array of {}, found an array of element type {ety}", name(want)),
                    ));
                }
                if !keep && ety != 8 && ety != 9 {
                    self.skip(bytes, &f, "an array")?; // fixed-size elements: nothing to check
                    return Ok(None);
                }
                let mut out = Vec::with_capacity(if keep { n as usize } else { 0 });
                for _ in 0..n {
                    if let Some(v) = self.value(ety, key, keep, depth + 1)? {
                        if keep {
                            out.push(v);
                        }
                    }
                }
                if !keep {
                    return Ok(None);
                }
                Value::Array(out)
            }
            10 => Value::U64(u64::from_le_bytes(self.take(&f, "a u64")?)),
            11 => Value::I64(i64::from_le_bytes(self.take(&f, "an i64")?)),
            12 => Value::F64(f64::from_le_bytes(self.take(&f, "an f64")?)),
            t => return Err(self.err(&f, format!("expected a value type 0–12 (GGUF spec), found {t}"))),
        };
        Ok(Some(v))
    }
}

/// candle's `GgmlDType` for a GGUF `ggml_type` number (the ones candle 0.11.1 reads).
fn dtype(t: u32) -> Option<GgmlDType> {
    Some(match t {
        0 => GgmlDType::F32,
        1 => GgmlDType::F16,
        2 => GgmlDType::Q4_0,
        3 => GgmlDType::Q4_1,
        6 => GgmlDType::Q5_0,
        7 => GgmlDType::Q5_1,
        8 => GgmlDType::Q8_0,
        9 => GgmlDType::Q8_1,
        10 => GgmlDType::Q2K,
        11 => GgmlDType::Q3K,
        12 => GgmlDType::Q4K,
        13 => GgmlDType::Q5K,
        14 => GgmlDType::Q6K,
        15 => GgmlDType::Q8K,
        30 => GgmlDType::BF16,
        _ => return None,
    })
}

/// Read and check the header of the GGUF file at `path`; tensors are then read with
/// `content.tensor(&mut reader, name, device)`, each one known to lie inside the file.
pub(crate) fn open(path: &Path) -> Result<Gguf> {
    let file = File::open(path).at(path)?;
    let len = file.metadata().at(path)?.len();
    let mut c = Cursor { r: BufReader::with_capacity(1 << 20, file), pos: 0, len, path, v1: false };
    let magic = read_magic(&mut c)?;
    let n_tensors = c.count("tensor_count", "the tensor count")?;
    let n_kv = c.count("metadata_kv_count", "the metadata count")?;
    if n_tensors > MAX_TENSORS {
        return Err(
            c.err("tensor_count", format!("expected at most {MAX_TENSORS} tensors, found {n_tensors}"))
        );
    }
    if n_kv > MAX_KVS {
        return Err(
            c.err("metadata_kv_count", format!("expected at most {MAX_KVS} metadata entries, found {n_kv}"))
        );
    }
    let metadata = read_metadata(&mut c, n_kv)?;
    let alignment = match metadata.get("general.alignment") {
        None => 32,
        Some(Value::U32(a)) if *a > 0 && a.is_power_of_two() && *a <= 1 << 20 => *a as u64,
        Some(v) => {
            return Err(c.err(
                "metadata general.alignment",
                format!("expected a power of two (u32) such as 32, found {}", describe(v)),
            ))
        }
    };
    let mut infos: Vec<TensorEntry> = Vec::with_capacity(n_tensors as usize);
    for i in 0..n_tensors {
        let e = read_tensor_info(&mut c, i, alignment)?;
        if infos.iter().any(|x| x.name == e.name) {
            return Err(c.err(&format!("tensor {}", escaped(e.name.as_bytes(), 80)), "appears twice"));
        }
        infos.push(e);
    }
    let data = c.pos.div_ceil(alignment) * alignment;
    for e in &infos {
        let end = data.checked_add(e.info.offset).and_then(|s| s.checked_add(e.bytes));
        if end.is_none_or(|end| end > len) {
            return Err(c.err(
                &format!("tensor {}", escaped(e.name.as_bytes(), 80)),
                format!(
                    "expected {} bytes of data at byte {}, found the end of the file at byte {len}: {RETRY}",
                    e.bytes,
                    data.saturating_add(e.info.offset)
                ),
            ));
        }
    }
    let tensor_infos = infos.into_iter().map(|e| (e.name, e.info)).collect();
    let content = Content { magic, metadata, tensor_infos, tensor_data_offset: data };
    let mut reader = c.r;
    reader.seek(SeekFrom::Start(0)).at(path)?;
    Ok(Gguf { content, reader })
}

/// The magic number and version (little-endian GGUF 1, 2 or 3).
fn read_magic(c: &mut Cursor) -> Result<VersionedMagic> {
    let magic = c.take::<4>("magic", "the magic number")?;
    if &magic != b"GGUF" {
        return Err(c.err(
            "magic",
            format!(
                "expected a GGUF file (starting with \"GGUF\"), found {}: is this the right file?",
                excerpt(&magic, 4)
            ),
        ));
    }
    let version = c.u32("version", "the version")?;
    let magic = match version {
        1 => VersionedMagic::GgufV1,
        2 => VersionedMagic::GgufV2,
        3 => VersionedMagic::GgufV3,
        v if v.swap_bytes() <= 3 => {
            return Err(c.err("version", "a big-endian GGUF file: only little-endian files are supported"))
        }
        v => return Err(c.err("version", format!("expected version 1, 2 or 3, found {v}"))),
    };
    c.v1 = version == 1;
    Ok(magic)
}

/// The `n_kv` key/value pairs (arrays not in [`KEPT_ARRAYS`] checked and skipped).
fn read_metadata(c: &mut Cursor, n_kv: u64) -> Result<HashMap<String, Value>> {
    let mut metadata = HashMap::new();
    for i in 0..n_kv {
        let key = c
            .string("metadata", &format!("the key of metadata entry {i}"), MAX_KEY_LEN, true)?
            .unwrap_or_default();
        let field = format!("metadata {}", escaped(key.as_bytes(), 80));
        let ty = c.u32(&field, "a value type")?;
        if let Some(v) = c.value(ty, &key, true, 0)? {
            if metadata.insert(key.clone(), v).is_some() {
                return Err(c.err(&field, "appears twice"));
            }
        }
    }
    Ok(metadata)
}

/// One tensor info of the header, with its data size in bytes.
struct TensorEntry {
    name: String,
    info: TensorInfo,
    bytes: u64,
}

/// Tensor info `i`: name, dimensions (1 to 4, none 0, product ≤ 2⁴⁰), a type brainml reads
/// whose block size divides the first dimension, an aligned offset.
fn read_tensor_info(c: &mut Cursor, i: u64, alignment: u64) -> Result<TensorEntry> {
    let name =
        c.string("tensor infos", &format!("the name of tensor {i}"), MAX_NAME_LEN, true)?.unwrap_or_default();
    let f = format!("tensor {}", escaped(name.as_bytes(), 80));
    let nd = c.u32(&f, "the number of dimensions")?;
    if nd == 0 || nd > MAX_DIMS {
        return Err(c.err(&f, format!("expected 1 to {MAX_DIMS} dimensions, found {nd}")));
    }
    let mut dims = Vec::with_capacity(nd as usize);
    let mut elems: u64 = 1;
    for _ in 0..nd {
        let d = c.count(&f, "a dimension")?;
        elems = elems.checked_mul(d).filter(|&e| e <= MAX_ELEMS).ok_or_else(|| c.err(&f, format!(
            "expected at most {MAX_ELEMS} elements, found dimensions whose product is larger (dimension {d})")))?;
        dims.push(d);
    }
    if elems == 0 {
        return Err(c.err(&f, format!("expected dimensions of at least 1, found {dims:?}")));
    }
    let t = c.u32(&f, "the tensor type")?;
    let dt = dtype(t).ok_or_else(|| {
        c.err(&f, format!("expected a tensor type brainml can read (0–3, 6–15, 30), found {t}"))
    })?;
    let (bs, ts) = (dt.block_size() as u64, dt.type_size() as u64);
    if elems % bs != 0 || dims[0] % bs != 0 {
        return Err(c.err(&f, format!("{dt:?} stores blocks of {bs} values: expected a first dimension divisible by {bs}, found {dims:?}")));
    }
    let bytes = elems / bs * ts;
    let offset = c.u64(&f, "the tensor's offset")?;
    if offset % alignment != 0 {
        return Err(c.err(
            &f,
            format!("expected an offset that is a multiple of the alignment {alignment}, found {offset}"),
        ));
    }
    dims.reverse(); // GGUF lists the fastest-varying dimension first; candle the slowest
    let dims: Vec<usize> = dims.into_iter().map(|d| d as usize).collect();
    Ok(TensorEntry { name, info: TensorInfo { ggml_dtype: dt, shape: dims.into(), offset }, bytes })
}

/// A metadata value in words, for error messages (`the u32 0`, `the string "abc"`).
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::U8(x) => format!("the u8 {x}"),
        Value::I8(x) => format!("the i8 {x}"),
        Value::U16(x) => format!("the u16 {x}"),
        Value::I16(x) => format!("the i16 {x}"),
        Value::U32(x) => format!("the u32 {x}"),
        Value::I32(x) => format!("the i32 {x}"),
        Value::U64(x) => format!("the u64 {x}"),
        Value::I64(x) => format!("the i64 {x}"),
        Value::F32(x) => format!("the f32 {x}"),
        Value::F64(x) => format!("the f64 {x}"),
        Value::Bool(x) => format!("the bool {x}"),
        Value::String(s) => format!("the string {}", excerpt(s.as_bytes(), 40)),
        Value::Array(a) => format!("an array of {} values", a.len()),
    }
}
