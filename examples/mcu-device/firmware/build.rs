//! Generates the Temperature object (3303) from the bundled registry, and puts `memory.x` where
//! the linker finds it (cortex-m-rt's documented pattern: `link.x`
//! includes `memory.x`, searched for on the link search path).

use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=build.rs");
    // Temperature (3303) from the bundled registry, into OUT_DIR/lwm2m_objects.rs.
    lwm2m_codegen::Builder::new()
        .objects([3303])
        .compile_or_exit();
}
