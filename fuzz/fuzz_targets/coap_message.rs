#![no_main]
//! Fuzzes CoAP datagram parsing (with the default size limit) and every typed option view: none
//! may panic, whatever the options hold. A parsed packet must encode and parse back the same.

use lwm2m::coap::message::{DEFAULT_MAX_MESSAGE_SIZE, encode, parse};
use lwm2m::coap::{block, options};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(packet) = parse(data, DEFAULT_MAX_MESSAGE_SIZE) else {
        return;
    };
    let _ = options::content_format(&packet);
    let _ = options::accept(&packet);
    let _ = options::observe(&packet);
    let _ = options::uri_path(&packet);
    let _ = options::uri_query(&packet);
    let _ = options::location_path(&packet);
    let _ = options::request_tag(&packet);
    let _ = options::unrecognized_critical(&packet);
    for found in [block::block1(&packet), block::block2(&packet)] {
        if let Ok(Some(b)) = found {
            let _ = (b.size(), b.offset());
            assert_eq!(block::BlockOption::decode(&b.encode()), Ok(b));
        }
    }
    let _ = lwm2m::coap::message::bad_option_response(&packet, 1);
    let bytes = encode(&packet, DEFAULT_MAX_MESSAGE_SIZE).expect("a parsed packet encodes");
    let again = parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).expect("an encoded packet parses");
    assert_eq!(packet, again);
});
