//! EEG: files ([`io`]), the continuous recording ([`Raw`]), filters ([`filter`], [`fir`]),
//! artifact detection ([`preprocessing`]), events, epochs and evoked responses
//! ([`epochs`]) and the plots of the first session ([`plot`]).

pub mod epochs;
pub mod events;
pub mod filter;
pub mod fir;
pub mod io;
pub mod montage;
pub mod plot;
pub mod preprocessing;
pub mod raw;

pub use epochs::{combine_evoked, Epochs, Evoked, Peak};
pub use events::{find_events, find_events_with, Events, FindEvents};
pub use montage::Montage;
pub use plot::{plot_compare_evokeds, plot_decoding, plot_raw};
pub use preprocessing::{annotate_muscle_zscore, find_bad_channels, BadChannels};
pub use raw::{Annotation, ChannelType, FilterMethod, Raw, MNE_SKIP_BY_ANNOTATION};
