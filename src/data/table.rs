//! A look at a delimited text file (CSV, TSV, space-separated) before polars parses it, so that
//! a bad file gets an error a learner can act on — the file, the line and column, what was
//! expected and what was found — instead of polars' advice about `infer_schema_length` or
//! `truncate_ragged_lines`, or an `invalid utf-8 sequence` without a position.
//!
//! Written here because it is a few lines over the bytes: the checks are the ones polars would
//! fail on, said in the words of the file.

use std::path::Path;

use crate::error::{Error, Result};

/// The largest table file read (the Muse CSV files are ~3 MB; events/attributes files KB).
pub const MAX_TABLE_BYTES: u64 = 512 << 20;

/// Check that `path` is UTF-8 text whose lines all have as many `sep`-separated fields as the
/// first (blank lines, a trailing newline and `\r\n` endings are fine; quoted fields are not
/// used by the files brainml reads and are not parsed). Returns the file's bytes, for the
/// parser to read without opening the file again.
pub fn check_delimited(path: &Path, sep: u8, header: bool) -> Result<Vec<u8>> {
    // size and UTF-8 (with the position of the first bad byte), as every text file brainml reads
    let text = crate::error::read_text(path, "text", MAX_TABLE_BYTES)?;
    let fields = |l: &str| -> usize { 1 + l.bytes().filter(|&b| b == sep).count() };
    let mut expected: Option<(usize, usize)> = None;
    // (`lines` also drops the `\r` of `\r\n` endings)
    for (i, line) in text.lines().enumerate() {
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
    Ok(text.into_bytes())
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
        assert!(
            e.contains("t.tsv")
                && e.contains("line 3")
                && e.contains("2 tab-separated fields")
                && e.contains("header"),
            "{e}"
        );
        std::fs::write(&p, b"onset\tduration\n1\t2\n3\t\xff\n").unwrap();
        let e = check_delimited(&p, b'\t', true).unwrap_err().to_string();
        assert!(e.contains("line 3, column 3") && e.contains("\\xff"), "{e}");
        std::fs::write(&p, "").unwrap();
        assert!(check_delimited(&p, b'\t', true).unwrap_err().to_string().contains("empty"));
        std::fs::write(&p, "face 0\nhouse 1\n").unwrap();
        assert!(check_delimited(&p, b' ', false).is_ok());
        std::fs::write(&p, "face 0\nhouse  1\n").unwrap();
        assert!(check_delimited(&p, b' ', false)
            .unwrap_err()
            .to_string()
            .contains("3 space-separated fields"));
    }
}
