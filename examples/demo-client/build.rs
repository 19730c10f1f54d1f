//! Generates the demo's objects from the bundled registry, as any user's build script would,
//! and on Linux links the binary without what it does not use ([`link_small`]).

use std::env;
use std::process::Command;

fn main() {
    lwm2m_codegen::Builder::new()
        .objects([4, 6, 7, 10, 11, 16, 19, 20, 3303, 3311])
        .compile_or_exit();
    link_small();
}

/// Linker arguments for the demo's binary on Linux (BENCHMARKS.md, "demo-client footprint and
/// CPU per request": each measured there). `DEMO_CLIENT_LINK=default` leaves them out.
///
/// - In release builds: no unwind tables. `link/no-unwind-tables.ld`, added to the linker's
///   default script, discards `.eh_frame`, `.eh_frame_hdr` and `.gcc_except_table`: 135 KiB
///   of the binary, nearly all of them resident while it runs. The workspace's release profile
///   has `panic = "abort"`: nothing unwinds, and the tables would serve only the backtrace that
///   `RUST_BACKTRACE=1` prints, which now stops at its first frame (the panic's message and
///   location are printed as before, and the process aborts as before). A build script cannot
///   see the profile's `panic` setting: with `panic = "unwind"` (a custom profile, or a failing
///   test under `cargo test --release`) a panic aborts too ("failed to initiate panic").
///   rustc's `-C force-unwind-tables=no` cannot do this (nor is it a Cargo profile setting):
///   the standard library comes compiled with its tables.
/// - Built for the glibc it is built on, when that is 2.36 or later: relative relocations
///   packed (`-z pack-relative-relocs`, DT_RELR), 82 KiB less of `.rela.dyn` that the dynamic
///   loader reads at every start. glibc before 2.36 cannot load such a binary, hence the
///   check; a linker that does not know the option warns and ignores it.
fn link_small() {
    println!("cargo::rerun-if-changed=link/no-unwind-tables.ld");
    println!("cargo::rerun-if-env-changed=DEMO_CLIENT_LINK");
    let var = |name: &str| env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("DEMO_CLIENT_LINK") == "default" {
        return;
    }
    if var("PROFILE") == "release" {
        let script = format!("{}/link/no-unwind-tables.ld", var("CARGO_MANIFEST_DIR"));
        println!("cargo::rustc-link-arg-bins=-Xlinker");
        println!("cargo::rustc-link-arg-bins=--script={script}");
    }
    if var("CARGO_CFG_TARGET_ENV") == "gnu" && var("HOST") == var("TARGET") && glibc_has_relr() {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether this machine's glibc (`getconf GNU_LIBC_VERSION`: `glibc 2.36`) loads DT_RELR
/// relocations: 2.36 and later do.
fn glibc_has_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (2, 36),
        _ => false,
    }
}
