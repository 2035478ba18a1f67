//! [`Info`]: what is known about the channels of a recording — MNE-Python's `mne.Info`
//! (`info["ch_names"]`, the channel types, `info["sfreq"]`, `info["bads"]` and the montage
//! set with `set_montage`). One `Info` travels with the data: [`crate::eeg::Raw`] holds one,
//! [`crate::eeg::Epochs`] and [`crate::eeg::Evoked`] hold the one they were made from (the
//! stim channels left out), as in MNE, where `raw.info`, `epochs.info` and `evoked.info` are
//! the same kind of object.
//!
//! Differences from MNE: the fields are private and every change goes through a checked
//! method that returns a new `Info` (MNE's `info` is a dictionary a script may edit, and
//! `info["bads"] = ["Xx"]` with an unknown name is only refused later); `Info` does not hold
//! digitisation, projectors or filter settings.

use crate::eeg::montage::Montage;
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

/// Channel names and types, sampling rate, bad channels and electrode positions (MNE's
/// `mne.Info`). Built with [`Info::new`] (MNE `mne.create_info(ch_names, sfreq, ch_types)`);
/// every instance holds as many types as names, unique names, a positive sampling rate and
/// bad channels that are among its channels.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    ch_names: Vec<String>,
    ch_types: Vec<ChannelType>,
    sfreq: f64,
    bads: Vec<String>,
    montage: Option<Montage>,
}

impl Info {
    /// MNE's `mne.create_info(ch_names, sfreq, ch_types)`: names and types of the same
    /// length, names unique, `sfreq` positive. No channel is bad and there is no montage yet.
    pub fn new(ch_names: Vec<String>, ch_types: Vec<ChannelType>, sfreq: f64) -> Result<Info> {
        Info::checked("Info", ch_names, ch_types, sfreq)
    }

    /// [`Info::new`] with `what` ("Raw", …) naming the caller in the error messages.
    pub(crate) fn checked(
        what: &str,
        ch_names: Vec<String>,
        ch_types: Vec<ChannelType>,
        sfreq: f64,
    ) -> Result<Info> {
        if ch_types.len() != ch_names.len() {
            return Err(Error::shape(
                format!("{what} channel types"),
                format!("{} (one per name)", ch_names.len()),
                ch_types.len(),
            ));
        }
        if !(sfreq.is_finite() && sfreq > 0.0) {
            return Err(Error::data(format!("{what}: sampling frequency must be positive, got {sfreq}")));
        }
        for (i, n) in ch_names.iter().enumerate() {
            if ch_names[..i].contains(n) {
                return Err(Error::data(format!("{what}: channel name {n:?} appears twice")));
            }
        }
        Ok(Info { ch_names, ch_types, sfreq, bads: Vec::new(), montage: None })
    }

    /// Channel names (MNE `info["ch_names"]`).
    pub fn ch_names(&self) -> &[String] {
        &self.ch_names
    }
    /// Channel types, one per name (MNE `info.get_channel_types()`).
    pub fn ch_types(&self) -> &[ChannelType] {
        &self.ch_types
    }
    /// Number of channels (MNE `info["nchan"]`).
    pub fn n_channels(&self) -> usize {
        self.ch_names.len()
    }
    /// Sampling frequency in Hz (MNE `info["sfreq"]`).
    pub fn sfreq(&self) -> f64 {
        self.sfreq
    }
    /// Channels marked bad (MNE `info["bads"]`), in the order they were given.
    pub fn bads(&self) -> &[String] {
        &self.bads
    }
    /// The electrode positions set with [`Info::set_montage`] (MNE `info.get_montage()`), if
    /// any.
    pub fn montage(&self) -> Option<&Montage> {
        self.montage.as_ref()
    }

    /// Index of a channel by name, or an error listing a few known names (MNE
    /// `info["ch_names"].index(name)`).
    pub fn ch_index(&self, name: &str) -> Result<usize> {
        self.ch_names.iter().position(|n| n == name).ok_or_else(|| {
            let some: Vec<&str> = self.ch_names.iter().take(8).map(|s| s.as_str()).collect();
            Error::data(format!(
                "no channel {name:?}; channels are {}{}",
                some.join(", "),
                if self.ch_names.len() > 8 { ", …" } else { "" }
            ))
        })
    }

    /// Indices of the EEG channels not marked bad (MNE `pick_types(info, eeg=True,
    /// exclude="bads")`).
    pub fn good_eeg(&self) -> Vec<usize> {
        (0..self.ch_names.len())
            .filter(|&c| self.ch_types[c] == ChannelType::Eeg && !self.bads.contains(&self.ch_names[c]))
            .collect()
    }

    /// Names of the good EEG channels, in channel order.
    pub fn good_eeg_names(&self) -> Vec<String> {
        self.good_eeg().into_iter().map(|c| self.ch_names[c].clone()).collect()
    }

    /// The same channels with `bads` marked bad (MNE `info["bads"] = [...]`), checking that
    /// each name is a channel; the list replaces the previous one (a name given twice is
    /// kept once).
    pub fn with_bads<S: AsRef<str>>(&self, bads: &[S]) -> Result<Info> {
        let mut out = self.clone();
        out.bads.clear();
        for b in bads {
            let b = b.as_ref();
            self.ch_index(b)?;
            if !out.bads.iter().any(|x| x == b) {
                out.bads.push(b.to_string());
            }
        }
        Ok(out)
    }

    /// The same channels with electrode positions (MNE `info.set_montage(montage)` with its
    /// default `on_missing="raise"`): every EEG channel must have a position in `montage`.
    pub fn set_montage(&self, montage: &Montage) -> Result<Info> {
        let missing: Vec<&str> = (0..self.ch_names.len())
            .filter(|&c| self.ch_types[c] == ChannelType::Eeg && montage.get(&self.ch_names[c]).is_none())
            .map(|c| self.ch_names[c].as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Error::data(format!(
                "set_montage: no position for the EEG channel(s) {} in the montage",
                missing.join(", ")
            )));
        }
        let mut out = self.clone();
        out.montage = Some(montage.clone());
        Ok(out)
    }

    /// Positions of the channels `names`: from the montage when one is set, else from the
    /// standard 10-10 system ([`Montage::from_names`], an error for a name it does not know).
    pub fn positions(&self, names: &[&str]) -> Result<Vec<[f64; 3]>> {
        match &self.montage {
            Some(m) => names
                .iter()
                .map(|n| {
                    m.get(n)
                        .ok_or_else(|| Error::data(format!("no position for channel {n:?} in the montage")))
                })
                .collect(),
            None => Ok(Montage::from_names(names)?.positions().to_vec()),
        }
    }

    /// The channels at `idx`, in that order (MNE `pick_info`): bad channels not picked are
    /// dropped from `bads`, the montage is kept. `idx` must hold valid indices; a channel
    /// picked twice is an error.
    pub(crate) fn pick(&self, idx: &[usize]) -> Result<Info> {
        let ch_names: Vec<String> = idx.iter().map(|&i| self.ch_names[i].clone()).collect();
        let ch_types = idx.iter().map(|&i| self.ch_types[i]).collect();
        let mut out = Info::checked("Raw", ch_names, ch_types, self.sfreq)?;
        out.bads = self.bads.iter().filter(|b| out.ch_names.contains(b)).cloned().collect();
        out.montage = self.montage.clone();
        Ok(out)
    }

    /// The same channels at another sampling rate (after resampling or decimation);
    /// `sfreq` must be positive.
    pub(crate) fn with_sfreq(&self, sfreq: f64) -> Info {
        Info { sfreq, ..self.clone() }
    }

    /// Add `bads` (those not already marked) — how joined recordings and combined evoked
    /// responses merge their bad channels. Names must be channels of `self`.
    pub(crate) fn add_bads(&mut self, bads: &[String]) {
        for b in bads {
            if !self.bads.contains(b) && self.ch_names.contains(b) {
                self.bads.push(b.clone());
            }
        }
    }

    /// Same channel names, types and sampling rate (what joining or combining needs).
    pub(crate) fn same_channels(&self, other: &Info) -> bool {
        self.ch_names == other.ch_names && self.sfreq == other.sfreq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Info {
        Info::new(
            vec!["Cz".into(), "Pz".into(), "STI".into()],
            vec![ChannelType::Eeg, ChannelType::Eeg, ChannelType::Stim],
            256.0,
        )
        .unwrap()
    }

    #[test]
    fn checked_construction_and_setters() {
        assert!(Info::new(vec!["a".into()], vec![], 1.0).is_err());
        assert!(Info::new(vec!["a".into()], vec![ChannelType::Eeg], 0.0).is_err());
        assert!(Info::new(vec!["a".into(), "a".into()], vec![ChannelType::Eeg; 2], 1.0)
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let i = info();
        assert_eq!(i.good_eeg(), vec![0, 1]);
        let b = i.with_bads(&["Pz"]).unwrap();
        assert_eq!((b.good_eeg(), b.bads()), (vec![0], &["Pz".to_string()][..]));
        assert!(i.with_bads(&["Oz"]).unwrap_err().to_string().contains("Oz"));
        assert_eq!(b.pick(&[0, 2]).unwrap().bads(), &[] as &[String]);
        assert!(b.pick(&[0, 0]).is_err());
        let m = Montage::from_names(&["Cz", "Pz"]).unwrap();
        let with = i.set_montage(&m).unwrap();
        assert_eq!(with.positions(&["Pz"]).unwrap(), vec![m.get("Pz").unwrap()]);
        assert_eq!(i.positions(&["Pz"]).unwrap(), vec![m.get("Pz").unwrap()]);
        assert!(i.positions(&["Xx"]).is_err());
        assert!(i
            .set_montage(&Montage::from_names(&["Cz"]).unwrap())
            .unwrap_err()
            .to_string()
            .contains("Pz"));
    }
}
