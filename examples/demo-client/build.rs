//! Generates the demo's objects from the bundled registry, as any user's build script would.

fn main() {
    lwm2m_codegen::Builder::new()
        .objects([4, 6, 7, 10, 11, 16, 19, 20, 3303, 3311])
        .compile_or_exit();
}
