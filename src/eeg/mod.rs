//! EEG: files ([`io`]), the channels' [`Info`], the continuous recording ([`Raw`]), filters
//! ([`filter`], [`fir`]), artifact detection ([`preprocessing`]), events, epochs and evoked
//! responses ([`epochs`]). The figures of these types (`raw.plot()`, `evoked.plot_topomap()`,
//! …) live in [`crate::plot::eeg`]; nothing here imports the plotting layer.

pub mod epochs;
pub mod events;
pub mod filter;
pub mod fir;
pub mod info;
pub mod io;
pub mod montage;
pub mod preprocessing;
pub mod raw;

pub use epochs::{combine_evoked, Epochs, Evoked, Peak};
pub use events::{find_events, find_events_with, Events, FindEvents};
pub use info::{ChannelType, Info};
pub use montage::Montage;
pub use preprocessing::{annotate_muscle_zscore, find_bad_channels, BadChannels};
pub use raw::{Annotation, FilterMethod, Raw, MNE_SKIP_BY_ANNOTATION};
