//! Events: when each stimulus happened, read from a stim (trigger) channel.

use polars::prelude::*;

use crate::eeg::raw::{ChannelType, Raw};
use crate::error::{Error, Result};

/// Event onsets (sample indices) and codes — MNE's `(n_events, 3)` events array without the
/// middle column.
#[derive(Clone, Debug, PartialEq)]
pub struct Events {
    pub sample: Vec<usize>,
    pub code: Vec<i32>,
    pub sfreq: f64,
}

impl Events {
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
            event_id
                .iter()
                .find(|(_, v)| *v == c)
                .map(|(n, _)| n.to_string())
                .unwrap_or_else(|| "?".into())
        };
        df!(
            "sample" => self.sample.iter().map(|&s| s as u64).collect::<Vec<_>>(),
            "onset" => self.sample.iter().map(|&s| s as f64 / self.sfreq).collect::<Vec<_>>(),
            "value" => self.code.clone(),
            "trial_type" => self.code.iter().map(|&c| name(c)).collect::<Vec<_>>(),
        )
        .map_err(|e| Error::data(e.to_string()))
    }
    /// How many events of each code, as a table.
    pub fn counts(&self, event_id: &[(&str, i32)]) -> Result<DataFrame> {
        let names: Vec<String> = event_id.iter().map(|(n, _)| n.to_string()).collect();
        let counts: Vec<u32> = event_id
            .iter()
            .map(|(_, v)| self.code.iter().filter(|&&c| c == *v).count() as u32)
            .collect();
        df!("event" => names, "code" => event_id.iter().map(|e| e.1).collect::<Vec<_>>(), "count" => counts).map_err(|e| Error::data(e.to_string()))
    }
}

/// Events from a stim channel: MNE's `find_events(raw, stim_channel)` with
/// `consecutive="increasing"`, `shortest_event=1`: an event wherever the code rises to a
/// new non-zero value.
pub fn find_events(raw: &Raw, stim_channel: &str) -> Result<Events> {
    let c = raw.ch_index(stim_channel)?;
    if raw.ch_types()[c] != ChannelType::Stim {
        return Err(Error::data(format!(
            "find_events: channel {stim_channel:?} is not a stim channel"
        )));
    }
    let row = raw.data().row(c);
    let mut sample = Vec::new();
    let mut code = Vec::new();
    let mut prev = 0i64;
    for (i, &v) in row.iter().enumerate() {
        let v = v.round() as i64;
        if v != prev && v > 0 && v > prev {
            sample.push(i);
            code.push(v as i32);
        }
        prev = v;
    }
    if sample.is_empty() {
        return Err(Error::data(format!(
            "find_events: no events on {stim_channel:?} (all zero)"
        )));
    }
    Ok(Events {
        sample,
        code,
        sfreq: raw.sfreq(),
    })
}
