//! Memory check for the BDF reader (issue 4: "a one-hour 128-channel BioSemi file must load"
//! without needing twice the file in memory). Writes a BioSemi-layout BDF of 128 EEG channels
//! + Status at 2048 Hz (BioSemi's default rate) for `MINUTES` minutes (default 60) into the
//! given folder, reads it back with `read_raw_bdf`, and prints the file size, the data held
//! (f32: 4/3 of the 24-bit file) and the process's peak resident memory (VmHWM).
//!
//!     cargo run --release --features eeg --example bdf_memory -- /tmp [MINUTES]
use std::io::{Seek, SeekFrom, Write};
use std::time::Instant;

use brainml::eeg::io::{read_raw_bdf, write_bdf, WriteOptions};
use brainml::eeg::{ChannelType, Raw};
use ndarray::Array2;

fn vm_hwm_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() -> brainml::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "/tmp".into());
    let minutes: usize = args.next().and_then(|m| m.parse().ok()).unwrap_or(60);
    let (n_eeg, sf) = (128usize, 2048usize);
    let path = std::path::Path::new(&dir).join("brainml_bdf_memory.bdf");

    // one second of data (a sine per channel, a trigger every second), written as a 1-record
    // BDF, then the record is repeated: the writer never holds more than one second
    let mut one = Array2::<f32>::zeros((n_eeg + 1, sf));
    for c in 0..n_eeg {
        for t in 0..sf {
            one[[c, t]] =
                20e-6 * ((t as f32 / sf as f32) * 2.0 * std::f32::consts::PI * (1.0 + c as f32 % 30.0)).sin();
        }
    }
    one[[n_eeg, 0]] = 1.0;
    let mut names: Vec<String> =
        (0..n_eeg).map(|c| format!("{}{}", ["A", "B", "C", "D"][c / 32], c % 32 + 1)).collect();
    names.push("Status".into());
    let mut types = vec![ChannelType::Eeg; n_eeg];
    types.push(ChannelType::Stim);
    let raw = Raw::new(one, names, types, sf as f64)?;
    write_bdf(&path, &raw, &WriteOptions::default())?;
    let header_bytes = 256 * (n_eeg + 2);
    let bytes = std::fs::read(&path).map_err(|e| brainml::Error::data(format!("{}: {e}", path.display())))?;
    let record = bytes[header_bytes..].to_vec();
    drop(bytes);
    let io = |e: std::io::Error| brainml::Error::data(format!("{}: {e}", path.display()));
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).map_err(io)?;
    f.seek(SeekFrom::Start(236)).map_err(io)?; // number of data records (8 ASCII bytes)
    f.write_all(format!("{:<8}", minutes * 60).as_bytes()).map_err(io)?;
    f.seek(SeekFrom::End(0)).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    for _ in 1..minutes * 60 {
        w.write_all(&record).map_err(io)?;
    }
    w.flush().map_err(io)?;
    drop(w);
    let file_mb = std::fs::metadata(&path).map_err(io)?.len() as f64 / 1e6 / 1.048576;
    let before = vm_hwm_mb();

    let t = Instant::now();
    let back = read_raw_bdf(&path)?;
    let secs = t.elapsed().as_secs_f64();
    let data_mb = (back.data().len() * 4) as f64 / 1048576.0;
    println!(
        "{{\"minutes\": {minutes}, \"channels\": {}, \"sfreq\": {sf}, \"file_mb\": {file_mb:.0}, \"data_mb\": {data_mb:.0}, \"peak_rss_mb_before_read\": {before:.0}, \"peak_rss_mb\": {:.0}, \"read_seconds\": {secs:.1}}}",
        back.ch_names().len(),
        vm_hwm_mb()
    );
    let _ = std::fs::remove_file(&path);
    Ok(())
}
