#![no_main]
//! Fuzzes the SenmlJson decoder (and its round trip).

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::run(lwm2m::codec::ContentFormat::SenmlJson, data);
});
