#![no_main]
//! Fuzzes the registry XML parser on arbitrary bytes: it must never panic, and an object comes
//! back only when no error diagnostic does.

use lwm2m_model::Severity;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let parsed = lwm2m_model::parse_bytes("fuzz.xml", data);
    let errors = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if parsed.object.is_some() {
        assert_eq!(
            errors, 0,
            "an object despite errors: {:?}",
            parsed.diagnostics
        );
    } else {
        assert!(
            errors > 0,
            "no object and no error: {:?}",
            parsed.diagnostics
        );
    }
    for diagnostic in &parsed.diagnostics {
        let _ = diagnostic.to_string();
    }
});
