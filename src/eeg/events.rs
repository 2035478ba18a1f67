//! Events: when each stimulus happened, read from a stim (trigger) channel.
//!
//! The type is [`Events`] (MNE's events array). The fMRI session has its own table of
//! stimulus onsets in seconds, `brainml::fmri::events::Events` (BIDS `events.tsv`); only this
//! one is in the prelude.

use polars::prelude::*;

use crate::eeg::info::ChannelType;
use crate::eeg::raw::Raw;
use crate::error::{Error, Result};

/// Event onsets (sample indices) and codes — MNE's `(n_events, 3)` events array without the
/// middle column — and the sampling rate the samples count at. Fields are private: as many
/// codes as samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Events {
    sample: Vec<usize>,
    code: Vec<i32>,
    sfreq: f64,
}

impl Events {
    /// Events from onsets (samples) and codes at `sfreq` Hz — what MNE builds by hand as
    /// `np.c_[samples, zeros, codes]`. One code per sample; `sfreq` positive.
    pub fn new(samples: Vec<usize>, codes: Vec<i32>, sfreq: f64) -> Result<Events> {
        if samples.len() != codes.len() {
            return Err(Error::shape(
                "Events codes",
                format!("{} (one per sample)", samples.len()),
                codes.len(),
            ));
        }
        if !(sfreq.is_finite() && sfreq > 0.0) {
            return Err(Error::data(format!("Events: sampling frequency must be positive, got {sfreq}")));
        }
        Ok(Events { sample: samples, code: codes, sfreq })
    }
    /// Onset of each event, in samples from the start of the recording (MNE `events[:, 0]`).
    pub fn samples(&self) -> &[usize] {
        &self.sample
    }
    /// Code of each event (MNE `events[:, 2]`).
    pub fn codes(&self) -> &[i32] {
        &self.code
    }
    /// The sampling rate the samples count at, Hz.
    pub fn sfreq(&self) -> f64 {
        self.sfreq
    }
    /// Number of events.
    pub fn len(&self) -> usize {
        self.sample.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sample.is_empty()
    }
    /// As a table: sample, onset (s), code, and the condition name from `event_id` (what
    /// `mne.events_to_dataframe`-style summaries and BIDS `events.tsv` show).
    pub fn to_frame(&self, event_id: &[(&str, i32)]) -> Result<DataFrame> {
        let name = |c: i32| {
            event_id.iter().find(|(_, v)| *v == c).map(|(n, _)| n.to_string()).unwrap_or_else(|| "?".into())
        };
        df!(
            "sample" => self.sample.iter().map(|&s| s as u64).collect::<Vec<_>>(),
            "onset" => self.sample.iter().map(|&s| s as f64 / self.sfreq).collect::<Vec<_>>(),
            "value" => self.code.clone(),
            "trial_type" => self.code.iter().map(|&c| name(c)).collect::<Vec<_>>(),
        )
        .map_err(Error::from)
    }
    /// How many events of each code, as a table.
    pub fn counts(&self, event_id: &[(&str, i32)]) -> Result<DataFrame> {
        let names: Vec<String> = event_id.iter().map(|(n, _)| n.to_string()).collect();
        let counts: Vec<u32> =
            event_id.iter().map(|(_, v)| self.code.iter().filter(|&&c| c == *v).count() as u32).collect();
        df!("event" => names, "code" => event_id.iter().map(|e| e.1).collect::<Vec<_>>(), "count" => counts)
            .map_err(Error::from)
    }
}

/// Options of [`find_events_with`]: MNE's `find_events` keyword arguments, with its defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct FindEvents {
    /// report an event at the first sample when the stim channel does not start at 0
    /// (MNE `initial_event=False`: such a value is taken as left over from before the
    /// recording started)
    pub initial_event: bool,
    /// keep only these bits of each code before looking for steps (MNE `mask=None`,
    /// `mask_type="and"`); e.g. `Some(0xFFFF)` for BioSemi's 16 trigger bits
    pub mask: Option<i64>,
    /// the fewest samples between two events (MNE `shortest_event=2`); events closer than
    /// this are an error, as in MNE, because they are usually spurious
    pub shortest_event: usize,
}

impl Default for FindEvents {
    fn default() -> Self {
        FindEvents { initial_event: false, mask: None, shortest_event: 2 }
    }
}

/// Events from a stim channel: MNE's `find_events(raw, stim_channel)` with its defaults
/// (`consecutive="increasing"`, `initial_event=False`, `shortest_event=2`): an event wherever
/// the code rises to a new non-zero value. See [`find_events_with`] for the options.
pub fn find_events(raw: &Raw, stim_channel: &str) -> Result<Events> {
    find_events_with(raw, stim_channel, &FindEvents::default())
}

/// MNE's `find_events(raw, stim_channel, consecutive="increasing", initial_event=…,
/// mask=…, shortest_event=…)`, ported from `mne/event.py` (`_find_stim_steps`,
/// `_find_events`, `_mask_trigs`; MNE 1.13): steps of the channel (plus a step back to 0
/// after the last sample), an onset where a step rises, orphaned onsets/offsets removed.
/// Differences: `min_duration` and `output` other than `"onset"` are not offered; a channel
/// without events is an error (MNE returns an empty array), because no analysis can go on.
pub fn find_events_with(raw: &Raw, stim_channel: &str, opts: &FindEvents) -> Result<Events> {
    let c = raw.ch_index(stim_channel)?;
    if raw.ch_types()[c] != ChannelType::Stim {
        return Err(Error::data(format!("find_events: channel {stim_channel:?} is not a stim channel")));
    }
    // MNE casts to int64 and takes the absolute value of negative codes (with a warning)
    let data: Vec<i64> = raw.data().row(c).iter().map(|&v| (v as f64).round().abs() as i64).collect();
    let n = data.len();
    // steps: [sample, before, after] wherever the value changes, then a step back to 0
    let mut steps: Vec<[i64; 3]> =
        (1..n).filter(|&i| data[i] != data[i - 1]).map(|i| [i as i64, data[i - 1], data[i]]).collect();
    // (a channel that never changes has no steps at all, as in MNE)
    if let Some(&[_, _, last]) = steps.last() {
        if last != 0 {
            steps.push([n as i64, last, 0]);
        }
    }
    if data[0] != 0 && opts.initial_event {
        steps.insert(0, [0, 0, data[0]]);
    }
    if let Some(m) = opts.mask {
        for s in &mut steps {
            s[1] &= m;
            s[2] &= m;
        }
        steps.retain(|s| s[1] != s[2]);
    }
    let mut onsets: Vec<usize> = (0..steps.len()).filter(|&i| steps[i][2] > steps[i][1]).collect();
    let mut offsets: Vec<usize> = (0..steps.len())
        .filter(|&i| (steps[i][2] > steps[i][1] || steps[i][2] == 0) && steps[i][1] > 0)
        .collect();
    if !onsets.is_empty() && !offsets.is_empty() {
        if onsets[0] > offsets[0] {
            offsets.remove(0); // orphaned offset at the beginning
        }
        if offsets.last().is_none_or(|&o| onsets[onsets.len() - 1] > o) {
            onsets.pop(); // orphaned onset at the end
        }
    } else {
        onsets.clear();
    }
    let sample: Vec<usize> = onsets.iter().map(|&i| steps[i][0] as usize).collect();
    let code: Vec<i32> =
        onsets.iter().map(|&i| steps[i][2].clamp(i32::MIN as i64, i32::MAX as i64) as i32).collect();
    if sample.is_empty() {
        let hint = if data[0] != 0 && !opts.initial_event {
            " other than its initial value (an event at sample 0 is only reported with initial_event: true)"
        } else {
            " (all zero)"
        };
        return Err(Error::data(format!("find_events: no events on {stim_channel:?}{hint}")));
    }
    let short = sample.windows(2).filter(|w| w[1] - w[0] < opts.shortest_event).count();
    if short > 0 {
        return Err(Error::data(format!(
            "find_events: {short} events on {stim_channel:?} follow the previous one by fewer than shortest_event = {} samples; these are unusual (MNE raises the same error) — if they are real, pass FindEvents {{ shortest_event: 1, .. }}",
            opts.shortest_event
        )));
    }
    Ok(Events { sample, code, sfreq: raw.sfreq() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn stim_raw(stim: &[f32]) -> Raw {
        let data = Array2::from_shape_fn((2, stim.len()), |(c, t)| if c == 0 { 0.0 } else { stim[t] });
        Raw::new(data, vec!["Cz".into(), "STI".into()], vec![ChannelType::Eeg, ChannelType::Stim], 100.0)
            .unwrap()
    }

    fn found(stim: &[f32], opts: &FindEvents) -> Result<Vec<(usize, i32)>> {
        let ev = find_events_with(&stim_raw(stim), "STI", opts)?;
        Ok(ev.samples().iter().copied().zip(ev.codes().iter().copied()).collect())
    }

    #[test]
    fn mne_rules_for_onsets_initial_values_masks_and_short_events() {
        let d = FindEvents::default();
        // a value already on at sample 0 is not an event (initial_event=False) unless asked
        let x = [4.0, 4.0, 0.0, 0.0, 5.0, 5.0, 0.0, 0.0];
        assert_eq!(found(&x, &d).unwrap(), vec![(4, 5)]);
        assert_eq!(
            found(&x, &FindEvents { initial_event: true, ..d.clone() }).unwrap(),
            vec![(0, 4), (4, 5)]
        );
        // "increasing": a rise while high is an event, a fall to a lower non-zero code is not
        assert_eq!(found(&[0.0, 0.0, 2.0, 2.0, 6.0, 6.0, 3.0, 3.0, 0.0], &d).unwrap(), vec![(2, 2), (4, 6)]);
        // an onset still high at the end of the recording counts (MNE pads a step back to 0)
        assert_eq!(found(&[0.0, 0.0, 0.0, 7.0, 7.0], &d).unwrap(), vec![(3, 7)]);
        // a mask keeps only some bits; steps that vanish under it are gone
        assert_eq!(
            found(
                &[0.0, 0.0, 257.0, 257.0, 0.0, 0.0, 256.0, 0.0],
                &FindEvents { mask: Some(0xFF), ..d.clone() }
            )
            .unwrap(),
            vec![(2, 1)]
        );
        // events one sample apart are refused by default (shortest_event=2), as in MNE
        let close = [0.0, 0.0, 1.0, 2.0, 0.0, 0.0];
        assert!(found(&close, &d).unwrap_err().to_string().contains("shortest_event"));
        assert_eq!(
            found(&close, &FindEvents { shortest_event: 1, ..d.clone() }).unwrap(),
            vec![(2, 1), (3, 2)]
        );
        // nothing to find: a clear error, also when only the initial value is non-zero
        assert!(found(&[0.0; 6], &d).unwrap_err().to_string().contains("all zero"));
        assert!(found(&[3.0, 3.0, 0.0, 0.0], &d).unwrap_err().to_string().contains("initial_event"));
    }
}
