//! The `lwm2m-codegen` command: see [`lwm2m_codegen::cli`].

fn main() {
    let code = lwm2m_codegen::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(code);
}
