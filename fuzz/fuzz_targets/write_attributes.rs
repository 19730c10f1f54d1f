#![no_main]
//! Fuzzes the Write-Attributes query parser (`pmin=10&pmax=60&st=0.5`) on arbitrary UTF-8.

use lwm2m::client::observe::AttributeUpdate;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let _ = AttributeUpdate::parse_query(query);
});
