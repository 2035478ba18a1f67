//! One error type for the whole crate.
//!
//! Every fallible public function returns [`Result<T>`]. A notebook cell ends with `?` and
//! evcxr prints the message, so each message says *what was expected, what was found, and in
//! which file/field* — e.g. `sub-01_eeg.bdf: field "n_records": header says 4096 data records
//! but the file holds 37 (truncated?)`. Nothing in the library panics on bad input.

use std::fmt;
use std::path::{Path, PathBuf};

/// The crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, with enough context to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused (missing file, permission, disk full, ...).
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file does not hold what its format promises.
    #[error("{}: field {field:?}: {why}", path.display())]
    Format { path: PathBuf, field: String, why: String },
    /// An array or table has the wrong shape.
    #[error("{what}: expected {expected}, got {got}")]
    Shape { what: String, expected: String, got: String },
    /// Values that cannot be used (NaN, empty, out of range, unknown names...).
    #[error("{0}")]
    Data(String),
    /// Fetching data or models failed.
    #[error("{name}: {why}")]
    Fetch { name: String, why: String },
    /// An error from polars (tables).
    #[error("table: {0}")]
    Table(#[from] polars::error::PolarsError),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io { path: path.as_ref().to_path_buf(), source }
    }
    /// A format error in `path`, field `field`.
    pub fn format(path: impl AsRef<Path>, field: impl Into<String>, why: impl fmt::Display) -> Self {
        Error::Format { path: path.as_ref().to_path_buf(), field: field.into(), why: why.to_string() }
    }
    /// A shape mismatch.
    pub fn shape(what: impl Into<String>, expected: impl fmt::Display, got: impl fmt::Display) -> Self {
        Error::Shape { what: what.into(), expected: expected.to_string(), got: got.to_string() }
    }
    /// Unusable values.
    pub fn data(why: impl fmt::Display) -> Self {
        Error::Data(why.to_string())
    }
}

/// ndarray's shape errors (`from_shape_vec`, `stack`, `into_shape_with_order`, ...) as a
/// [`Error::Shape`], so a cell can end with `?` on them.
impl From<ndarray::ShapeError> for Error {
    fn from(e: ndarray::ShapeError) -> Self {
        Error::Shape { what: "arrays".into(), expected: "compatible shapes".into(), got: e.to_string() }
    }
}

/// plotters' drawing errors (one conversion for every figure in [`crate::plot`]).
impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for Error {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        Error::Data(format!("drawing the figure failed: {e}"))
    }
}

/// Attach a path to an `std::io::Result`.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}

/// Write `path` atomically: `write` fills a temporary file beside it (`.part-<pid>-<name>`,
/// keeping the name's ending so format writers that look at it still work); on success the
/// file is renamed onto `path`, on any error it is removed. A failure or an interrupted write
/// therefore never leaves a file that looks complete.
pub(crate) fn write_atomically(path: &Path, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".part-{}-{name}", std::process::id()));
    match write(&tmp) {
        Ok(()) => std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        }),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Where byte `offset` of `bytes` is, as `line L, column C` (1-based, columns in bytes).
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.len() - before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
    (line, col)
}

/// At most `max` bytes of `bytes` as escaped text (`"ab\xff…"`): a short excerpt for an error
/// message, never raw binary.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    format!("\"{}\"", escaped(bytes, max))
}

/// At most `max` bytes of `bytes`, printable ASCII kept and everything else escaped (`\xff`),
/// without quotes: a name from a damaged file, safe to put in a field name.
pub(crate) fn escaped(bytes: &[u8], max: usize) -> String {
    let mut s: String =
        bytes.iter().take(max).flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
    if bytes.len() > max {
        s.push('…');
    }
    s
}

/// `bytes` as UTF-8 text, or an error naming the byte offset, line and column of the first
/// invalid byte.
pub(crate) fn utf8<'a>(path: &Path, field: &str, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let (line, col) = line_col(bytes, at);
        let bad = &bytes[at..(at + e.error_len().unwrap_or(bytes.len() - at)).min(bytes.len())];
        Error::format(path, field, format!(
            "expected UTF-8 text, found the invalid byte sequence {} at byte {at} (line {line}, column {col}); \
             save the file as UTF-8", excerpt(bad, 8)))
    })
}

/// Read a whole text file, refusing files over `max_bytes` (before reading them) and text
/// that is not UTF-8 (with the position of the first bad byte).
pub(crate) fn read_text(path: &Path, field: &str, max_bytes: u64) -> Result<String> {
    let len = std::fs::metadata(path).at(path)?.len();
    if len > max_bytes {
        return Err(Error::format(
            path,
            field,
            format!(
                "expected a file of at most {} MiB, found {} bytes: is this the right file?",
                max_bytes >> 20,
                len
            ),
        ));
    }
    let bytes = std::fs::read(path).at(path)?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => Err(utf8(path, field, e.as_bytes())
            .err()
            .unwrap_or_else(|| Error::format(path, field, "not UTF-8 text"))),
    }
}

/// A `serde_json` error in `path` said in words: where (line, column) and what went wrong;
/// an early end of input says the file is truncated.
pub(crate) fn json_error(path: &Path, field: &str, e: &serde_json::Error) -> Error {
    use serde_json::error::Category;
    let msg = e.to_string();
    // serde_json appends " at line L column C"; say it once, in our words
    let what = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(w, _)| w);
    let at =
        if e.line() > 0 { format!(" at line {}, column {}", e.line(), e.column()) } else { String::new() };
    let why = match e.classify() {
        Category::Eof => format!("expected more JSON, found the end of the file{at}: the file is cut short (truncated download?) — re-download or re-create it"),
        Category::Syntax => format!("expected valid JSON, found a syntax error{at}: {what}"),
        Category::Data => format!("the JSON is well-formed but does not hold what was expected{at}: {what}"),
        Category::Io => format!("reading failed{at}: {what}"),
    };
    Error::format(path, field, why)
}

/// A JSON value from a file, shortened for an error message (`"ééé…"`, `[1, 2, …`).
#[cfg_attr(not(feature = "llm"), allow(dead_code))]
pub(crate) fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() <= 60 {
        s
    } else {
        format!("{}…", s.chars().take(60).collect::<String>())
    }
}
