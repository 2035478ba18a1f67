//! BioSemi BDF (24-bit) and EDF (16-bit) files: reading and writing.
//!
//! Written by hand: no maintained Rust crate reads BDF (the `edf`-family crates on crates.io
//! handle 16-bit EDF only, or load the whole file twice). The format follows the EDF
//! specification (Kemp et al. 1992, edfplus.info) and BioSemi's 24-bit variant.
//! Mirrors `mne.io.read_raw_bdf` / `read_raw_edf` with `preload=True`: EEG in volts (the file's
//! physical unit `uV`/`mV`/`V` is converted), the BDF `Status` channel as a stim channel of
//! integer trigger codes (no scaling, like MNE).
//!
//! Safety against bad files: every header field is parsed with its name in the error; the
//! header size must match the channel count and fit in the file; the number of data records
//! is checked against the file size *before* anything is allocated (a header that claims
//! more than the file holds is an error, a file cut mid-record is an error); records are
//! decoded one at a time, so memory is the output array (4 bytes a sample) plus one record.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use ndarray::Array2;

use crate::eeg::raw::{Annotation, ChannelType, Raw};
use crate::error::{excerpt, write_atomically, Error, IoContext, Result};

/// Sample width of the two formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// EDF / EDF+: 16-bit little-endian two's complement
    Edf,
    /// BioSemi BDF: 24-bit little-endian two's complement
    Bdf,
}

impl Flavor {
    fn bytes(self) -> usize {
        match self {
            Flavor::Edf => 2,
            Flavor::Bdf => 3,
        }
    }
}

/// One signal's header.
#[derive(Clone, Debug)]
pub struct SignalHeader {
    pub label: String,
    pub transducer: String,
    pub physical_dim: String,
    pub physical_min: f64,
    pub physical_max: f64,
    pub digital_min: i32,
    pub digital_max: i32,
    pub prefiltering: String,
    pub samples_per_record: usize,
}

/// The highest sampling rate brainml reads (BioSemi's fastest is 16 kHz): anything above is a
/// corrupt header, and would make epochs of a second cost gigabytes.
pub const MAX_SFREQ: f64 = 1e6;

/// The file header (what `brainml info FILE` prints).
#[derive(Clone, Debug)]
pub struct Header {
    pub flavor: Flavor,
    pub patient: String,
    pub recording: String,
    pub start_date: String,
    pub start_time: String,
    pub header_bytes: usize,
    pub reserved: String,
    pub n_records: usize,
    pub record_duration: f64,
    pub signals: Vec<SignalHeader>,
}

fn field_str(buf: &[u8], path: &Path, name: &str) -> Result<String> {
    if buf.iter().any(|&b| !(32..127).contains(&b) && b != 0) {
        return Err(Error::format(
            path,
            name,
            "holds bytes that are not printable ASCII (not an EDF/BDF header?)",
        ));
    }
    Ok(String::from_utf8_lossy(buf).trim_matches(|c: char| c == ' ' || c == '\0').to_string())
}

fn field_num<T: std::str::FromStr>(buf: &[u8], path: &Path, name: &str) -> Result<T> {
    let s = field_str(buf, path, name)?;
    s.parse::<T>().map_err(|_| Error::format(path, name, format!("expected a number, found {s:?}")))
}

/// Read and check the header of an EDF/BDF file.
pub fn read_header(path: impl AsRef<Path>) -> Result<Header> {
    let path = path.as_ref();
    let file_len = std::fs::metadata(path).at(path)?.len();
    let mut f = BufReader::new(File::open(path).at(path)?);
    read_header_from(&mut f, path, file_len)
}

fn read_header_from(f: &mut impl Read, path: &Path, file_len: u64) -> Result<Header> {
    if file_len < 256 {
        return Err(Error::format(
            path,
            "header",
            format!(
                "file is {file_len} bytes; an EDF/BDF header alone is 256 bytes (truncated or not EDF/BDF)"
            ),
        ));
    }
    let mut h = [0u8; 256];
    f.read_exact(&mut h).at(path)?;
    let flavor = if h[0] == 0xFF && &h[1..8] == b"BIOSEMI" {
        Flavor::Bdf
    } else if &h[0..8] == b"0       " {
        Flavor::Edf
    } else {
        return Err(Error::format(
            path,
            "version",
            format!(
                "expected \"0\" (EDF) or \"\\xFFBIOSEMI\" (BDF), found {:?}",
                String::from_utf8_lossy(&h[0..8])
            ),
        ));
    };
    let header_bytes: usize = field_num(&h[184..192], path, "header bytes")?;
    let n_records_raw: i64 = field_num(&h[236..244], path, "number of data records")?;
    let record_duration: f64 = field_num(&h[244..252], path, "duration of a data record")?;
    let ns: usize = field_num(&h[252..256], path, "number of signals")?;
    if ns == 0 || ns > 65_535 {
        return Err(Error::format(path, "number of signals", format!("expected 1..65535, found {ns}")));
    }
    if header_bytes != 256 * (ns + 1) {
        return Err(Error::format(
            path,
            "header bytes",
            format!("header says {header_bytes} bytes but {ns} signals need {}", 256 * (ns + 1)),
        ));
    }
    if header_bytes as u64 > file_len {
        return Err(Error::format(
            path,
            "header bytes",
            format!("header says {header_bytes} bytes but the file holds only {file_len} (truncated?)"),
        ));
    }
    if !(record_duration.is_finite() && record_duration > 0.0) {
        return Err(Error::format(
            path,
            "duration of a data record",
            format!("expected a positive number of seconds, found {record_duration}"),
        ));
    }
    // a record of 1e-9 s would make a 16-sample record a 16 GHz recording (and an epoch of a
    // second billions of samples): EEG records last milliseconds to minutes
    if !(1e-3..=3600.0).contains(&record_duration) {
        return Err(Error::format(
            path,
            "duration of a data record",
            format!("expected 0.001 to 3600 seconds, found {record_duration} (a corrupt header?)"),
        ));
    }
    let mut sh = vec![0u8; 256 * ns];
    f.read_exact(&mut sh).at(path)?;
    // signal header fields are stored field by field: ns labels, then ns transducers, ...
    let widths = [16usize, 80, 8, 8, 8, 8, 8, 80, 8, 32];
    let names = [
        "label",
        "transducer type",
        "physical dimension",
        "physical minimum",
        "physical maximum",
        "digital minimum",
        "digital maximum",
        "prefiltering",
        "number of samples in each data record",
        "reserved",
    ];
    let mut offsets = [0usize; 10];
    for k in 1..10 {
        offsets[k] = offsets[k - 1] + widths[k - 1] * ns;
    }
    let get = |k: usize, i: usize| &sh[offsets[k] + i * widths[k]..offsets[k] + (i + 1) * widths[k]];
    let mut signals = Vec::with_capacity(ns);
    for i in 0..ns {
        let fname = |k: usize| format!("signal {} {}", i + 1, names[k]);
        let s = SignalHeader {
            label: field_str(get(0, i), path, &fname(0))?,
            transducer: field_str(get(1, i), path, &fname(1))?,
            physical_dim: field_str(get(2, i), path, &fname(2))?,
            physical_min: field_num(get(3, i), path, &fname(3))?,
            physical_max: field_num(get(4, i), path, &fname(4))?,
            digital_min: field_num(get(5, i), path, &fname(5))?,
            digital_max: field_num(get(6, i), path, &fname(6))?,
            prefiltering: field_str(get(7, i), path, &fname(7))?,
            samples_per_record: field_num(get(8, i), path, &fname(8))?,
        };
        if s.digital_max <= s.digital_min {
            return Err(Error::format(
                path,
                fname(6),
                format!("digital maximum {} must exceed digital minimum {}", s.digital_max, s.digital_min),
            ));
        }
        if s.physical_max == s.physical_min || !s.physical_max.is_finite() || !s.physical_min.is_finite() {
            return Err(Error::format(
                path,
                fname(4),
                format!("physical range {}..{} is empty or not finite", s.physical_min, s.physical_max),
            ));
        }
        if s.samples_per_record == 0 || s.samples_per_record > 1 << 24 {
            return Err(Error::format(
                path,
                fname(8),
                format!("expected 1..16777216, found {}", s.samples_per_record),
            ));
        }
        signals.push(s);
    }
    for (i, s) in signals.iter().enumerate() {
        let rate = s.samples_per_record as f64 / record_duration;
        if rate > MAX_SFREQ {
            return Err(Error::format(path, format!("signal {} number of samples in each data record", i + 1), format!("{} samples per {record_duration}-s record is {rate:.0} Hz; expected at most {MAX_SFREQ:.0} Hz (a corrupt header?)", s.samples_per_record)));
        }
    }
    let record_bytes: u64 =
        signals.iter().map(|s| s.samples_per_record as u64).sum::<u64>() * flavor.bytes() as u64;
    let data_bytes = file_len - header_bytes as u64;
    if n_records_raw == 0 {
        return Err(Error::format(
            path,
            "number of data records",
            "the file holds no data records (an empty or unfinished recording)",
        ));
    }
    if record_bytes > data_bytes {
        return Err(Error::format(path, "data records", format!("one data record takes {record_bytes} bytes but the file holds {data_bytes} after its header (truncated? re-download it)")));
    }
    let held = data_bytes / record_bytes;
    let n_records = if n_records_raw == -1 {
        // "-1: unknown" is allowed while recording; use what the file holds
        held as usize
    } else if n_records_raw < 0 {
        return Err(Error::format(
            path,
            "number of data records",
            format!("expected ≥ 0 or -1, found {n_records_raw}"),
        ));
    } else {
        let n = n_records_raw as u64;
        if n > held {
            return Err(Error::format(path, "number of data records", format!("header says {n} data records of {record_duration} s but the file holds {held} (truncated?)")));
        }
        n as usize
    };
    Ok(Header {
        flavor,
        patient: field_str(&h[8..88], path, "patient identification")?,
        recording: field_str(&h[88..168], path, "recording identification")?,
        start_date: field_str(&h[168..176], path, "start date")?,
        start_time: field_str(&h[176..184], path, "start time")?,
        header_bytes,
        reserved: field_str(&h[192..236], path, "reserved")?,
        n_records,
        record_duration,
        signals,
    })
}

fn unit_scale(dim: &str) -> f64 {
    match dim.trim() {
        "uV" | "µV" | "\u{3bc}V" | "microV" => 1e-6,
        "mV" => 1e-3,
        "nV" => 1e-9,
        _ => 1.0,
    }
}

/// Which channels to read: MNE's `include` / `exclude` arguments of `read_raw_edf` /
/// `read_raw_bdf` (lists of names; MNE also takes a regular expression, brainml does not).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EdfOptions {
    /// read only these channels (MNE `include=None`: all); cannot be combined with `exclude`
    pub include: Option<Vec<String>>,
    /// leave these channels out (MNE `exclude=()`)
    pub exclude: Vec<String>,
}

impl EdfOptions {
    /// Read only `names` (MNE `include=[...]`).
    pub fn include<S: AsRef<str>>(names: &[S]) -> Self {
        EdfOptions {
            include: Some(names.iter().map(|s| s.as_ref().to_string()).collect()),
            exclude: Vec::new(),
        }
    }
    /// Leave `names` out (MNE `exclude=[...]`).
    pub fn exclude<S: AsRef<str>>(names: &[S]) -> Self {
        EdfOptions { include: None, exclude: names.iter().map(|s| s.as_ref().to_string()).collect() }
    }
}

/// The 17 low bits MNE keeps of a stim channel read from EDF/BDF (`mne/io/edf/edf.py`,
/// `_read_segment_file`: `np.bitwise_and(ch_data.astype(int), 2**17 - 1)`): BioSemi writes
/// its 16 trigger bits below status bits (CMS in range, battery low, …; BioSemi's
/// trigger_signals FAQ), which would otherwise turn code 4 into 1 835 012.
pub const STIM_MASK: i32 = (1 << 17) - 1;

fn is_stim_label(label: &str) -> bool {
    // MNE's stim_channel="auto": channels named "status" or "trigger", any case
    label.eq_ignore_ascii_case("status") || label.eq_ignore_ascii_case("trigger")
}

/// Read an EDF or BDF file into a [`Raw`] (mirrors `mne.io.read_raw_bdf/edf(preload=True)`).
/// EDF+/BDF+ annotation signals ("EDF Annotations") become `raw.annotations`, as MNE's
/// `raw.annotations`: every time-stamped annotation list (TAL) with a text, onset in seconds
/// as written in the file, duration 0 when absent; the per-record time-keeping TALs (no text)
/// are skipped. Stim channels ("Status"/"Trigger", any case) keep their 17 low bits
/// ([`STIM_MASK`]), as in MNE.
///
/// **Mixed sampling rates** (MNE's behaviour): the recording takes the highest rate among the
/// data channels; a channel with fewer samples per record is upsampled to it with MNE's FFT
/// `resample(x, up, down, npad=0)` over the whole recording, a stim channel with another rate
/// by repeating each value (zero-order hold within each record, as MNE's `interp1d(kind="zero")`).
/// Leave odd channels out with [`EdfOptions`] to avoid the resampling.
pub fn read_raw_edf_family(path: impl AsRef<Path>) -> Result<Raw> {
    read_raw_edf_family_with(path, &EdfOptions::default())
}

/// [`read_raw_edf_family`] with channel selection (MNE's `include` / `exclude`).
pub fn read_raw_edf_family_with(path: impl AsRef<Path>, opts: &EdfOptions) -> Result<Raw> {
    let path = path.as_ref();
    let file_len = std::fs::metadata(path).at(path)?.len();
    let mut f = BufReader::with_capacity(1 << 20, File::open(path).at(path)?);
    let hdr = read_header_from(&mut f, path, file_len)?;
    let is_annot =
        |i: usize| hdr.signals[i].label == "EDF Annotations" || hdr.signals[i].label == "BDF Annotations";
    let labels: Vec<&str> = hdr.signals.iter().map(|s| s.label.as_str()).collect();
    if opts.include.is_some() && !opts.exclude.is_empty() {
        return Err(Error::data(format!(
            "{}: give include or exclude, not both (as in MNE)",
            path.display()
        )));
    }
    for name in opts.include.iter().flatten().chain(&opts.exclude) {
        if !labels.contains(&name.as_str()) {
            let some: Vec<&str> = labels
                .iter()
                .copied()
                .filter(|l| *l != "EDF Annotations" && *l != "BDF Annotations")
                .take(12)
                .collect();
            return Err(Error::data(format!(
                "{}: no channel {name:?} to include or exclude; channels are {}",
                path.display(),
                some.join(", ")
            )));
        }
    }
    let wanted = |i: usize| match &opts.include {
        Some(inc) => inc.iter().any(|n| n == labels[i]),
        None => !opts.exclude.iter().any(|n| n == labels[i]),
    };
    let keep: Vec<usize> = (0..hdr.signals.len()).filter(|&i| !is_annot(i) && wanted(i)).collect();
    // byte ranges of the annotation signals inside one record
    let mut annot_ranges = Vec::new();
    let mut o = 0usize;
    for (i, s) in hdr.signals.iter().enumerate() {
        let len = s.samples_per_record * hdr.flavor.bytes();
        if is_annot(i) {
            annot_ranges.push(o..o + len);
        }
        o += len;
    }
    let mut annotations = Vec::new();
    if keep.is_empty() {
        return Err(Error::format(
            path,
            "signals",
            if (0..hdr.signals.len()).all(is_annot) {
                "no data signal (only annotations)"
            } else {
                "every data signal was excluded"
            },
        ));
    }
    let is_stim: Vec<bool> = keep.iter().map(|&j| is_stim_label(&hdr.signals[j].label)).collect();
    // the output rate: the most samples per record among the data (non-stim) channels
    let spr_of = |k: usize| hdr.signals[keep[k]].samples_per_record;
    let spr = (0..keep.len())
        .filter(|&k| !is_stim[k])
        .map(spr_of)
        .max()
        .unwrap_or_else(|| (0..keep.len()).map(spr_of).max().unwrap_or(1));
    let n_times = hdr.n_records.checked_mul(spr).ok_or_else(|| {
        Error::format(path, "number of data records", "records × samples per record overflow")
    })?;
    let mut data = Array2::<f32>::zeros((keep.len(), n_times));
    // channels read at a lower rate, collected whole and resampled at the end (MNE does this
    // after reading every chunk "to prevent edge artifacts")
    let mut low: Vec<(usize, Vec<f64>)> = (0..keep.len())
        .filter(|&k| !is_stim[k] && spr_of(k) != spr)
        .map(|k| (k, Vec::with_capacity(hdr.n_records * spr_of(k))))
        .collect();
    // kept channel → its slot in `low`, if it has one
    let mut low_slot: Vec<Option<usize>> = vec![None; keep.len()];
    for (slot, (k, _)) in low.iter().enumerate() {
        low_slot[*k] = Some(slot);
    }
    let nb = hdr.flavor.bytes();
    let record_bytes: usize = hdr.signals.iter().map(|s| s.samples_per_record).sum::<usize>() * nb;
    let mut rec = vec![0u8; record_bytes];
    // per kept signal: byte offset in a record, its samples per record, gain and offset (digital → volts)
    let mut layout = Vec::with_capacity(keep.len());
    let mut off = 0usize;
    for (j, s) in hdr.signals.iter().enumerate() {
        if let Some(k) = keep.iter().position(|&x| x == j) {
            let gain = (s.physical_max - s.physical_min) / (s.digital_max - s.digital_min) as f64;
            let offset = s.physical_max - gain * s.digital_max as f64;
            let u = unit_scale(&s.physical_dim);
            layout.push((k, off, s.samples_per_record, gain * u, offset * u));
        }
        off += s.samples_per_record * nb;
    }
    let decode = |bytes: &[u8], t: usize| -> i32 {
        match hdr.flavor {
            Flavor::Edf => i16::from_le_bytes([bytes[2 * t], bytes[2 * t + 1]]) as i32,
            Flavor::Bdf => (i32::from_le_bytes([0, bytes[3 * t], bytes[3 * t + 1], bytes[3 * t + 2]])) >> 8,
        }
    };
    for r in 0..hdr.n_records {
        f.read_exact(&mut rec).map_err(|e| {
            Error::format(
                path,
                "data records",
                format!("record {} of {} unreadable: {e} (truncated?)", r + 1, hdr.n_records),
            )
        })?;
        for &(k, o, n, gain, offset) in &layout {
            let bytes = &rec[o..o + n * nb];
            if let Some(slot) = low_slot[k] {
                low[slot].1.extend((0..n).map(|t| decode(bytes, t) as f64 * gain + offset));
                continue;
            }
            let mut row = data.row_mut(k);
            let dst = row.as_slice_mut().ok_or_else(|| Error::data("internal: non-contiguous row"))?;
            let dst = &mut dst[r * spr..(r + 1) * spr];
            if is_stim[k] && n != spr {
                // zero-order hold within the record; MNE applies no bit mask on this path
                for (t, d) in dst.iter_mut().enumerate() {
                    *d = decode(bytes, t * n / spr) as f32;
                }
                continue;
            }
            for (t, d) in dst.iter_mut().enumerate() {
                let v = decode(bytes, t);
                *d = if is_stim[k] { (v & STIM_MASK) as f32 } else { (v as f64 * gain + offset) as f32 };
            }
        }
        for range in &annot_ranges {
            parse_tals(&rec[range.clone()], &mut annotations)
                .map_err(|why| Error::format(path, format!("EDF Annotations, data record {}", r + 1), why))?;
        }
    }
    for (k, x) in low {
        let ratio = spr as f64 / spr_of(k) as f64;
        let y = crate::eeg::fir::resample_npad(&x, ratio, Some(0)).map_err(|e| {
            Error::format(
                path,
                format!("signal {} ({})", keep[k] + 1, hdr.signals[keep[k]].label),
                format!(
                    "resampling {} Hz to {} Hz: {e}",
                    spr_of(k) as f64 / hdr.record_duration,
                    spr as f64 / hdr.record_duration
                ),
            )
        })?;
        data.row_mut(k).iter_mut().zip(&y).for_each(|(d, v)| *d = *v as f32);
    }
    let names: Vec<String> = keep.iter().map(|&j| hdr.signals[j].label.clone()).collect();
    let types: Vec<ChannelType> =
        is_stim.iter().map(|&s| if s { ChannelType::Stim } else { ChannelType::Eeg }).collect();
    let mut raw = Raw::new(data, names, types, spr as f64 / hdr.record_duration)
        .map_err(|e| Error::format(path, "signals", e))?;
    raw.set_annotations_unchecked(annotations);
    Ok(raw)
}

/// Parse the time-stamped annotation lists (TALs) of one record's annotation signal (EDF+
/// spec section 2.2.2: `+onset[\x15duration]\x14text\x14[text\x14…]\x00`, then zero
/// padding). Written by hand: no maintained Rust crate reads EDF+ annotations.
fn parse_tals(bytes: &[u8], out: &mut Vec<Annotation>) -> std::result::Result<(), String> {
    for tal in bytes.split(|&b| b == 0).filter(|t| !t.is_empty()) {
        let mut parts = tal.split(|&b| b == 0x14);
        let time = parts.next().unwrap_or_default();
        let mut tp = time.split(|&b| b == 0x15);
        let num = |b: &[u8], what: &str| -> std::result::Result<f64, String> {
            let txt = std::str::from_utf8(b)
                .map_err(|_| format!("{what} is not text (found {})", excerpt(b, 40)))?;
            txt.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{what} {} is not a number", excerpt(b, 40)))
        };
        let onset_b = tp.next().unwrap_or_default();
        if !matches!(onset_b.first(), Some(b'+') | Some(b'-')) {
            return Err(format!("a TAL must start with + or - (found {})", excerpt(onset_b, 40)));
        }
        let onset = num(onset_b, "onset")?;
        let duration = match tp.next() {
            Some(d) if !d.is_empty() => num(d, "duration")?,
            _ => 0.0,
        };
        for text in parts.filter(|t| !t.is_empty()) {
            out.push(Annotation { onset, duration, description: String::from_utf8_lossy(text).into_owned() });
        }
    }
    Ok(())
}

/// Read a BioSemi BDF file (mirrors `mne.io.read_raw_bdf(path, preload=True)`; see
/// [`read_raw_edf_family`] for what is read and how).
pub fn read_raw_bdf(path: impl AsRef<Path>) -> Result<Raw> {
    read_raw_edf_family(path)
}

/// Read an EDF/EDF+ file (mirrors `mne.io.read_raw_edf(path, preload=True)`; channels with
/// lower sampling rates are upsampled to the highest, as MNE does — see
/// [`read_raw_edf_family`]).
pub fn read_raw_edf(path: impl AsRef<Path>) -> Result<Raw> {
    read_raw_edf_family(path)
}

/// [`read_raw_edf`] with MNE's `include` / `exclude`: `read_raw_edf_with(path,
/// &EdfOptions::exclude(&["ECG"]))` is `mne.io.read_raw_edf(path, exclude=["ECG"])`.
pub fn read_raw_edf_with(path: impl AsRef<Path>, opts: &EdfOptions) -> Result<Raw> {
    read_raw_edf_family_with(path, opts)
}

/// [`read_raw_bdf`] with MNE's `include` / `exclude`.
pub fn read_raw_bdf_with(path: impl AsRef<Path>, opts: &EdfOptions) -> Result<Raw> {
    read_raw_edf_family_with(path, opts)
}

/// What to put in a written file's header.
#[derive(Clone, Debug)]
pub struct WriteOptions {
    pub patient: String,
    pub recording: String,
    /// dd.mm.yy
    pub start_date: String,
    /// hh.mm.ss
    pub start_time: String,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            patient: "X X X X".into(),
            recording: "Startdate X X X X".into(),
            start_date: "01.01.26".into(),
            start_time: "00.00.00".into(),
        }
    }
}

/// Write `raw` as a 24-bit BDF file with 1-s data records (BioSemi's layout): EEG/EOG/misc
/// in µV over ±262144 µV (31.25 nV steps, BioSemi's range), stim channels stored as raw
/// integer codes. The sampling rate must be a whole number of Hz; a last partial second is
/// padded with zeros. Written to a temporary file and renamed, so a failure never leaves a
/// file that looks complete.
pub fn write_bdf(path: impl AsRef<Path>, raw: &Raw, opts: &WriteOptions) -> Result<()> {
    let path = path.as_ref();
    let sf = raw.sfreq();
    if sf.fract() != 0.0 || sf < 1.0 || sf > 1e6 {
        return Err(Error::data(format!(
            "{}: BDF needs a whole number of samples per 1-s record, sampling rate is {sf} Hz",
            path.display()
        )));
    }
    let spr = sf as usize;
    let n_ch = raw.ch_names().len();
    let n_t = raw.n_times();
    let n_rec = n_t.div_ceil(spr);
    write_atomically(path, |tmp| {
        let mut w = BufWriter::with_capacity(1 << 20, File::create(tmp).at(tmp)?);
        let mut h: Vec<u8> = Vec::with_capacity(256 * (n_ch + 1));
        let pad = |s: &str, n: usize| -> Vec<u8> {
            let mut b: Vec<u8> = s.bytes().filter(|b| (32..127).contains(b)).take(n).collect();
            b.resize(n, b' ');
            b
        };
        h.push(0xFF);
        h.extend_from_slice(b"BIOSEMI");
        h.extend(pad(&opts.patient, 80));
        h.extend(pad(&opts.recording, 80));
        h.extend(pad(&opts.start_date, 8));
        h.extend(pad(&opts.start_time, 8));
        h.extend(pad(&(256 * (n_ch + 1)).to_string(), 8));
        h.extend(pad("24BIT", 44));
        h.extend(pad(&n_rec.to_string(), 8));
        h.extend(pad("1", 8));
        h.extend(pad(&n_ch.to_string(), 4));
        let (dmin, dmax) = (-8_388_608i32, 8_388_607i32);
        let stim: Vec<bool> = raw.ch_types().iter().map(|t| *t == ChannelType::Stim).collect();
        for c in 0..n_ch {
            h.extend(pad(&raw.ch_names()[c], 16));
        }
        for c in 0..n_ch {
            h.extend(pad(if stim[c] { "Triggers and Status" } else { "Active Electrode" }, 80));
        }
        for c in 0..n_ch {
            h.extend(pad(if stim[c] { "Boolean" } else { "uV" }, 8));
        }
        for c in 0..n_ch {
            h.extend(pad(if stim[c] { "-8388608" } else { "-262144" }, 8));
        }
        for c in 0..n_ch {
            h.extend(pad(if stim[c] { "8388607" } else { "262143" }, 8));
        }
        for _ in 0..n_ch {
            h.extend(pad(&dmin.to_string(), 8));
        }
        for _ in 0..n_ch {
            h.extend(pad(&dmax.to_string(), 8));
        }
        for c in 0..n_ch {
            h.extend(pad(if stim[c] { "No filtering" } else { "HP:DC; LP:104 Hz" }, 80));
        }
        for _ in 0..n_ch {
            h.extend(pad(&spr.to_string(), 8));
        }
        for _ in 0..n_ch {
            h.extend(pad("", 32));
        }
        w.write_all(&h).at(tmp)?;
        // µV → digital: the physical range -262144..262143 µV maps onto -8388608..8388607
        let gain = (262_143.0 + 262_144.0) / (dmax as f64 - dmin as f64);
        let offset = 262_143.0 - gain * dmax as f64;
        let mut rec = vec![0u8; n_ch * spr * 3];
        let data = raw.data();
        for r in 0..n_rec {
            for c in 0..n_ch {
                for t in 0..spr {
                    let idx = r * spr + t;
                    let v = if idx < n_t { data[[c, idx]] as f64 } else { 0.0 };
                    let d = if stim[c] { v.round() } else { ((v * 1e6 - offset) / gain).round() };
                    let d = if d.is_nan() { 0 } else { d.clamp(dmin as f64, dmax as f64) as i32 };
                    let b = d.to_le_bytes();
                    let o = (c * spr + t) * 3;
                    rec[o..o + 3].copy_from_slice(&b[0..3]);
                }
            }
            w.write_all(&rec).at(tmp)?;
        }
        w.flush().at(tmp)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small_raw() -> Raw {
        let sf = 256.0;
        let n = 256 * 3 + 100;
        let data = Array2::from_shape_fn((3, n), |(c, t)| match c {
            0 => (1e-5 * (t as f64 / 10.0).sin()) as f32,
            1 => (-2.5e-5 + 1e-8 * t as f64) as f32,
            _ => {
                if t % 200 == 5 {
                    7.0
                } else {
                    0.0
                }
            }
        });
        Raw::new(
            data,
            vec!["Cz".into(), "P8".into(), "Status".into()],
            vec![ChannelType::Eeg, ChannelType::Eeg, ChannelType::Stim],
            sf,
        )
        .unwrap()
    }

    #[test]
    fn bdf_round_trip_within_a_quantum() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.bdf");
        let raw = small_raw();
        write_bdf(&p, &raw, &WriteOptions::default()).unwrap();
        let back = read_raw_bdf(&p).unwrap();
        assert_eq!(back.ch_names(), raw.ch_names());
        assert_eq!(back.sfreq(), 256.0);
        assert_eq!(back.n_times(), 256 * 4); // padded to whole records
        assert_eq!(back.ch_types()[2], ChannelType::Stim);
        for c in 0..2 {
            for t in 0..raw.n_times() {
                let d = (back.data()[[c, t]] - raw.data()[[c, t]]).abs();
                assert!(d <= 32e-9, "channel {c} sample {t}: off by {d} V");
            }
        }
        let codes: Vec<f32> = back.data().row(2).iter().copied().filter(|&v| v != 0.0).collect();
        assert_eq!(codes, vec![7.0; 5]); // t = 5, 205, 405, 605, 805
        let h = read_header(&p).unwrap();
        assert_eq!(
            (h.flavor, h.n_records, h.signals.len(), h.reserved.as_str()),
            (Flavor::Bdf, 4, 3, "24BIT")
        );
    }

    #[test]
    fn same_input_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.bdf"), dir.path().join("b.bdf"));
        write_bdf(&a, &small_raw(), &WriteOptions::default()).unwrap();
        write_bdf(&b, &small_raw(), &WriteOptions::default()).unwrap();
        assert_eq!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    }

    fn expect_err(bytes: &[u8], needle: &str) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.bdf");
        std::fs::write(&p, bytes).unwrap();
        let e = read_raw_bdf(&p).unwrap_err().to_string();
        assert!(e.contains("bad.bdf") && e.contains(needle), "expected {needle:?} in: {e}");
    }

    #[test]
    fn tals_parse_and_bad_tals_are_errors() {
        let mut out = Vec::new();
        parse_tals(b"+0\x14\x14\x00+1.5\x152.25\x14Stim A\x14Stim B\x14\x00\x00\x00", &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].onset, out[0].duration, out[0].description.as_str()), (1.5, 2.25, "Stim A"));
        assert_eq!(out[1].description, "Stim B");
        assert!(parse_tals(b"1.5\x14x\x14\x00", &mut out).unwrap_err().contains("must start with"));
        assert!(parse_tals(b"+abc\x14x\x14\x00", &mut out).unwrap_err().contains("onset"));
        assert!(parse_tals(b"+1\x15NaN\x14x\x14\x00", &mut out).unwrap_err().contains("duration"));
    }

    #[test]
    fn bad_files_give_errors_naming_file_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("good.bdf");
        write_bdf(&p, &small_raw(), &WriteOptions::default()).unwrap();
        let good = std::fs::read(&p).unwrap();
        // truncated mid-record
        expect_err(&good[..good.len() - 10], "truncated");
        // truncated by whole records: header claims more than the file holds
        let rec = 3 * 256 * 3;
        expect_err(&good[..good.len() - rec], "header says 4 data records");
        // header bytes larger than the file
        expect_err(&good[..500], "header bytes");
        // a huge record count must not allocate
        let mut huge = good.clone();
        huge[236..244].copy_from_slice(b"99999999");
        expect_err(&huge, "header says 99999999 data records");
        // garbage in a numeric field
        let mut g = good.clone();
        g[252..256].copy_from_slice(b"abc ");
        expect_err(&g, "number of signals");
        // not a BDF at all
        expect_err(b"hello", "256 bytes");
        let mut v = good.clone();
        v[0] = b'X';
        expect_err(&v, "version");
        // zero samples per record for a signal
        let mut z = good.clone();
        let off = 256 + 3 * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80);
        z[off..off + 8].copy_from_slice(b"0       ");
        expect_err(&z, "signal 1 number of samples");
        // a record duration of 1e-9 s (a 256-sample record would be 256 GHz)
        let mut r = good.clone();
        r[244..252].copy_from_slice(b"1e-9    ");
        expect_err(&r, "0.001 to 3600 seconds");
        // a header-only file whose signals claim 2^24 samples per record: refused before
        // any record is allocated
        let mut big = good[..256 * 4].to_vec();
        for c in 0..3 {
            let off = 256 + 3 * (16 + 80 + 8 + 8 + 8 + 8 + 8 + 80) + 8 * c;
            big[off..off + 8].copy_from_slice(b"16777216");
        }
        big[236..244].copy_from_slice(b"-1      ");
        expect_err(&big, "Hz");
        big[244..252].copy_from_slice(b"3600    ");
        expect_err(&big, "one data record takes");
        // no data records at all
        let mut none = good[..256 * 4].to_vec();
        none[236..244].copy_from_slice(b"0       ");
        expect_err(&none, "no data records");
        // digital range empty
        let mut d = good.clone();
        let off = 256 + 3 * (16 + 80 + 8 + 8 + 8 + 8);
        d[off..off + 8].copy_from_slice(b"-8388608");
        expect_err(&d, "digital maximum");
    }
}
