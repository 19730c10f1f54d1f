//! Every registry file parses without errors: the bundled copy and the full shared registry
//! (current files and version history).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests may panic on unexpected results.

use std::path::{Path, PathBuf};
use std::time::Instant;

use lwm2m_model::{Registry, Severity, parse_file, parse_str, xml_files};

#[test]
fn every_bundled_file_parses_without_errors() {
    let files = Registry::bundled_files();
    assert_eq!(files.len(), 325);
    let started = Instant::now();
    let mut errors = Vec::new();
    let mut warnings = 0;
    for (name, text) in files {
        let parsed = parse_str(*name, text);
        for d in &parsed.diagnostics {
            match d.severity {
                Severity::Error => errors.push(d.to_string()),
                Severity::Warning => warnings += 1,
            }
        }
        assert!(parsed.object.is_some() || !errors.is_empty(), "{name}");
    }
    println!(
        "parsed {} bundled files in {:?} ({warnings} warnings)",
        files.len(),
        started.elapsed()
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn bundled_registry_holds_every_file_by_id() {
    let registry = Registry::bundled();
    assert_eq!(registry.len(), 325);
    for (name, _) in Registry::bundled_files() {
        let id: u16 = name.trim_end_matches(".xml").parse().unwrap();
        assert_eq!(registry.get(id).map(|o| o.id), Some(id), "{name}");
    }
    assert!(
        registry.get(3443).is_none(),
        "3443 has no license and is not bundled"
    );
    assert!(
        registry.get(10244).is_none(),
        "10244 has no license and is not bundled"
    );
    let ids: Vec<u16> = registry.objects().map(|o| o.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "objects() ascends by id"
    );
}

#[test]
fn bundled_files_are_sorted_by_name() {
    let names: Vec<&str> = Registry::bundled_files().iter().map(|(n, _)| *n).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
}

fn shared_registry() -> Option<PathBuf> {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/registry"
    ));
    if dir.is_dir() {
        Some(dir.to_path_buf())
    } else {
        println!("skipped: {} is absent", dir.display());
        None
    }
}

#[test]
fn every_shared_registry_file_parses_without_errors() {
    let Some(dir) = shared_registry() else { return };
    let files = xml_files(&[dir.clone(), dir.join("version_history")]).unwrap();
    assert_eq!(files.len(), 751);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for file in &files {
        let parsed = parse_file(file);
        for d in parsed.diagnostics {
            match d.severity {
                Severity::Error => errors.push(d.to_string()),
                Severity::Warning => warnings.push(d.to_string()),
            }
        }
        if errors.is_empty() {
            assert!(parsed.object.is_some(), "{}", file.display());
        }
    }
    if std::env::var_os("SHOW_WARNINGS").is_some() {
        println!("{}", warnings.join("\n"));
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn bundled_registry_is_each_file_parsed_alone() {
    // Registry::bundled parses the files on every core; the result is the sequential one.
    let registry = Registry::bundled();
    for (name, text) in Registry::bundled_files() {
        let alone = lwm2m_model::parse_str(*name, text).object.unwrap();
        assert_eq!(registry.get(alone.id), Some(&alone), "{name}");
    }
}
