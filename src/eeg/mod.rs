//! EEG: files, the continuous recording ([`Raw`]) and the steps of the first session.

pub mod filter;
pub mod io;
pub mod montage;
pub mod raw;

pub use montage::Montage;
pub use raw::{ChannelType, Raw};
