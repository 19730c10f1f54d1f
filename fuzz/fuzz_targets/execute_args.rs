#![no_main]
//! Fuzzes the Execute argument parser (`0='a',1`) on arbitrary payload bytes: what parses must
//! write back to text that parses to the same arguments.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(args) = lwm2m::ExecuteArgs::parse_bytes(data) else {
        return;
    };
    let text = args
        .iter()
        .map(|(number, value)| match value {
            Some(value) => format!("{number}='{value}'"),
            None => number.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let again = lwm2m::ExecuteArgs::parse(&text).expect("written arguments parse");
    assert!(args.iter().eq(again.iter()), "{text:?}");
});
