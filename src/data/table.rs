//! A look at a delimited text file (CSV, TSV, space-separated) before polars parses it, so that
//! a bad file gets an error a learner can act on — the file, the line and column, what was
//! expected and what was found — instead of polars' advice about `infer_schema_length` or
//! `truncate_ragged_lines`, or an `invalid utf-8 sequence` without a position.
//!
//! Written here because it is a few lines over the bytes: the checks are the ones polars would
//! fail on, said in the words of the file.

use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// The largest table file read (the Muse CSV files are ~3 MB; events/attributes files KB).
pub const MAX_TABLE_BYTES: u64 = 512 << 20;

/// Check that `path` is UTF-8 text whose lines all have as many `sep`-separated fields as the
/// first (blank lines, a trailing newline and `\r\n` endings are fine; quoted fields are not
/// used by the files brainml reads and are not parsed). Returns the file's bytes, for the
/// parser to read without opening the file again.
pub fn check_delimited(path: &Path, sep: u8, header: bool) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path).at(path)?.len();
    if len > MAX_TABLE_BYTES {
        return Err(Error::format(path, "size", format!("{len} bytes; a table brainml reads is at most {MAX_TABLE_BYTES} bytes (is this the right file?)")));
    }
    let bytes = std::fs::read(path).at(path)?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let col = at - bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
            return Err(Error::format(path, format!("line {line}, column {col}"), format!("byte {at} (0x{:02x}) is not UTF-8 text (is this a text table? if it was saved in another encoding, save it as UTF-8)", bytes[at])));
        }
    };
    let fields = |l: &str| -> usize { 1 + l.bytes().filter(|&b| b == sep).count() };
    let mut expected: Option<(usize, usize)> = None;

    for (i, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let k = fields(line);
        match expected {
            None => expected = Some((k, i + 1)),
            Some((want, first)) if k != want => {
                let what = if header && first == 1 { "the header" } else { "the first line" };
                let sep_name = match sep {
                    b'\t' => "tab",
                    b',' => "comma",
                    b' ' => "space",
                    _ => "separator",
                };
                return Err(Error::format(path, format!("line {}", i + 1), format!("{k} {sep_name}-separated fields, but {what} (line {first}) has {want} (a cut or hand-edited line?)")));
            }
            _ => {}
        }
    }
    if expected.is_none() {
        return Err(Error::format(path, "lines", "the file is empty"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.tsv");
        std::fs::write(&p, "onset\tduration\ttrial_type\n1\t2\tface\n\n3\t4\thouse\r\n").unwrap();
        assert!(check_delimited(&p, b'\t', true).is_ok());
        std::fs::write(&p, "onset\tduration\ttrial_type\n1\t2\tface\n3\t4\n").unwrap();
        let e = check_delimited(&p, b'\t', true).unwrap_err().to_string();
        assert!(e.contains("t.tsv") && e.contains("line 3") && e.contains("2 tab-separated fields") && e.contains("header"), "{e}");
        std::fs::write(&p, b"onset\tduration\n1\t2\n3\t\xff\n").unwrap();
        let e = check_delimited(&p, b'\t', true).unwrap_err().to_string();
        assert!(e.contains("line 3, column 3") && e.contains("0xff"), "{e}");
        std::fs::write(&p, "").unwrap();
        assert!(check_delimited(&p, b'\t', true).unwrap_err().to_string().contains("empty"));
        std::fs::write(&p, "face 0\nhouse 1\n").unwrap();
        assert!(check_delimited(&p, b' ', false).is_ok());
        std::fs::write(&p, "face 0\nhouse  1\n").unwrap();
        assert!(check_delimited(&p, b' ', false).unwrap_err().to_string().contains("3 space-separated fields"));
    }
}
