//! [`Raw`]: a continuous multichannel recording, the value an EEG session starts from.
//! Mirrors MNE-Python's `mne.io.Raw` (data in volts, channel names and types, `sfreq`,
//! `info['bads']`); differences: samples are stored as `f32` (a one-hour 128-channel BioSemi
//! recording must fit in memory: 24-bit samples become 4 bytes, not 8), and methods that
//! transform return a new `Raw` instead of changing this one.

use ndarray::{Array2, ArrayView1, Axis};

use crate::error::{Error, Result};

/// What a channel records (MNE's channel types).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelType {
    Eeg,
    Eog,
    /// trigger / status channel holding event codes
    Stim,
    Misc,
}

/// A continuous recording: `data[[channel, sample]]` in volts (stim channels: integer codes).
#[derive(Clone, Debug)]
pub struct Raw {
    data: Array2<f32>,
    ch_names: Vec<String>,
    ch_types: Vec<ChannelType>,
    sfreq: f64,
    /// channels marked bad (MNE's `info['bads']`)
    pub bads: Vec<String>,
}

impl Raw {
    /// Build from parts, checking that they agree (MNE `RawArray(data, info)`).
    pub fn new(data: Array2<f32>, ch_names: Vec<String>, ch_types: Vec<ChannelType>, sfreq: f64) -> Result<Self> {
        let (n_ch, n_t) = data.dim();
        if ch_names.len() != n_ch || ch_types.len() != n_ch {
            return Err(Error::shape("Raw channels", format!("{n_ch} names and types (rows of data)"), format!("{} names, {} types", ch_names.len(), ch_types.len())));
        }
        if !(sfreq.is_finite() && sfreq > 0.0) {
            return Err(Error::data(format!("Raw: sampling frequency must be positive, got {sfreq}")));
        }
        if n_t == 0 {
            return Err(Error::data("Raw: no samples"));
        }
        for (i, n) in ch_names.iter().enumerate() {
            if ch_names[..i].contains(n) {
                return Err(Error::data(format!("Raw: channel name {n:?} appears twice")));
            }
        }
        Ok(Raw { data, ch_names, ch_types, sfreq, bads: Vec::new() })
    }
    /// Samples, channels × times.
    pub fn data(&self) -> &Array2<f32> {
        &self.data
    }
    /// Channel names.
    pub fn ch_names(&self) -> &[String] {
        &self.ch_names
    }
    /// Channel types.
    pub fn ch_types(&self) -> &[ChannelType] {
        &self.ch_types
    }
    /// Sampling frequency in Hz.
    pub fn sfreq(&self) -> f64 {
        self.sfreq
    }
    /// Number of samples.
    pub fn n_times(&self) -> usize {
        self.data.ncols()
    }
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.n_times() as f64 / self.sfreq
    }
    /// Index of a channel by name, or an error listing a few known names.
    pub fn ch_index(&self, name: &str) -> Result<usize> {
        self.ch_names.iter().position(|n| n == name).ok_or_else(|| {
            let some: Vec<&str> = self.ch_names.iter().take(8).map(|s| s.as_str()).collect();
            Error::data(format!("no channel {name:?}; channels are {}{}", some.join(", "), if self.ch_names.len() > 8 { ", …" } else { "" }))
        })
    }
    /// One channel's samples.
    pub fn channel(&self, name: &str) -> Result<ArrayView1<'_, f32>> {
        Ok(self.data.index_axis(Axis(0), self.ch_index(name)?))
    }
}

impl Raw {
    /// Zero-phase Butterworth filtering of the EEG/EOG channels (stim channels are left as
    /// they are): a band-pass when both edges are given, else a high- or low-pass.
    /// Mirrors `raw.filter(l_freq, h_freq, method="iir", iir_params=dict(order=order,
    /// ftype="butter"))` in MNE, with scipy's `sosfiltfilt` edge padding (MNE pads by an
    /// estimate of the filter's ringing instead, so the first and last second can differ).
    /// Returns a new `Raw`; channels run in parallel.
    pub fn filter_iir(&self, l_freq: Option<f64>, h_freq: Option<f64>, order: usize) -> Result<Raw> {
        use crate::eeg::filter::{butter, Band};
        use rayon::prelude::*;
        let band = match (l_freq, h_freq) {
            (Some(l), Some(h)) => Band::Bandpass(l, h),
            (Some(l), None) => Band::Highpass(l),
            (None, Some(h)) => Band::Lowpass(h),
            (None, None) => return Err(Error::data("filter: give l_freq, h_freq or both")),
        };
        let sos = butter(order, band, self.sfreq)?;
        let rows: Vec<Result<Vec<f32>>> = (0..self.ch_names.len())
            .into_par_iter()
            .map(|c| {
                let row = self.data.row(c);
                if self.ch_types[c] == ChannelType::Stim {
                    return Ok(row.to_vec());
                }
                let x: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                let y = sos.filtfilt(&x).map_err(|e| Error::data(format!("channel {}: {e}", self.ch_names[c])))?;
                Ok(y.into_iter().map(|v| v as f32).collect())
            })
            .collect();
        let mut out = self.clone();
        for (c, r) in rows.into_iter().enumerate() {
            out.data.row_mut(c).assign(&ndarray::ArrayView1::from(&r?[..]));
        }
        Ok(out)
    }
}
