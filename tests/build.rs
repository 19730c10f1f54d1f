//! Generates Rust for EVERY bundled object of the OMA registry: the tests crate must compile it and
//! document it without a warning. When the full registry staged beside the project is present
//! (`../shared/registry`, which also holds the two files the bundle leaves out), it is generated too,
//! into a second file, so the tests prove that all 327 current objects compile.

use std::path::PathBuf;

fn main() {
    // PartialEq for the tests' comparisons of whole instances (opt-in: it costs compile time).
    lwm2m_codegen::Builder::new()
        .derives(["PartialEq"])
        .compile_or_exit();

    // A user's own XML on top of the bundled registry, with a selection of objects: the build.rs
    // round trip a user of the toolkit makes.
    lwm2m_codegen::Builder::new()
        .xml_dir("xml")
        .derives(["PartialEq"])
        .objects([3303, 3311, 32769])
        .file_name("selected_objects.rs")
        .compile_or_exit();

    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let shared = manifest.join("../../shared/registry");
    println!("cargo::rustc-check-cfg=cfg(shared_registry)");
    println!("cargo::rerun-if-changed={}", shared.display());
    if shared.is_dir() {
        lwm2m_codegen::Builder::new()
            .bundled(false)
            .xml_dir(&shared)
            .file_name("shared_registry_objects.rs")
            .compile_or_exit();
        println!("cargo::rustc-cfg=shared_registry");
    }
}
