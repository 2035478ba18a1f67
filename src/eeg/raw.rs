//! [`Raw`]: a continuous multichannel recording, the value an EEG session starts from.
//! Mirrors MNE-Python's `mne.io.Raw` (data in volts, channel names and types, `sfreq`,
//! `info['bads']`); differences: samples are stored as `f32` (a one-hour 128-channel BioSemi
//! recording must fit in memory: 24-bit samples become 4 bytes, not 8), and methods that
//! transform return a new `Raw` instead of changing this one.

use ndarray::{Array2, ArrayView1, Axis};

pub use crate::eeg::info::ChannelType;
use crate::eeg::info::Info;
use crate::error::{Error, Result};

/// MNE's default `skip_by_annotation` for `raw.filter` and `raw.notch_filter`: segments
/// between `EDGE…` (file joins) and inside `BAD_ACQ_SKIP…` (acquisition gaps) annotations are
/// filtered separately.
pub const MNE_SKIP_BY_ANNOTATION: [&str; 2] = ["edge", "bad_acq_skip"];

/// How [`Raw::filter_with`] filters (MNE's `method="fir"` / `method="iir"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterMethod {
    /// MNE's default FIR filter (firwin, Hamming window, automatic length)
    Fir,
    /// a zero-phase Butterworth filter of this order (MNE `iir_params=dict(order, ftype="butter")`)
    Iir { order: usize },
}

/// A continuous recording: `data[[channel, sample]]` in volts (stim channels: integer codes),
/// its channels' [`Info`] and its annotations. Fields are private: the data and the channel
/// list always agree, and bad channels and annotations change only through checked methods
/// ([`Raw::with_bads`], [`Raw::set_annotations`], [`Raw::set_montage`]).
#[derive(Clone, Debug)]
pub struct Raw {
    data: Array2<f32>,
    info: Info,
    /// time spans marked with a description (MNE's `raw.annotations`); epochs overlapping a
    /// span whose description starts with "BAD" are dropped
    annotations: Vec<Annotation>,
}

/// A marked time span (MNE's `Annotations`, one row): onset and duration in seconds from the
/// start of the recording. A plain record: [`Raw::set_annotations`] checks the values.
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    pub onset: f64,
    pub duration: f64,
    pub description: String,
}

impl Raw {
    /// Build from parts, checking that they agree (MNE `RawArray(data, info)`).
    pub fn new(
        data: Array2<f32>,
        ch_names: Vec<String>,
        ch_types: Vec<ChannelType>,
        sfreq: f64,
    ) -> Result<Self> {
        let (n_ch, n_t) = data.dim();
        if ch_names.len() != n_ch || ch_types.len() != n_ch {
            return Err(Error::shape(
                "Raw channels",
                format!("{n_ch} names and types (rows of data)"),
                format!("{} names, {} types", ch_names.len(), ch_types.len()),
            ));
        }
        if !(sfreq.is_finite() && sfreq > 0.0) {
            return Err(Error::data(format!("Raw: sampling frequency must be positive, got {sfreq}")));
        }
        if n_t == 0 {
            return Err(Error::data("Raw: no samples"));
        }
        let info = Info::checked("Raw", ch_names, ch_types, sfreq)?;
        Ok(Raw { data, info, annotations: Vec::new() })
    }
    /// Samples, channels × times.
    pub fn data(&self) -> &Array2<f32> {
        &self.data
    }
    /// The channels' names, types, sampling rate, bad channels and montage (MNE `raw.info`).
    pub fn info(&self) -> &Info {
        &self.info
    }
    /// Channel names.
    pub fn ch_names(&self) -> &[String] {
        self.info.ch_names()
    }
    /// Channel types.
    pub fn ch_types(&self) -> &[ChannelType] {
        self.info.ch_types()
    }
    /// Sampling frequency in Hz.
    pub fn sfreq(&self) -> f64 {
        self.info.sfreq()
    }
    /// Channels marked bad (MNE `raw.info["bads"]`).
    pub fn bads(&self) -> &[String] {
        self.info.bads()
    }
    /// The marked time spans (MNE `raw.annotations`).
    pub fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }
    /// Number of samples.
    pub fn n_times(&self) -> usize {
        self.data.ncols()
    }
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.n_times() as f64 / self.sfreq()
    }
    /// Index of a channel by name, or an error listing a few known names.
    pub fn ch_index(&self, name: &str) -> Result<usize> {
        self.info.ch_index(name)
    }
    /// One channel's samples.
    pub fn channel(&self, name: &str) -> Result<ArrayView1<'_, f32>> {
        Ok(self.data.index_axis(Axis(0), self.ch_index(name)?))
    }
    /// Replace the annotations without checking them (readers, whose values come from the
    /// file as MNE reads them).
    pub(crate) fn set_annotations_unchecked(&mut self, annotations: Vec<Annotation>) {
        self.annotations = annotations;
    }
    /// Mark channels bad in place, checking that they exist (the simulator, which must not
    /// copy a recording of hundreds of megabytes to mark two channels).
    pub(crate) fn mark_bads<S: AsRef<str>>(&mut self, bads: &[S]) -> Result<()> {
        self.info = self.info.with_bads(bads)?;
        Ok(())
    }
}

impl Raw {
    /// Times of the samples in seconds (MNE `raw.times`).
    pub fn times(&self) -> Vec<f64> {
        (0..self.n_times()).map(|i| i as f64 / self.sfreq()).collect()
    }

    /// Indices of the EEG channels not marked bad (MNE `pick_types(eeg=True, exclude="bads")`).
    pub fn good_eeg(&self) -> Vec<usize> {
        self.info.good_eeg()
    }

    /// Mark channels bad (MNE `raw.info["bads"] = [...]`), checking that they exist; the
    /// list replaces the previous one.
    pub fn with_bads<S: AsRef<str>>(&self, bads: &[S]) -> Result<Raw> {
        Ok(Raw { info: self.info.with_bads(bads)?, ..self.clone() })
    }

    /// Replace the annotations (MNE `raw.set_annotations(annot)`), checking each: a finite
    /// onset and a finite, non-negative duration (MNE's `Annotations` refuses the same).
    /// Spans may reach outside the recording; they are clipped where they are used.
    pub fn set_annotations(&self, annotations: Vec<Annotation>) -> Result<Raw> {
        if let Some((i, a)) = annotations
            .iter()
            .enumerate()
            .find(|(_, a)| !(a.onset.is_finite() && a.duration.is_finite() && a.duration >= 0.0))
        {
            return Err(Error::data(format!(
                "set_annotations: annotation {i} ({:?}) has onset {} s and duration {} s; \
                 both must be finite numbers and the duration at least 0",
                a.description, a.onset, a.duration
            )));
        }
        Ok(Raw { annotations, ..self.clone() })
    }

    /// Electrode positions for the topomaps (MNE `raw.set_montage(montage)`, with its default
    /// `on_missing="raise"`: every EEG channel needs a position). Without a montage, brainml
    /// places 10-10 names at their standard positions ([`crate::eeg::Montage::from_names`]).
    pub fn set_montage(&self, montage: &crate::eeg::Montage) -> Result<Raw> {
        Ok(Raw { info: self.info.set_montage(montage)?, ..self.clone() })
    }

    /// Keep only these channels, in this order (MNE `raw.pick(names)`).
    pub fn pick(&self, names: &[&str]) -> Result<Raw> {
        let idx: Vec<usize> = names.iter().map(|n| self.ch_index(n)).collect::<Result<_>>()?;
        Ok(Raw {
            data: self.data.select(Axis(0), &idx),
            info: self.info.pick(&idx)?,
            annotations: self.annotations.clone(),
        })
    }

    /// Drop channels (MNE `raw.drop_channels(names)`).
    pub fn drop_channels(&self, names: &[&str]) -> Result<Raw> {
        for n in names {
            self.ch_index(n)?;
        }
        let keep: Vec<&str> =
            self.ch_names().iter().map(|s| s.as_str()).filter(|n| !names.contains(n)).collect();
        self.pick(&keep)
    }

    /// Keep `tmin ..= tmax` seconds (MNE `raw.crop(tmin, tmax)`); annotations move with it.
    pub fn crop(&self, tmin: f64, tmax: f64) -> Result<Raw> {
        if !(tmin >= 0.0 && tmax > tmin && tmin < self.duration()) {
            return Err(Error::data(format!(
                "crop: need 0 ≤ tmin < tmax and tmin < {:.3} s, got {tmin}…{tmax}",
                self.duration()
            )));
        }
        let sf = self.sfreq();
        let a = (tmin * sf).round() as usize;
        let b = ((tmax * sf).round() as usize + 1).min(self.n_times());
        let t0 = a as f64 / sf;
        Ok(Raw {
            data: self.data.slice(ndarray::s![.., a..b]).to_owned(),
            info: self.info.clone(),
            annotations: self
                .annotations
                .iter()
                .filter(|x| x.onset + x.duration > t0 && x.onset < tmax)
                .map(|x| Annotation { onset: x.onset - t0, ..x.clone() })
                .collect(),
        })
    }

    /// Join recordings end to end (MNE `mne.concatenate_raws`): same channels and sampling
    /// rate required; each junction gets two zero-length annotations, as in MNE: `BAD
    /// boundary`, so no epoch straddles two files, and `EDGE boundary`, so filtering and
    /// resampling treat each file as its own segment ([`MNE_SKIP_BY_ANNOTATION`]).
    pub fn concatenate(raws: &[Raw]) -> Result<Raw> {
        let first = raws.first().ok_or_else(|| Error::data("concatenate: no recordings"))?;
        for (i, r) in raws.iter().enumerate() {
            if !r.info.same_channels(&first.info) {
                return Err(Error::data(format!(
                    "concatenate: recording {i} has different channels or sampling rate from recording 0"
                )));
            }
        }
        let views: Vec<_> = raws.iter().map(|r| r.data.view()).collect();
        let data = ndarray::concatenate(Axis(1), &views)?;
        let mut info = first.info.clone();
        let mut annotations = Vec::new();
        let mut offset = 0.0;
        for (i, r) in raws.iter().enumerate() {
            if i > 0 {
                for description in ["BAD boundary", "EDGE boundary"] {
                    annotations.push(Annotation {
                        onset: offset,
                        duration: 0.0,
                        description: description.into(),
                    });
                }
            }
            annotations
                .extend(r.annotations.iter().map(|a| Annotation { onset: a.onset + offset, ..a.clone() }));
            info.add_bads(r.bads());
            offset += r.duration();
        }
        Ok(Raw { data, info, annotations })
    }

    /// The contiguous sample ranges between the annotations whose description starts with one
    /// of `kinds` (any case): MNE's `_annotations_starts_stops(raw, kinds, invert=True)`
    /// (`mne/annotations.py`), which `raw.filter(..., skip_by_annotation=…)` filters one by
    /// one. A span annotation cuts its samples out; a zero-length one (a file join) splits
    /// a segment in two. Empty ranges are left out.
    pub fn annotation_segments(&self, kinds: &[&str]) -> Vec<std::ops::Range<usize>> {
        let n = self.n_times();
        let mut keep = vec![true; n];
        let mut cuts = Vec::new();
        for (s0, s1) in self.annotation_samples(kinds) {
            if s0 == s1 {
                cuts.push(s0);
            }
            keep[s0..s1].iter_mut().for_each(|k| *k = false);
        }
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        let mut i = 0;
        while i < n {
            if keep[i] {
                let a = i;
                while i < n && keep[i] {
                    i += 1;
                }
                starts.push(a);
                ends.push(i);
            } else {
                i += 1;
            }
        }
        starts.extend(&cuts);
        ends.extend(&cuts);
        starts.sort_unstable();
        ends.sort_unstable();
        starts.into_iter().zip(ends).filter(|(a, b)| b > a).map(|(a, b)| a..b).collect()
    }

    /// The sample spans `[start, end)` of the annotations whose description starts with one of
    /// `kinds` (any case), rounded as MNE's `raw.time_as_index(..., use_rounding=True)`.
    fn annotation_samples(&self, kinds: &[&str]) -> Vec<(usize, usize)> {
        let n = self.n_times();
        let to_idx = |t: f64| ((t * self.sfreq()).round_ties_even().max(0.0) as usize).min(n);
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_uppercase()).collect();
        self.annotations
            .iter()
            .filter(|a| {
                let d = a.description.to_uppercase();
                kinds.iter().any(|k| d.starts_with(k.as_str()))
            })
            .map(|a| (to_idx(a.onset), to_idx(a.onset + a.duration.max(0.0))))
            .collect()
    }

    /// Apply `f` to every EEG/EOG/misc channel (stim channels are left alone), in parallel,
    /// separately on each segment between `skip` annotations (samples inside a skipped span
    /// are left as they are, as MNE does).
    fn map_data_channels(
        &self,
        what: &str,
        skip: &[&str],
        f: impl Fn(&[f64]) -> Result<Vec<f64>> + Sync,
    ) -> Result<Raw> {
        use rayon::prelude::*;
        let segments = self.annotation_segments(skip);
        let rows: Vec<Result<Option<Vec<f32>>>> = (0..self.info.n_channels())
            .into_par_iter()
            .map(|c| {
                if self.ch_types()[c] == ChannelType::Stim {
                    return Ok(None);
                }
                let row = self.data.row(c);
                let mut out: Vec<f32> = row.to_vec();
                for seg in &segments {
                    let x: Vec<f64> = row.slice(ndarray::s![seg.clone()]).iter().map(|&v| v as f64).collect();
                    let y = f(&x).map_err(|e| {
                        let where_ = if segments.len() > 1 {
                            format!(
                                " (segment {:.3}–{:.3} s)",
                                seg.start as f64 / self.sfreq(),
                                seg.end as f64 / self.sfreq()
                            )
                        } else {
                            String::new()
                        };
                        Error::data(format!("{what}, channel {}{where_}: {e}", self.ch_names()[c]))
                    })?;
                    out[seg.clone()].iter_mut().zip(y).for_each(|(o, v)| *o = v as f32);
                }
                Ok(Some(out))
            })
            .collect();
        let mut out = self.clone();
        for (c, r) in rows.into_iter().enumerate() {
            if let Some(r) = r? {
                out.data.row_mut(c).assign(&ndarray::ArrayView1::from(&r[..]));
            }
        }
        Ok(out)
    }

    /// Zero-phase filtering with MNE's default FIR filter — `raw.filter(l_freq, h_freq)` in
    /// MNE (firwin design, Hamming window, automatic transition bands and length; see
    /// [`crate::eeg::fir`]): a band-pass with both edges, a high-pass with only `l_freq`, a
    /// low-pass with only `h_freq`. Stim channels are left alone; channels run in parallel.
    /// As in MNE (`skip_by_annotation=("edge", "bad_acq_skip")`), each segment between file
    /// joins ([`Raw::concatenate`]) is filtered on its own; see [`Raw::filter_with`].
    pub fn filter(&self, l_freq: Option<f64>, h_freq: Option<f64>) -> Result<Raw> {
        self.filter_with(l_freq, h_freq, FilterMethod::Fir, &MNE_SKIP_BY_ANNOTATION)
    }

    /// Zero-phase Butterworth filtering: MNE's `raw.filter(l_freq, h_freq, method="iir",
    /// iir_params=dict(order=order, ftype="butter"))`, with MNE's padding (the filter's
    /// ringing length, reflected), segment by segment as [`Raw::filter`]. Stim channels are
    /// left alone.
    pub fn filter_iir(&self, l_freq: Option<f64>, h_freq: Option<f64>, order: usize) -> Result<Raw> {
        self.filter_with(l_freq, h_freq, FilterMethod::Iir { order }, &MNE_SKIP_BY_ANNOTATION)
    }

    /// MNE's `raw.filter(l_freq, h_freq, method=…, skip_by_annotation=…)`: the segments
    /// between annotations whose description starts with one of `skip_by_annotation` (any
    /// case) are filtered separately, and samples inside such spans are left unfiltered.
    /// `&[]` filters straight across everything (MNE `skip_by_annotation=()`).
    pub fn filter_with(
        &self,
        l_freq: Option<f64>,
        h_freq: Option<f64>,
        method: FilterMethod,
        skip_by_annotation: &[&str],
    ) -> Result<Raw> {
        match method {
            FilterMethod::Fir => {
                let fir = crate::eeg::fir::Fir::design(self.sfreq(), l_freq, h_freq, None, None)?;
                self.map_data_channels("filter", skip_by_annotation, |x| fir.apply(x))
            }
            FilterMethod::Iir { order } => {
                use crate::eeg::filter::{butter, Band};
                let band = match (l_freq, h_freq) {
                    (Some(l), Some(h)) => Band::Bandpass(l, h),
                    (Some(l), None) => Band::Highpass(l),
                    (None, Some(h)) => Band::Lowpass(h),
                    (None, None) => return Err(Error::data("filter: give l_freq, h_freq or both")),
                };
                let sos = butter(order, band, self.sfreq())?;
                self.map_data_channels("filter_iir", skip_by_annotation, |x| sos.filtfilt_mne(x))
            }
        }
    }

    /// Remove line noise: MNE's `raw.notch_filter(freqs)` with its FIR defaults (stop bands
    /// of `f/200` Hz plus 1 Hz transitions), segment by segment as [`Raw::filter`].
    pub fn notch_filter(&self, freqs: &[f64]) -> Result<Raw> {
        self.notch_filter_with(freqs, &MNE_SKIP_BY_ANNOTATION)
    }

    /// MNE's `raw.notch_filter(freqs, skip_by_annotation=…)`.
    pub fn notch_filter_with(&self, freqs: &[f64], skip_by_annotation: &[&str]) -> Result<Raw> {
        let fir = crate::eeg::fir::Fir::notch(self.sfreq(), freqs, None)?;
        self.map_data_channels("notch_filter", skip_by_annotation, |x| fir.apply(x))
    }

    /// Change the sampling rate: MNE's `raw.resample(sfreq)` (FFT method, `npad="auto"`,
    /// boxcar window; cutting the spectrum is the anti-aliasing filter). Stim channels keep
    /// their events: each new sample takes the first non-zero code in its span, as MNE does.
    /// A joined recording is resampled file by file, as MNE resamples each part of a
    /// concatenated Raw on its own: brainml takes the parts from the `EDGE boundary`
    /// annotations that [`Raw::concatenate`] writes. Annotations keep their times in seconds.
    pub fn resample(&self, sfreq: f64) -> Result<Raw> {
        if !(sfreq.is_finite() && sfreq > 0.0) {
            return Err(Error::data(format!(
                "resample: new sampling frequency must be positive, got {sfreq}"
            )));
        }
        let ratio = sfreq / self.sfreq();
        // the parts: split only at zero-length "EDGE" annotations (file joins)
        let mut cuts: Vec<usize> = self
            .annotation_samples(&["edge"])
            .into_iter()
            .filter(|&(s0, s1)| s0 == s1 && s0 > 0 && s0 < self.n_times())
            .map(|(s0, _)| s0)
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let bounds: Vec<usize> =
            std::iter::once(0).chain(cuts).chain(std::iter::once(self.n_times())).collect();
        let parts: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
        let new_lens: Vec<usize> =
            parts.iter().map(|(a, b)| ((ratio * (b - a) as f64).round_ties_even() as usize).max(1)).collect();
        let n_new: usize = new_lens.iter().sum();
        let resampled = {
            use rayon::prelude::*;
            (0..self.info.n_channels())
                .into_par_iter()
                .map(|c| {
                    let mut out = Vec::with_capacity(n_new);
                    for (&(a, b), &m) in parts.iter().zip(&new_lens) {
                        let row = self.data.slice(ndarray::s![c, a..b]);
                        if self.ch_types()[c] == ChannelType::Stim {
                            // MNE `_resample_stim_channels`
                            let n = row.len();
                            let picks: Vec<usize> =
                                (0..m).map(|i| ((i as f64 / ratio) as usize).min(n - 1)).collect();
                            out.extend((0..m).map(|i| {
                                let (a, b) = (picks[i], if i + 1 < m { picks[i + 1] } else { n });
                                row.slice(ndarray::s![a..b.max(a + 1).min(n)])
                                    .iter()
                                    .copied()
                                    .find(|&v| v != 0.0)
                                    .unwrap_or(row[a])
                            }));
                            continue;
                        }
                        let x: Vec<f64> = row.iter().map(|&v| v as f64).collect();
                        let y = crate::eeg::fir::resample(&x, ratio).map_err(|e| {
                            Error::data(format!("resample, channel {}: {e}", self.ch_names()[c]))
                        })?;
                        out.extend(y.into_iter().map(|v| v as f32));
                    }
                    Ok(out)
                })
                .collect::<Vec<Result<Vec<f32>>>>()
        };
        let mut data = Array2::<f32>::zeros((self.info.n_channels(), n_new));
        for (c, r) in resampled.into_iter().enumerate() {
            data.row_mut(c).assign(&ndarray::ArrayView1::from(&r?[..]));
        }
        Ok(Raw { data, info: self.info.with_sfreq(sfreq), annotations: self.annotations.clone() })
    }

    /// Average reference: subtract, at every sample, the mean of the good EEG channels from
    /// every EEG channel — MNE's `raw.set_eeg_reference("average")` (bad channels are left
    /// out of the mean, as in MNE).
    pub fn set_eeg_reference_average(&self) -> Result<Raw> {
        let good = self.good_eeg();
        if good.is_empty() {
            return Err(Error::data("set_eeg_reference: no good EEG channels to average"));
        }
        let mean =
            self.data.select(Axis(0), &good).mean_axis(Axis(0)).ok_or_else(|| Error::data("no samples"))?;
        let mut out = self.clone();
        for c in 0..self.info.n_channels() {
            if self.ch_types()[c] == ChannelType::Eeg {
                let mut row = out.data.row_mut(c);
                row -= &mean;
            }
        }
        Ok(out)
    }
}
