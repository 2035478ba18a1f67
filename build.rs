//! Empty on purpose: brainml has a build script only so that its `[build-dependencies]` (feature
//! pins for proc-macro crates, see Cargo.toml) take part in feature resolution. The line below
//! keeps cargo from re-running it (and recompiling brainml) whenever any file in the package
//! changes — such as a notebook executed in place.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
