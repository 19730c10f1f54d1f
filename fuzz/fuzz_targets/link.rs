#![no_main]
//! Fuzzes the CoRE link-format parser: what parses must write back to text that parses the same.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(links) = lwm2m::codec::link::parse(text) else {
        return;
    };
    let again =
        lwm2m::codec::link::parse(&lwm2m::codec::link::write(&links)).expect("written links parse");
    assert_eq!(links, again);
});
