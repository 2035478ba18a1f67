//! [`Epochs`]: the recording cut around each event, and [`Evoked`]: their average.
//! Mirrors MNE's `mne.Epochs` / `mne.Evoked`: `tmin`/`tmax` around each event, baseline
//! `(None, 0)` by default, epochs overlapping a `BAD…` annotation dropped, peak-to-peak
//! rejection with a drop log, event names with "/"-separated tags (`epochs.get("face")`
//! selects `face/famous` and `face/unfamiliar`, as `epochs["face"]` does in MNE).

use ndarray::{s, Array2, Array3, Axis};
use polars::prelude::*;

use crate::eeg::events::Events;
use crate::eeg::info::{ChannelType, Info};
use crate::eeg::raw::Raw;
use crate::error::{Error, Result};

/// Epochs: `data[[epoch, channel, time]]` in volts, with the recording's [`Info`] (its
/// stim channels left out). Fields are private: data, times, channels and the event list
/// always agree.
#[derive(Clone, Debug)]
pub struct Epochs {
    data: Array3<f64>,
    times: Vec<f64>,
    /// the channels (bad channels carried over from the raw recording)
    info: Info,
    /// per kept epoch: (event sample in the raw recording, code, event name)
    events: Vec<(usize, i32, String)>,
    /// the sampling rate of those event samples (the raw recording's: decimation changes
    /// the epochs' rate, not where the events were)
    events_sfreq: f64,
    /// per kept epoch: its index among all events
    selection: Vec<usize>,
    /// per original event: why it was dropped (empty = kept), MNE's `epochs.drop_log`
    drop_log: Vec<Vec<String>>,
    baseline: Option<(f64, f64)>,
}

fn tags_match(name: &str, key: &str) -> bool {
    let tags: Vec<&str> = name.split('/').collect();
    key.split('/').all(|k| tags.contains(&k))
}

impl Epochs {
    /// Cut epochs from `tmin` to `tmax` seconds around each event whose code is in
    /// `event_id` (MNE `mne.Epochs(raw, events, event_id, tmin, tmax)`): baseline-corrected
    /// with `(tmin, 0)` (MNE's default `baseline=(None, 0)`), epochs that overlap a `BAD…`
    /// annotation or run past the recording dropped (and logged). Stim channels are not kept.
    pub fn new(raw: &Raw, events: &Events, event_id: &[(&str, i32)], tmin: f64, tmax: f64) -> Result<Epochs> {
        if !(tmin.is_finite() && tmax.is_finite() && tmax > tmin) {
            return Err(Error::data(format!("Epochs: need tmin < tmax, got {tmin} … {tmax}")));
        }
        if event_id.is_empty() {
            return Err(Error::data("Epochs: event_id is empty"));
        }
        if (events.sfreq() - raw.sfreq()).abs() > 1e-9 {
            return Err(Error::data(format!("Epochs: events were found at {} Hz but the recording is at {} Hz (resampled after find_events?)", events.sfreq(), raw.sfreq())));
        }
        for (name, code) in event_id {
            if !events.codes().contains(code) {
                return Err(Error::data(format!(
                    "Epochs: no event with code {code} ({name:?}); codes present: {:?}",
                    {
                        let mut c = events.codes().to_vec();
                        c.sort_unstable();
                        c.dedup();
                        c
                    }
                )));
            }
        }
        let sf = raw.sfreq();
        let (a, b) = ((tmin * sf).round() as i64, (tmax * sf).round() as i64);
        // checked before anything is allocated: an epoch cannot be longer than the recording
        let n_epoch = b.saturating_sub(a).saturating_add(1);
        if n_epoch > raw.n_times() as i64 {
            return Err(Error::data(format!(
                "Epochs: {tmin} … {tmax} s is {n_epoch} samples at {sf} Hz, longer than the whole recording ({} samples)",
                raw.n_times()
            )));
        }
        let times: Vec<f64> = (a..=b).map(|i| i as f64 / sf).collect();
        let chans: Vec<usize> =
            (0..raw.ch_names().len()).filter(|&c| raw.ch_types()[c] != ChannelType::Stim).collect();
        let n_t = times.len();
        let bad_spans: Vec<(f64, f64)> = raw
            .annotations()
            .iter()
            .filter(|x| x.description.to_uppercase().starts_with("BAD"))
            .map(|x| (x.onset, x.onset + x.duration))
            .collect();
        let mut kept: Vec<(usize, usize, i32, String)> = Vec::new();
        let mut drop_log = vec![Vec::new(); events.len()];
        for (k, (&smp, &code)) in events.samples().iter().zip(events.codes()).enumerate() {
            let Some((name, _)) = event_id.iter().find(|(_, c)| *c == code) else {
                drop_log[k].push("IGNORED".to_string());
                continue;
            };
            let (s0, s1) = (smp as i64 + a, smp as i64 + b);
            if s0 < 0 || s1 >= raw.n_times() as i64 {
                drop_log[k].push("NO_DATA".to_string());
                continue;
            }
            let (t0, t1) = (s0 as f64 / sf, s1 as f64 / sf);
            if let Some(desc) = raw
                .annotations()
                .iter()
                .zip(&bad_spans)
                .find(|(_, &(o, e))| o <= t1 && e >= t0)
                .map(|(x, _)| x.description.clone())
            {
                drop_log[k].push(desc);
                continue;
            }
            kept.push((k, s0 as usize, code, name.to_string()));
        }
        let mut data = Array3::<f64>::zeros((kept.len(), chans.len(), n_t));
        for (e, (_, s0, _, _)) in kept.iter().enumerate() {
            for (ci, &c) in chans.iter().enumerate() {
                let src = raw.data().slice(s![c, *s0..*s0 + n_t]);
                data.slice_mut(s![e, ci, ..]).iter_mut().zip(src.iter()).for_each(|(d, &v)| *d = v as f64);
            }
        }
        let ep = Epochs {
            data,
            times,
            info: raw.info().pick(&chans)?,
            events: kept.iter().map(|(k, _, c, n)| (events.samples()[*k], *c, n.clone())).collect(),
            events_sfreq: sf,
            selection: kept.iter().map(|(k, ..)| *k).collect(),
            drop_log,
            baseline: None,
        };
        if ep.is_empty() {
            return Err(Error::data(
                "Epochs: every epoch was dropped (see the drop log: annotations or too close to the edges)",
            ));
        }
        ep.apply_baseline(Some((tmin, 0.0f64.min(tmax))))
    }

    /// Subtract each channel's mean over `(a, b)` seconds (MNE `epochs.apply_baseline`);
    /// `None` leaves the data as they are.
    pub fn apply_baseline(&self, baseline: Option<(f64, f64)>) -> Result<Epochs> {
        let mut out = self.clone();
        let Some((a, b)) = baseline else {
            return Ok(out);
        };
        let idx: Vec<usize> = (0..self.times.len())
            .filter(|&i| self.times[i] >= a - 1e-9 && self.times[i] <= b + 1e-9)
            .collect();
        if idx.is_empty() {
            return Err(Error::data(format!(
                "apply_baseline: no samples between {a} and {b} s (epochs span {:.3}…{:.3} s)",
                self.times[0],
                self.times[self.times.len() - 1]
            )));
        }
        let (i0, i1) = (idx[0], idx[idx.len() - 1] + 1);
        for mut ep in out.data.outer_iter_mut() {
            for mut ch in ep.outer_iter_mut() {
                let m = ch.slice(s![i0..i1]).mean().unwrap_or(0.0);
                ch -= m;
            }
        }
        out.baseline = Some((a, b));
        Ok(out)
    }

    /// Drop epochs whose peak-to-peak amplitude on any good EEG channel exceeds `eeg` volts
    /// (MNE `epochs.drop_bad(reject=dict(eeg=...))`, e.g. `100e-6`). The drop log records the
    /// offending channels.
    pub fn drop_bad(&self, eeg: f64) -> Result<Epochs> {
        if !(eeg.is_finite() && eeg > 0.0) {
            return Err(Error::data(format!(
                "drop_bad: threshold must be positive volts (e.g. 100e-6), got {eeg}"
            )));
        }
        let check = self.info.good_eeg();
        let mut keep = Vec::new();
        let mut out = self.clone();
        for e in 0..self.len() {
            let offenders: Vec<String> = check
                .iter()
                .filter(|&&c| {
                    let row = self.data.slice(s![e, c, ..]);
                    let (lo, hi) = row
                        .iter()
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
                    hi - lo > eeg
                })
                .map(|&c| self.info.ch_names()[c].clone())
                .collect();
            if offenders.is_empty() {
                keep.push(e);
            } else {
                out.drop_log[self.selection[e]] = offenders;
            }
        }
        if keep.is_empty() {
            return Err(Error::data(format!("drop_bad: all {} epochs exceed {:.0} µV peak-to-peak; is the threshold in volts (100e-6 = 100 µV)?", self.len(), eeg * 1e6)));
        }
        Ok(out.take(&keep))
    }

    /// Drop epochs by position (MNE `epochs.drop(indices, reason)`).
    pub fn drop(&self, indices: &[usize], reason: &str) -> Result<Epochs> {
        if let Some(&i) = indices.iter().find(|&&i| i >= self.len()) {
            return Err(Error::data(format!("drop: epoch {i} does not exist (there are {})", self.len())));
        }
        let mut out = self.clone();
        for &i in indices {
            out.drop_log[self.selection[i]] = vec![reason.to_string()];
        }
        let keep: Vec<usize> = (0..self.len()).filter(|i| !indices.contains(i)).collect();
        Ok(out.take(&keep))
    }

    fn take(mut self, keep: &[usize]) -> Epochs {
        self.data = self.data.select(Axis(0), keep);
        self.events = keep.iter().map(|&i| self.events[i].clone()).collect();
        self.selection = keep.iter().map(|&i| self.selection[i]).collect();
        self
    }

    /// The epochs whose event name carries all the "/"-separated tags of `key` (MNE
    /// `epochs["face"]`).
    pub fn get(&self, key: &str) -> Result<Epochs> {
        let keep: Vec<usize> = (0..self.len()).filter(|&i| tags_match(&self.events[i].2, key)).collect();
        if keep.is_empty() {
            let mut names: Vec<&str> = self.events.iter().map(|e| e.2.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            return Err(Error::data(format!("no epochs match {key:?}; event names are {names:?}")));
        }
        Ok(self.clone().take(&keep))
    }

    /// `true` for epochs matching `key` (as [`Epochs::get`]), e.g. the labels of a
    /// face-vs-rest decoder.
    pub fn labels(&self, key: &str) -> Vec<bool> {
        self.events.iter().map(|e| tags_match(&e.2, key)).collect()
    }

    /// Keep every `factor`-th sample (MNE `epochs.decimate(factor)`; low-pass first so that
    /// nothing above the new Nyquist frequency is left).
    pub fn decimate(&self, factor: usize) -> Result<Epochs> {
        if factor == 0 {
            return Err(Error::data("decimate: factor must be at least 1"));
        }
        let mut out = self.clone();
        // MNE keeps the samples at multiples of `factor` from time zero when it can
        let zero = self.times.iter().position(|&t| t.abs() < 0.5 / self.sfreq()).unwrap_or(0);
        let idx: Vec<usize> = (0..self.times.len())
            .filter(|&i| (i as i64 - zero as i64).rem_euclid(factor as i64) == 0)
            .collect();
        out.data = self.data.select(Axis(2), &idx);
        out.times = idx.iter().map(|&i| self.times[i]).collect();
        out.info = self.info.with_sfreq(self.sfreq() / factor as f64);
        Ok(out)
    }

    /// Keep `tmin ..= tmax` seconds (MNE `epochs.crop`).
    pub fn crop(&self, tmin: f64, tmax: f64) -> Result<Epochs> {
        let idx: Vec<usize> = (0..self.times.len())
            .filter(|&i| self.times[i] >= tmin - 1e-9 && self.times[i] <= tmax + 1e-9)
            .collect();
        if idx.is_empty() {
            return Err(Error::data(format!("crop: no samples between {tmin} and {tmax} s")));
        }
        let mut out = self.clone();
        out.data = self.data.select(Axis(2), &idx);
        out.times = idx.iter().map(|&i| self.times[i]).collect();
        Ok(out)
    }

    /// Number of epochs.
    pub fn len(&self) -> usize {
        self.data.len_of(Axis(0))
    }
    /// Whether there are no epochs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Time of each sample relative to the event, seconds.
    pub fn times(&self) -> &[f64] {
        &self.times
    }
    /// The channels (MNE `epochs.info`).
    pub fn info(&self) -> &Info {
        &self.info
    }
    /// Channel names.
    pub fn ch_names(&self) -> &[String] {
        self.info.ch_names()
    }
    /// Sampling frequency, Hz.
    pub fn sfreq(&self) -> f64 {
        self.info.sfreq()
    }
    /// Channels marked bad (MNE `epochs.info["bads"]`).
    pub fn bads(&self) -> &[String] {
        self.info.bads()
    }
    /// All channels: epochs × channels × times, volts.
    pub fn data(&self) -> &Array3<f64> {
        &self.data
    }
    /// Names of the good EEG channels, the ones [`Epochs::get_data`] returns.
    pub fn good_eeg_names(&self) -> Vec<String> {
        self.info.good_eeg_names()
    }
    /// The good EEG channels, epochs × channels × times, volts (MNE
    /// `epochs.get_data(picks="eeg")` with bad channels excluded): the decoding input.
    pub fn get_data(&self) -> Array3<f64> {
        self.data.select(Axis(1), &self.info.good_eeg())
    }
    /// One row per epoch, the good EEG channels × times flattened (scikit-learn / MNE
    /// `Vectorizer`), for whole-epoch decoding.
    pub fn to_features(&self) -> Array2<f64> {
        let d = self.get_data();
        let (n, c, t) = d.dim();
        // standard (C) order: the row of epoch e is channel 0's times, then channel 1's…
        let mut x = Array2::zeros((n, c * t));
        for (mut row, epoch) in x.outer_iter_mut().zip(d.outer_iter()) {
            row.iter_mut().zip(epoch.iter()).for_each(|(o, v)| *o = *v);
        }
        x
    }
    /// The event name of each kept epoch.
    pub fn event_names(&self) -> Vec<String> {
        self.events.iter().map(|e| e.2.clone()).collect()
    }
    /// For each original event, why it was dropped (empty if kept): MNE `epochs.drop_log`.
    pub fn drop_log(&self) -> &[Vec<String>] {
        &self.drop_log
    }
    /// Indices (among all events) of the epochs dropped for any reason but `IGNORED`.
    pub fn dropped(&self) -> Vec<usize> {
        (0..self.drop_log.len())
            .filter(|&i| !self.drop_log[i].is_empty() && self.drop_log[i][0] != "IGNORED")
            .collect()
    }
    /// The drop log as a table: event index, why.
    pub fn drop_log_frame(&self) -> Result<DataFrame> {
        let d = self.dropped();
        df!(
            "event_index" => d.iter().map(|&i| i as u32).collect::<Vec<_>>(),
            "reason" => d.iter().map(|&i| self.drop_log[i].join(", ")).collect::<Vec<_>>(),
        )
        .map_err(Error::from)
    }
    /// Per-trial metadata: event index, onset (s), code, name (MNE `epochs.metadata`-style).
    pub fn metadata(&self) -> Result<DataFrame> {
        df!(
            "event_index" => self.selection.iter().map(|&i| i as u32).collect::<Vec<_>>(),
            "onset" => self.events.iter().map(|e| e.0 as f64 / self.events_sfreq).collect::<Vec<_>>(),
            "value" => self.events.iter().map(|e| e.1).collect::<Vec<_>>(),
            "trial_type" => self.event_names(),
        )
        .map_err(Error::from)
    }

    /// The average over epochs (MNE `epochs.average()`).
    pub fn average(&self) -> Result<Evoked> {
        let data = self.data.mean_axis(Axis(0)).ok_or_else(|| Error::data("average: no epochs"))?;
        Ok(self.evoked(data, "average"))
    }
    /// The standard error of the mean over epochs (MNE `epochs.standard_error()`).
    pub fn standard_error(&self) -> Result<Evoked> {
        let n = self.len();
        if n < 2 {
            return Err(Error::data("standard_error: needs at least 2 epochs"));
        }
        let sd = self.data.std_axis(Axis(0), 1.0);
        Ok(self.evoked(sd / (n as f64).sqrt(), "standard_error"))
    }
    fn evoked(&self, data: Array2<f64>, kind: &str) -> Evoked {
        let mut names: Vec<&str> = self.events.iter().map(|e| e.2.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        Evoked {
            data,
            times: self.times.clone(),
            info: self.info.clone(),
            nave: self.len(),
            comment: format!("{} ({kind}, {} epochs)", names.join(" + "), self.len()),
        }
    }
}

/// An average over epochs: `data[[channel, time]]` in volts with the epochs' [`Info`] (MNE
/// `mne.Evoked`). Made by [`Epochs::average`], [`Epochs::standard_error`] and
/// [`combine_evoked`]; fields are private, so data, times and channels always agree.
#[derive(Clone, Debug)]
pub struct Evoked {
    data: Array2<f64>,
    times: Vec<f64>,
    info: Info,
    /// number of epochs averaged
    nave: usize,
    comment: String,
}

/// Where a peak is: MNE `evoked.get_peak(..., return_amplitude=True)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Peak {
    pub ch_name: String,
    /// seconds
    pub latency: f64,
    /// volts
    pub amplitude: f64,
}

impl std::fmt::Display for Peak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:.1} µV at {:.0} ms", self.ch_name, self.amplitude * 1e6, self.latency * 1e3)
    }
}

impl Evoked {
    /// The channels (MNE `evoked.info`).
    pub fn info(&self) -> &Info {
        &self.info
    }
    /// Channels × times, volts (MNE `evoked.data`).
    pub fn data(&self) -> &Array2<f64> {
        &self.data
    }
    /// Time of each sample relative to the event, seconds (MNE `evoked.times`).
    pub fn times(&self) -> &[f64] {
        &self.times
    }
    /// Channel names (MNE `evoked.ch_names`).
    pub fn ch_names(&self) -> &[String] {
        self.info.ch_names()
    }
    /// Channels marked bad (MNE `evoked.info["bads"]`).
    pub fn bads(&self) -> &[String] {
        self.info.bads()
    }
    /// Number of epochs averaged (MNE `evoked.nave`; for [`combine_evoked`], the effective
    /// number as MNE computes it).
    pub fn nave(&self) -> usize {
        self.nave
    }
    /// What was averaged (MNE `evoked.comment`), e.g. `"face/famous + face/unfamiliar
    /// (average, 300 epochs)"`.
    pub fn comment(&self) -> &str {
        &self.comment
    }
    /// Index of a channel by name, or an error listing a few known names.
    pub fn ch_index(&self, name: &str) -> Result<usize> {
        self.info.ch_index(name)
    }
    /// One channel's time course, volts.
    pub fn channel(&self, name: &str) -> Result<Vec<f64>> {
        Ok(self.data.row(self.ch_index(name)?).to_vec())
    }
    /// Good EEG channel indices.
    pub fn good_eeg(&self) -> Vec<usize> {
        self.info.good_eeg()
    }
    /// The peak between `tmin` and `tmax` seconds: on channel `ch`, or over all good EEG
    /// channels when `None`. `mode` is MNE's: `"neg"` (most negative), `"pos"`, or `"abs"`.
    /// MNE `evoked.get_peak(ch_type="eeg", tmin, tmax, mode, return_amplitude=True)`.
    pub fn get_peak(&self, ch: Option<&str>, tmin: f64, tmax: f64, mode: &str) -> Result<Peak> {
        let chans = match ch {
            Some(n) => vec![self.ch_index(n)?],
            None => self.good_eeg(),
        };
        let idx: Vec<usize> = (0..self.times.len())
            .filter(|&i| self.times[i] >= tmin - 1e-9 && self.times[i] <= tmax + 1e-9)
            .collect();
        if idx.is_empty() || chans.is_empty() {
            return Err(Error::data(format!("get_peak: no samples/channels between {tmin} and {tmax} s")));
        }
        let key = |v: f64| -> Result<f64> {
            Ok(match mode {
                "neg" => -v,
                "pos" => v,
                "abs" => v.abs(),
                other => {
                    return Err(Error::data(format!(
                        "get_peak: mode must be \"neg\", \"pos\" or \"abs\", got {other:?}"
                    )))
                }
            })
        };
        let mut best: Option<(f64, usize, usize)> = None;
        for &c in &chans {
            for &i in &idx {
                let k = key(self.data[[c, i]])?;
                if best.is_none_or(|b| k > b.0) {
                    best = Some((k, c, i));
                }
            }
        }
        let (_, c, i) = best.ok_or_else(|| Error::data("get_peak: nothing to search"))?;
        Ok(Peak {
            ch_name: self.info.ch_names()[c].clone(),
            latency: self.times[i],
            amplitude: self.data[[c, i]],
        })
    }
    /// Mean amplitude of a channel over a window, volts.
    pub fn mean_amplitude(&self, ch: &str, tmin: f64, tmax: f64) -> Result<f64> {
        let c = self.ch_index(ch)?;
        let v: Vec<f64> = (0..self.times.len())
            .filter(|&i| self.times[i] >= tmin && self.times[i] <= tmax)
            .map(|i| self.data[[c, i]])
            .collect();
        if v.is_empty() {
            return Err(Error::data(format!("mean_amplitude: no samples between {tmin} and {tmax} s")));
        }
        Ok(v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// Weighted sum of evoked responses (MNE `mne.combine_evoked(evokeds, weights)`): the
/// face − scrambled difference wave is `combine_evoked(&[&face, &scrambled], &[1.0, -1.0])`.
pub fn combine_evoked(evokeds: &[&Evoked], weights: &[f64]) -> Result<Evoked> {
    let first = evokeds.first().ok_or_else(|| Error::data("combine_evoked: no evoked responses"))?;
    if weights.len() != evokeds.len() {
        return Err(Error::shape("combine_evoked weights", evokeds.len(), weights.len()));
    }
    for e in evokeds {
        if e.info.ch_names() != first.info.ch_names() || e.times.len() != first.times.len() {
            return Err(Error::data("combine_evoked: responses differ in channels or times"));
        }
    }
    let mut data = Array2::zeros(first.data.dim());
    for (e, w) in evokeds.iter().zip(weights) {
        data.scaled_add(*w, &e.data);
    }
    let comment = evokeds
        .iter()
        .zip(weights)
        .map(|(e, w)| format!("{w:+} × {}", e.comment.split(" (").next().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(" ");
    let nave =
        (1.0 / evokeds.iter().zip(weights).map(|(e, w)| w * w / e.nave as f64).sum::<f64>()).round() as usize;
    let mut info = first.info.clone();
    for e in evokeds {
        info.add_bads(e.info.bads());
    }
    Ok(Evoked { data, times: first.times.clone(), info, nave, comment })
}
