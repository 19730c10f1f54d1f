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
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let code = std::fs::read_to_string(out_dir.join("lwm2m_objects.rs")).unwrap();
    assert!(code.contains("pub struct Device {"));
    assert!(code.contains("pub struct Temperature {"));
    assert!(code.contains("::my_lwm2m::Object"));
    assert_eq!(code.matches("pub struct ").count(), 2);
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
    // prettyplease breaks the long object attribute over lines; the generator does not.
    assert!(formatted.contains("#[lwm2m(\n    crate = \"::lwm2m\",\n    id = 3303,\n"));
    assert!(
        unformatted.contains("#[lwm2m(crate = \"::lwm2m\", id = 3303, name = \"Temperature\", ")
    );
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
