//! Everything a notebook cell needs: `use brainml::prelude::*;`.

pub use crate::data::{data_dir, list_files, model_dir, public_file, read_json};
pub use crate::display::{progress, EvcxrDisplay, Html, Progress};
#[cfg(feature = "eeg")]
pub use crate::eeg::{
    annotate_muscle_zscore, combine_evoked, find_bad_channels, find_events, find_events_with,
    io::{read_raw_bdf, read_raw_bdf_with, read_raw_edf, read_raw_edf_with, read_raw_muse_csv, EdfOptions},
    Annotation, ChannelType, Epochs, Events, Evoked, FilterMethod, FindEvents, Info, Montage, Raw,
};
pub use crate::error::{Error, Result};
#[cfg(feature = "fmri")]
pub use crate::fmri::{
    censor, check_img, clean, compute_epi_mask, compute_qc, fit_first_level, index_img, load_img,
    make_first_level_design_matrix, mean_img, read_attributes, read_events, read_motion, save_img,
    smooth_img, trial_patterns, CleanOptions, DesignMatrix, Dtype, FirstLevel, Img, Mask, NiftiMasker, Qc,
    QcThresholds, SearchLight, SearchLightResult, SlEstimator,
};
#[cfg(feature = "llm")]
pub use crate::llm::{
    cosine_by_layer, encoding_by_layer, planted_response, stack_layers, CausalLm, Embedder, Embeddings,
    HiddenStates, LayerScores, LmOutput, Pooling, Surprisal, Tokenized, Tokenizer, Word,
};
#[cfg(feature = "ml")]
pub use crate::ml::{
    cross_val_score, encoding_score, generalizing_score, mean_over_folds, pca, pearson_r,
    permutation_test_score, sliding_permutation_threshold, sliding_score, Classifier, Cv, EncodingScore, Pca,
    Ridge, RidgeCv, RidgeFit, Scoring,
};
#[cfg(feature = "eeg")]
pub use crate::plot::eeg::{plot_compare_evokeds, plot_decoding, plot_raw};
#[cfg(feature = "fmri")]
pub use crate::plot::fmri::{plot_stat_map, plot_timeseries, StatMap};
pub use crate::plot::{Colormap, Figure, Heatmap, Image, LinePlot};

pub use ndarray::{self, s, Array1, Array2, Array3, Array4, ArrayView1, ArrayView2, Axis};
pub use polars::prelude::{df, DataFrame, NamedFrom, Series};
