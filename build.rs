//! Empty on purpose: brainml has a build script only so that its `[build-dependencies]` (feature
//! pins for proc-macro crates, see Cargo.toml) take part in feature resolution.
fn main() {}
