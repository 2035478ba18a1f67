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
    Format {
        path: PathBuf,
        field: String,
        why: String,
    },
    /// An array or table has the wrong shape.
    #[error("{what}: expected {expected}, got {got}")]
    Shape {
        what: String,
        expected: String,
        got: String,
    },
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
