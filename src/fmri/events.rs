//! Task events: BIDS `events.tsv` ([`read_events`]) and Haxby/PyMVPA `attributes.txt`
//! ([`read_attributes`]), read through polars.

use std::path::Path;

use ndarray::{Array2, ArrayView2, Axis};
use polars::prelude::*;

use crate::error::{Error, Result};

/// Events of one run: onsets and durations in seconds, and a condition name each
/// (the columns nilearn's `make_first_level_design_matrix` reads from an events DataFrame).
#[derive(Clone, Debug, Default)]
pub struct Events {
    pub onset: Vec<f64>,
    pub duration: Vec<f64>,
    pub trial_type: Vec<String>,
}

fn read_table(path: &Path, sep: u8, header: bool) -> Result<DataFrame> {
    let bytes = crate::data::table::check_delimited(path, sep, header)?;
    CsvReadOptions::default()
        .with_has_header(header)
        .with_parse_options(CsvParseOptions::default().with_separator(sep))
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::format(path, "table", e.to_string().lines().next().unwrap_or("unreadable")))
}

fn f64_col(df: &DataFrame, path: &Path, name: &str) -> Result<Vec<f64>> {
    let col = df.column(name).map_err(|_| {
        let have: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        Error::format(path, name, format!("column missing; the file has {have:?}"))
    })?;
    let col = col.cast(&DataType::Float64).map_err(|e| Error::format(path, name, e))?;
    let ca = col.f64().map_err(|e| Error::format(path, name, e))?;
    ca.into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Some(v) if v.is_finite() => Ok(v),
            _ => Err(Error::format(path, name, format!("row {} is empty or not a number", i + 2))),
        })
        .collect()
}

impl Events {
    /// Events from a BIDS `events.tsv` (columns `onset`, `duration`, `trial_type`).
    pub fn from_dataframe(df: &DataFrame, path: &Path) -> Result<Events> {
        let onset = f64_col(df, path, "onset")?;
        let duration = f64_col(df, path, "duration")?;
        let tt = df.column("trial_type").map_err(|_| Error::format(path, "trial_type", "column missing"))?;
        let tt = tt.cast(&DataType::String).map_err(|e| Error::format(path, "trial_type", e))?;
        let trial_type: Vec<String> = tt
            .str()
            .map_err(|e| Error::format(path, "trial_type", e))?
            .into_iter()
            .map(|s| s.unwrap_or("n/a").to_string())
            .collect();
        if let Some(i) = duration.iter().position(|&d| d < 0.0) {
            return Err(Error::format(
                path,
                "duration",
                format!("row {} is negative ({} s)", i + 2, duration[i]),
            ));
        }
        // BIDS onsets count from the first volume: a negative one is a typo or a shifted file
        if let Some(i) = onset.iter().position(|&o| o < 0.0) {
            return Err(Error::format(
                path,
                "onset",
                format!(
                    "row {} is negative ({} s); onsets are seconds from the first volume",
                    i + 2,
                    onset[i]
                ),
            ));
        }
        Ok(Events { onset, duration, trial_type })
    }

    /// The events as a polars table (for display).
    pub fn to_dataframe(&self) -> Result<DataFrame> {
        Ok(df!("onset" => &self.onset, "duration" => &self.duration, "trial_type" => &self.trial_type)?)
    }

    /// Sorted distinct condition names.
    pub fn conditions(&self) -> Vec<String> {
        let mut c = self.trial_type.clone();
        c.sort();
        c.dedup();
        c
    }

    /// Only the events whose `trial_type` is in `names`.
    pub fn select(&self, names: &[&str]) -> Events {
        let keep: Vec<usize> =
            (0..self.onset.len()).filter(|&i| names.contains(&self.trial_type[i].as_str())).collect();
        Events {
            onset: keep.iter().map(|&i| self.onset[i]).collect(),
            duration: keep.iter().map(|&i| self.duration[i]).collect(),
            trial_type: keep.iter().map(|&i| self.trial_type[i].clone()).collect(),
        }
    }

    /// Rename conditions (e.g. famous, unfamiliar → face).
    pub fn rename(&self, from: &[&str], to: &str) -> Events {
        let mut e = self.clone();
        for t in &mut e.trial_type {
            if from.contains(&t.as_str()) {
                *t = to.to_string();
            }
        }
        e
    }

    /// Check that every event starts inside a run of `n_scans` volumes `tr` seconds apart.
    pub fn check_fits(&self, n_scans: usize, tr: f64) -> Result<()> {
        let len = n_scans as f64 * tr;
        for i in 0..self.onset.len() {
            if self.onset[i] < 0.0 || self.onset[i] >= len {
                return Err(Error::data(format!(
                    "event {} ({}) at {} s lies outside the run (0 – {len} s, {n_scans} volumes × TR {tr} s)",
                    i, self.trial_type[i], self.onset[i]
                )));
            }
        }
        Ok(())
    }
}

/// Read a BIDS `events.tsv` (nilearn users: `pandas.read_csv(path, sep="\t")`).
pub fn read_events(path: impl AsRef<Path>) -> Result<Events> {
    let path = path.as_ref();
    let df = read_table(path, b'\t', true)?;
    Events::from_dataframe(&df, path)
}

/// Per-volume labels of a PyMVPA/Haxby `attributes.txt` / `attributes_literal.txt` (two
/// space-separated columns: label and chunk = run, no header), as nilearn's Haxby example
/// reads `session_target` with pandas.
#[derive(Clone, Debug)]
pub struct Attributes {
    pub labels: Vec<String>,
    pub chunks: Vec<i64>,
}

impl Attributes {
    /// The samples of two conditions, for a two-class decoder: the rows of `x` (one per
    /// volume, in the order of `labels`) labelled `a` or `b`, their labels (`true` = `a`) and
    /// their runs — nilearn's Haxby tutorial's `condition_mask = conditions.isin([a, b])`
    /// applied to the samples, the targets and `run_label`. Errors when `x` does not have one
    /// row per volume or a condition has no volume (a typo in its name).
    pub fn pick(&self, x: ArrayView2<f64>, a: &str, b: &str) -> Result<(Array2<f64>, Vec<bool>, Vec<i64>)> {
        if self.chunks.len() != self.labels.len() {
            return Err(Error::shape(
                "attributes",
                format!("{} runs (one per label)", self.labels.len()),
                self.chunks.len(),
            ));
        }
        if x.nrows() != self.labels.len() {
            return Err(Error::shape(
                "samples to pick from",
                format!("{} rows (one per volume of the attributes)", self.labels.len()),
                x.nrows(),
            ));
        }
        for c in [a, b] {
            if !self.labels.iter().any(|l| l == c) {
                let mut have = self.labels.clone();
                have.sort();
                have.dedup();
                return Err(Error::data(format!(
                    "pick: no volume is labelled {c:?}; the labels are {have:?}"
                )));
            }
        }
        let idx: Vec<usize> =
            (0..self.labels.len()).filter(|&t| self.labels[t] == a || self.labels[t] == b).collect();
        let y: Vec<bool> = idx.iter().map(|&t| self.labels[t] == a).collect();
        let g: Vec<i64> = idx.iter().map(|&t| self.chunks[t]).collect();
        Ok((x.select(Axis(0), &idx), y, g))
    }
}

/// Read a Haxby `attributes_literal.txt` (or `attributes.txt` with numeric labels).
pub fn read_attributes(path: impl AsRef<Path>) -> Result<Attributes> {
    let path = path.as_ref();
    let df = read_table(path, b' ', false)?;
    if df.width() != 2 {
        return Err(Error::format(
            path,
            "columns",
            format!("expected 2 columns (label chunk), found {}", df.width()),
        ));
    }
    let cols = df.get_columns();
    let labels: Vec<String> = cols[0]
        .cast(&DataType::String)
        .map_err(|e| Error::format(path, "label", e))?
        .str()
        .map_err(|e| Error::format(path, "label", e))?
        .into_iter()
        .map(|s| s.unwrap_or("").to_string())
        .collect();
    // read as numbers first, so that 1.5 is an error rather than silently run 1
    let chunks: Vec<i64> = cols[1]
        .cast(&DataType::Float64)
        .map_err(|e| Error::format(path, "chunk", e))?
        .f64()
        .map_err(|e| Error::format(path, "chunk", e))?
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e9 => Ok(v as i64),
            Some(v) => Err(Error::format(
                path,
                "chunk",
                format!("line {}: the run number must be a whole number ≥ 0, found {v}", i + 1),
            )),
            None => Err(Error::format(path, "chunk", format!("line {} has no run number", i + 1))),
        })
        .collect::<Result<_>>()?;
    Ok(Attributes { labels, chunks })
}

/// Motion parameters, one row of six per volume (3 translations mm, 3 rotations rad), from
/// an fMRIPrep-style confounds TSV with `trans_x … rot_z` columns.
pub fn read_motion(path: impl AsRef<Path>) -> Result<Vec<[f64; 6]>> {
    let path = path.as_ref();
    let df = read_table(path, b'\t', true)?;
    let names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"];
    let cols: Vec<Vec<f64>> = names.iter().map(|n| f64_col(&df, path, n)).collect::<Result<_>>()?;
    Ok((0..df.height()).map(|t| [0, 1, 2, 3, 4, 5].map(|k| cols[k][t])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pick_selects_two_conditions_with_their_runs() {
        let att = Attributes {
            labels: ["rest", "face", "house", "face", "cat"].map(String::from).to_vec(),
            chunks: vec![0, 0, 1, 1, 1],
        };
        let x = Array2::from_shape_fn((5, 2), |(t, c)| (10 * t + c) as f64);
        let (xs, y, g) = att.pick(x.view(), "face", "house").unwrap();
        assert_eq!(xs.column(0).to_vec(), vec![10.0, 20.0, 30.0]);
        assert_eq!((y, g), (vec![true, false, true], vec![0, 1, 1]));
        assert!(att.pick(x.view(), "face", "houses").unwrap_err().to_string().contains("houses"));
        assert!(att.pick(x.slice(ndarray::s![..4, ..]), "face", "house").is_err());
    }
}
