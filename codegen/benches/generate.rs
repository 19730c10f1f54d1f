//! Code generation speed over every bundled object: parse and generate from the embedded text,
//! unformatted (what `Builder` writes by default) and formatted (`.format(true)`, what the CLI
//! writes by default); generate only, from parsed definitions, both ways; parse only (the
//! registry crate's XML to `ObjectDef`); and the floor: read every bundled registry file from
//! disk and run a quick-xml event reader over it, generating nothing.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use lwm2m_codegen::emit::{self, FileOptions};
use lwm2m_codegen::naming;
use lwm2m_model::{ObjectDef, Registry, parse_str};

fn parse_all() -> Vec<ObjectDef> {
    Registry::bundled_files()
        .iter()
        .filter_map(|(name, text)| parse_str(*name, text).object)
        .collect()
}

fn generate(defs: &[ObjectDef], format: bool) -> String {
    let names: BTreeMap<u16, String> =
        naming::type_names(defs.iter().map(|d| (d.id, d.name.as_str())));
    let refs = defs.iter().collect::<Vec<_>>();
    let options = FileOptions {
        objects_list: true,
        format,
        ..FileOptions::default()
    };
    emit::file(&refs, &names, &options).expect("generated code parses")
}

fn read_and_scan(files: &[PathBuf]) -> usize {
    let mut events = 0;
    for file in files {
        let text = std::fs::read(file).expect("registry file");
        let mut reader = quick_xml::Reader::from_reader(text.as_slice());
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) | Err(_) => break,
                Ok(_) => events += 1,
            }
            buf.clear();
        }
    }
    events
}

fn benches(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../registry/objects");
    let mut files = std::fs::read_dir(&dir)
        .expect("bundled registry directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect::<Vec<_>>();
    files.sort();
    let defs = parse_all();

    let mut group = c.benchmark_group("bundled registry");
    group.sample_size(10);
    group.bench_function("parse + generate, unformatted", |b| {
        b.iter(|| generate(&parse_all(), false).len())
    });
    group.bench_function("parse + generate, formatted", |b| {
        b.iter(|| generate(&parse_all(), true).len())
    });
    group.bench_function("generate only, unformatted", |b| {
        b.iter(|| generate(black_box(&defs), false).len())
    });
    group.bench_function("generate only, formatted", |b| {
        b.iter(|| generate(black_box(&defs), true).len())
    });
    group.bench_function("parse only", |b| b.iter(|| parse_all().len()));
    group.bench_function(
        format!("floor: read + quick-xml scan ({} files)", files.len()),
        |b| b.iter(|| read_and_scan(black_box(&files))),
    );
    group.finish();
}

criterion_group!(generate_benches, benches);
criterion_main!(generate_benches);
