//! The `lwm2m-codegen` binary, run as a process: exit codes, diagnostics, outputs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lwm2m-codegen"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const BROKEN: &str = "<?xml version=\"1.0\"?>\n<LWM2M>\n  <Object ObjectType=\"MODefinition\">\n    <Name>Broken</Name>\n  </Objet>\n</LWM2M>\n";

#[test]
fn check_bundled_registry_succeeds() {
    let output = run(&["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = stdout(&output);
    let summary = out.lines().last().unwrap();
    let files = lwm2m_model::Registry::bundled_files().len();
    assert!(
        summary.starts_with(&format!("checked {files} files: 0 errors, ")),
        "{summary}"
    );
    // Bundled files are reported by file name, such as `509.xml:53:1: warning: ...`.
    for line in out.lines().filter(|l| l.contains(": warning: ")) {
        let file = line.split(':').next().unwrap();
        assert!(!file.contains('/') && file.ends_with(".xml"), "{line}");
    }
}

#[test]
fn check_malformed_file_prints_the_position_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.xml");
    std::fs::write(&file, BROKEN).unwrap();
    let output = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    let lines = out.lines().collect::<Vec<_>>();
    let expected = lwm2m_model::parse_file(&file).diagnostics[0].to_string();
    assert!(
        expected.starts_with(&format!("{}:5:3: error: ", file.display())),
        "{expected}"
    );
    assert_eq!(lines.first().copied(), Some(expected.as_str()));
    assert!(lines.last().unwrap().starts_with("checked 1 files: "));
    assert!(lines.last().unwrap().contains(" errors, 0 warnings"));
}

#[test]
fn check_missing_path_exits_1() {
    let output = run(&["check", "/nonexistent/lwm2m-objects"]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(
        out.starts_with("/nonexistent/lwm2m-objects:1:1: error: "),
        "{out}"
    );
    assert!(
        out.ends_with("checked 0 files: 1 errors, 0 warnings\n"),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["check", "--bogus"]).status.code(), Some(2));
    assert_eq!(run(&["show"]).status.code(), Some(2));
    assert_eq!(run(&["show", "70000"]).status.code(), Some(2));
    assert_eq!(run(&["generate", "--objects", "3"]).status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
}

#[test]
fn generate_writes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("gen");
    let output = run(&[
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--objects",
        "3,3303",
        "--crate-path",
        "::my_lwm2m",
        "--derive",
        "PartialEq,Eq",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let code = std::fs::read_to_string(out_dir.join("lwm2m_objects.rs")).unwrap();
    assert!(code.contains("#[derive(Debug, Clone, Default, PartialEq, Eq)]"));
    assert!(code.contains("pub struct Device {"));
    assert!(code.contains("pub struct Temperature {"));
    assert!(code.contains("impl ::my_lwm2m::Object for Temperature {"));
    assert!(!code.contains("#[lwm2m("));
    assert_eq!(code.matches("pub struct ").count(), 2);
}

#[test]
fn generate_derive_object_writes_the_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("gen");
    let output = run(&[
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        "--objects",
        "3303",
        "--no-format",
        "--derive-object",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let code = std::fs::read_to_string(out_dir.join("lwm2m_objects.rs")).unwrap();
    assert!(code.contains("#[derive(Debug, Clone, Default, ::lwm2m::Object)]\n"));
    assert!(code.contains("#[lwm2m(crate = \"::lwm2m\", id = 3303, name = \"Temperature\", "));
    assert!(!code.contains("impl ::lwm2m::Object for"));
}

/// The summary line with its time replaced by `T`: `...; 63 ms` -> `...; T ms`.
fn summary_without_time(err: &str) -> String {
    let line = err.trim_end();
    assert_eq!(line.lines().count(), 1, "one summary line: {err}");
    let (head, time) = line.rsplit_once("; ").unwrap();
    let millis = time.strip_suffix(" ms").unwrap();
    assert!(millis.parse::<u64>().is_ok(), "{line}");
    format!("{head}; T ms")
}

#[test]
fn generate_prints_one_summary_line_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("gen");
    let out = out_dir.to_str().unwrap();
    let args = ["generate", "--out", out, "--objects", "3,3303"];
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    // Device has 23 resources in the bundled registry, Temperature 12.
    let resources = [3, 3303]
        .map(|id| {
            lwm2m_model::Registry::bundled()
                .get(id)
                .unwrap()
                .resources
                .len()
        })
        .iter()
        .sum::<usize>();
    assert_eq!(resources, 23 + 12);
    assert_eq!(
        summary_without_time(&stderr(&output)),
        format!("generate: 2 objects, 35 resources; 1 file written, 0 unchanged, to {out}; T ms")
    );
    // Again: the file already has this content.
    let output = run(&args);
    assert_eq!(
        summary_without_time(&stderr(&output)),
        format!("generate: 2 objects, 35 resources; 0 files written, 1 unchanged, to {out}; T ms")
    );
    for quiet in ["--quiet", "-q"] {
        let output = run(&[&args[..], &[quiet]].concat());
        assert_eq!(output.status.code(), Some(0));
        assert_eq!(stderr(&output), "");
    }
}

#[test]
fn generate_split_writes_one_file_per_object_and_a_mod_rs() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("objects");
    let out = out_dir.to_str().unwrap();
    let output = run(&[
        "generate",
        "--out",
        out,
        "--objects",
        "3303,3336,6,10378",
        "--split",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = summary_without_time(&stderr(&output));
    assert!(
        summary.starts_with("generate: 4 objects, ")
            && summary.ends_with(&format!("; 5 files written, 0 unchanged, to {out}; T ms")),
        "{summary}"
    );
    let mut files = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect::<Vec<_>>();
    files.sort();
    assert_eq!(
        files,
        [
            "edge_application_server_configuration.rs",
            "location.rs",
            "location3336.rs",
            "mod.rs",
            "temperature.rs"
        ]
    );
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap();
    let temperature = read("temperature.rs");
    assert!(temperature.starts_with(lwm2m_codegen::emit::HEADER));
    assert_eq!(temperature.matches("pub struct ").count(), 1);
    assert!(temperature.contains("pub struct Temperature {"));
    // The modules are declared and their structs re-exported in id order, then OBJECTS.
    let root = read("mod.rs");
    assert!(root.starts_with(lwm2m_codegen::emit::HEADER));
    assert!(
        root.contains(
            "mod location;\npub use location::Location;\n\
             mod temperature;\npub use temperature::Temperature;\n\
             mod location3336;\npub use location3336::Location3336;\n\
             mod edge_application_server_configuration;\n\
             pub use edge_application_server_configuration::EdgeApplicationServerConfiguration;\n"
        ),
        "{root}"
    );
    assert!(root.contains("pub const OBJECTS: &[&::lwm2m::meta::ObjectMeta] = &["));
    // Each file parses, and the split files hold the same structs as the single file.
    let single = lwm2m_codegen::Builder::new()
        .objects([3303, 3336, 6, 10378])
        .format(true)
        .generate()
        .unwrap();
    for name in files.iter().filter(|f| *f != "mod.rs") {
        let code = read(name);
        syn::parse_file(&code).unwrap();
        let body = code
            .strip_prefix(lwm2m_codegen::emit::HEADER)
            .unwrap()
            .trim_start();
        assert!(single.contains(body), "{name}");
    }
    syn::parse_file(&root).unwrap();
}

#[test]
fn generate_formats_unless_no_format() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str, extra: &[&str]| {
        let out_dir = dir.path().join(name);
        let mut args = vec![
            "generate",
            "--out",
            out_dir.to_str().unwrap(),
            "--objects",
            "3303",
        ];
        args.extend(extra);
        let output = run(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        std::fs::read_to_string(out_dir.join("lwm2m_objects.rs")).unwrap()
    };
    let formatted = read("formatted", &[]);
    let unformatted = read("unformatted", &["--no-format"]);
    // prettyplease breaks the long metadata over lines; the generator does not.
    assert!(formatted.contains("= &__lwm2m::ObjectMeta {\n            id: 3303,\n"));
    assert!(unformatted.contains("= &__lwm2m::ObjectMeta { id: 3303, name: \"Temperature\", "));
    assert_eq!(
        formatted,
        lwm2m_codegen::Builder::new()
            .objects([3303])
            .format(true)
            .generate()
            .unwrap()
    );
    assert_eq!(
        unformatted,
        lwm2m_codegen::Builder::new()
            .objects([3303])
            .generate()
            .unwrap()
    );
}

#[test]
fn generate_with_a_broken_file_exits_1_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.xml");
    std::fs::write(&file, BROKEN).unwrap();
    let out_dir = dir.path().join("gen");
    let output = run(&[
        "generate",
        "--out",
        out_dir.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("{}:5:3: error: ", file.display())),
        "{err}"
    );
    assert!(!Path::new(&out_dir.join("lwm2m_objects.rs")).exists());
}

#[test]
fn generate_unknown_object_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&[
        "generate",
        "--out",
        dir.path().to_str().unwrap(),
        "--objects",
        "65000",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("object 65000 is not defined"));
}

#[test]
fn docs_prints_one_summary_line_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("site");
    let out = out_dir.to_str().unwrap();
    let args = [
        "docs",
        "--format",
        "md",
        "--out",
        out,
        "--objects",
        "3,3303",
    ];
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        summary_without_time(&stderr(&output)),
        format!("docs: 2 objects, 35 resources; 3 files written to {out}; T ms")
    );
    let output = run(&[&args[..], &["--quiet"]].concat());
    assert_eq!(
        (output.status.code(), stderr(&output)),
        (Some(0), String::new())
    );
}

#[test]
fn list_prints_one_line_per_object() {
    let output = run(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), lwm2m_model::Registry::bundled().len());
    assert_eq!(out.lines().next(), Some("0\t1.2\tLWM2M Security\t31"));
    assert!(out.lines().any(|l| l == "3336\t2.0\tLocation\t10"));
}

#[test]
fn list_of_a_directory_reports_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.xml"), BROKEN).unwrap();
    let output = run(&["list", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("broken.xml:5:3: error: "));
}

#[test]
fn show_prints_header_and_table() {
    let output = run(&["show", "3303"]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(
        out.starts_with("3303 Temperature\nversion 1.1, LwM2M 1.0, multiple instances, optional\n")
    );
    let header = out.lines().find(|l| l.starts_with("ID ")).unwrap();
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        [
            "ID",
            "Name",
            "Ops",
            "Type",
            "Multiple",
            "Mandatory",
            "Units",
            "Range"
        ]
    );
    let row = out.lines().find(|l| l.starts_with("6050 ")).unwrap();
    assert_eq!(
        row.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>(),
        [
            "6050",
            "Fractional Timestamp",
            "R",
            "Float",
            "no",
            "no",
            "s",
            "0..1"
        ]
    );
}
