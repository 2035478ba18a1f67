//! Muse headset recordings saved as CSV by the NeuroTechX eeg-notebooks (read through polars).
//!
//! Columns `timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0`, values in µV; `Marker0` holds
//! event codes (0 none, 1 house, 2 face). Timestamps are rounded to milliseconds, so the
//! nominal 256 Hz is used rather than the median step (as eeg-notebooks does). Mirrors
//! eeg-notebooks' `load_muse_csv_as_raw` (which builds an MNE `RawArray`): EEG in volts,
//! `Right AUX` as a misc channel, `Marker0` as a stim channel named `stim`.

use std::path::Path;

use ndarray::Array2;
use polars::prelude::*;

use crate::eeg::raw::{ChannelType, Raw};
use crate::error::{Error, Result};

/// The Muse's sampling rate.
pub const MUSE_SFREQ: f64 = 256.0;

const EEG: [&str; 4] = ["TP9", "AF7", "AF8", "TP10"];

/// Read one Muse CSV file.
pub fn read_raw_muse_csv(path: impl AsRef<Path>) -> Result<Raw> {
    let path = path.as_ref();
    let bytes = crate::data::table::check_delimited(path, b',', true)?;
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(1000))
        .into_reader_with_file_handle(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::format(path, "csv", e.to_string().lines().next().unwrap_or("unreadable")))?;
    let mut names: Vec<String> = Vec::new();
    let mut types = Vec::new();
    let mut cols: Vec<(&str, f64)> = EEG.iter().map(|c| (*c, 1e-6)).collect();
    cols.push(("Right AUX", 1e-6));
    cols.push(("Marker0", 1.0));
    let n = df.height();
    if n == 0 {
        return Err(Error::format(path, "rows", "no samples"));
    }
    let mut data = Array2::<f32>::zeros((cols.len(), n));
    for (k, (name, scale)) in cols.iter().enumerate() {
        let col = df.column(name).map_err(|_| {
            let have: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
            Error::format(path, *name, format!("column missing; the file has {have:?}"))
        })?;
        let col = col.cast(&DataType::Float64).map_err(|e| Error::format(path, *name, e))?;
        let ca = col.f64().map_err(|e| Error::format(path, *name, e))?;
        for (t, v) in ca.into_iter().enumerate() {
            match v {
                Some(v) if v.is_finite() => data[[k, t]] = (v * scale) as f32,
                _ => {
                    return Err(Error::format(
                        path,
                        *name,
                        format!("row {} is empty, NaN or not a number", t + 2),
                    ))
                }
            }
        }
        names.push(if *name == "Marker0" { "stim".to_string() } else { name.to_string() });
        types.push(match *name {
            "Marker0" => ChannelType::Stim,
            "Right AUX" => ChannelType::Misc,
            _ => ChannelType::Eeg,
        });
    }
    Raw::new(data, names, types, MUSE_SFREQ).map_err(|e| Error::format(path, "columns", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("m.csv");
        std::fs::write(
            &good,
            "timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0\n1.0,10,20,30,40,5,0\n1.004,11,21,31,41,6,2\n",
        )
        .unwrap();
        let raw = read_raw_muse_csv(&good).unwrap();
        assert_eq!(raw.ch_names(), ["TP9", "AF7", "AF8", "TP10", "Right AUX", "stim"]);
        assert!((raw.data()[[1, 1]] - 21e-6).abs() < 1e-12);
        assert_eq!(raw.data()[[5, 1]], 2.0);
        let missing = dir.path().join("missing.csv");
        std::fs::write(&missing, "timestamps,TP9,AF7,AF8,Right AUX,Marker0\n1.0,10,20,30,5,0\n").unwrap();
        let e = read_raw_muse_csv(&missing).unwrap_err().to_string();
        assert!(e.contains("missing.csv") && e.contains("TP10"), "{e}");
        let nan = dir.path().join("nan.csv");
        std::fs::write(
            &nan,
            "timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0\n1.0,10,20,30,40,5,0\n1.004,NaN,21,31,41,6,0\n",
        )
        .unwrap();
        let e = read_raw_muse_csv(&nan).unwrap_err().to_string();
        assert!(e.contains("nan.csv") && e.contains("TP9") && e.contains("row 3"), "{e}");
        assert!(read_raw_muse_csv(dir.path().join("absent.csv"))
            .unwrap_err()
            .to_string()
            .contains("absent.csv"));
    }

    /// The real recordings, when fetched.
    #[test]
    fn real_muse_file() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data/public/eeg-n170-muse/subject1/session1/data_2017-09-13-15.30.01.csv");
        if !p.exists() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{} missing under CI=true (scripts/run.sh fetches it)",
                p.display()
            );
            eprintln!("{} not fetched: skipped", p.display());
            return;
        }
        let raw = read_raw_muse_csv(&p).unwrap();
        let stim = raw.channel("stim").unwrap();
        let onsets = (1..stim.len()).filter(|&i| stim[i] != 0.0 && stim[i - 1] == 0.0).count();
        assert!(raw.duration() > 100.0 && onsets > 50, "{} s, {onsets} events", raw.duration());
    }
}
