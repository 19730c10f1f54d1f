//! What the CoAP layer must tolerate from real peers (PEERS.md) and the RFC 7959 block-wise
//! transfers, on datagrams as they arrive.

// Test helpers outside #[test] functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::time::Duration;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m::coap::block::{self, BlockOption};
use lwm2m::coap::options::{self, OptionError};
use lwm2m::coap::{
    Block1Assembler, Block1Config, Block1Outcome, BlockError, DEFAULT_MAX_MESSAGE_SIZE,
    RequestBuilder, encode, parse, piggybacked, serve_block2,
};
use proptest::prelude::*;

/// Header (CON GET, mid 0x0102, token 0xAB) followed by raw option bytes.
fn get_with(options_bytes: &[u8]) -> Packet {
    let mut datagram = vec![0x41, 0x01, 0x01, 0x02, 0xAB];
    datagram.extend_from_slice(options_bytes);
    parse(&datagram, DEFAULT_MAX_MESSAGE_SIZE).unwrap()
}

#[test]
fn coap_non_minimal_zero_accept_decodes_as_text_plain() {
    // Uri-Path "3" (delta 11), Accept (delta 6 -> 17) of one 0x00 byte, as lwm2m-node-lib sends.
    let packet = get_with(&[0xB1, b'3', 0x61, 0x00]);
    assert_eq!(options::accept(&packet), Ok(Some(0)));
    assert_eq!(options::uri_path(&packet).unwrap(), ["3"]);
    // Non-minimal wider encodings too: 00 00 2D 16 is 11542.
    let packet = get_with(&[0xD4, 0x04, 0x00, 0x00, 0x2D, 0x16]);
    assert_eq!(options::accept(&packet), Ok(Some(11542)));
    // Five bytes is not an unsigned integer option.
    let packet = get_with(&[0xD5, 0x04, 0, 0, 0, 0, 1]);
    assert_eq!(
        options::accept(&packet),
        Err(OptionError::UintTooLong { option: 17, len: 5 })
    );
}

#[test]
fn coap_empty_content_format_on_get_is_accepted() {
    // Uri-Path "5", Content-Format (delta 1 -> 12) with length 0.
    let packet = get_with(&[0xB1, b'5', 0x10]);
    assert_eq!(options::content_format(&packet), Ok(Some(0)));
    assert_eq!(options::unrecognized_critical(&packet), None);
    // LwM2M 1.0's text format 1541, unknown to coap-lite's ContentFormat enum.
    let packet = get_with(&[0xB1, b'5', 0x12, 0x06, 0x05]);
    assert_eq!(options::content_format(&packet), Ok(Some(1541)));
}

#[test]
fn coap_location_path_as_several_options_or_one_with_slashes() {
    let mut several = piggybacked(
        &get_with(&[]),
        MessageClass::Response(ResponseType::Created),
    );
    several.add_option(CoapOption::LocationPath, b"rd".to_vec());
    several.add_option(CoapOption::LocationPath, b"5".to_vec());
    let mut one = several.clone();
    one.clear_option(CoapOption::LocationPath);
    one.add_option(CoapOption::LocationPath, b"rd/5".to_vec());
    for packet in [several, one] {
        let reparsed = parse(&encode(&packet, 1152).unwrap(), 1152).unwrap();
        assert_eq!(options::location_path(&reparsed).unwrap(), ["rd", "5"]);
    }
    let mut leading = Packet::new();
    leading.add_option(CoapOption::LocationPath, b"/rd/x1y2".to_vec());
    assert_eq!(options::location_path(&leading).unwrap(), ["rd", "x1y2"]);
    let mut bad = Packet::new();
    bad.add_option(CoapOption::LocationPath, vec![b'r', 0xC0]);
    assert_eq!(
        options::location_path(&bad),
        Err(OptionError::InvalidUtf8 { option: 8 })
    );
}

#[test]
fn coap_uri_host_and_uri_port_are_tolerated() {
    // Uri-Host "h" (3), Uri-Port 5683 (delta 4 -> 7), Uri-Path "3" (delta 4 -> 11).
    let packet = get_with(&[0x31, b'h', 0x42, 0x16, 0x33, 0x41, b'3']);
    assert_eq!(options::unrecognized_critical(&packet), None);
    assert_eq!(options::uri_path(&packet).unwrap(), ["3"]);
    assert!(lwm2m::coap::message::bad_option_response(&packet, 0).is_none());
}

#[test]
fn coap_unknown_critical_option_is_detected() {
    // Uri-Path "3" then option 2049 (odd: critical): delta 2038, in the 2-byte extended form.
    let delta = 2049u16 - 11 - 269;
    let [high, low] = delta.to_be_bytes();
    let packet = get_with(&[0xB1, b'3', 0xE0, high, low]);
    assert_eq!(options::unrecognized_critical(&packet), Some(2049));
    let answer = lwm2m::coap::message::bad_option_response(&packet, 0).unwrap();
    assert_eq!(
        answer.header.code,
        MessageClass::Response(ResponseType::BadOption)
    );
    assert_eq!(answer.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(answer.header.message_id, 0x0102);
    assert_eq!(answer.get_token(), &[0xAB]);
    // An unknown elective (even) option is not a reason to refuse.
    let delta = 2050u16 - 11 - 269;
    let [high, low] = delta.to_be_bytes();
    let packet = get_with(&[0xB1, b'3', 0xE0, high, low]);
    assert_eq!(options::unrecognized_critical(&packet), None);
    // If-Match is critical and not implemented.
    let packet = get_with(&[0x11, 0x01]);
    assert_eq!(options::unrecognized_critical(&packet), Some(1));
}

#[test]
fn coap_block_option_round_trips() {
    for size in [16, 32, 64, 128, 256, 512, 1024] {
        for num in [0, 1, 15, 16, 4095, 4096, block::MAX_NUM] {
            for more in [false, true] {
                let value = BlockOption::new(num, more, size).unwrap();
                assert_eq!(BlockOption::decode(&value.encode()), Ok(value));
                assert_eq!((value.num(), value.more(), value.size()), (num, more, size));
            }
        }
    }
    // Through a packet.
    let request = RequestBuilder::new(RequestType::Get, 1, &[])
        .block2(BlockOption::new(3, false, 256).unwrap())
        .build()
        .unwrap();
    let reparsed = parse(&encode(&request, 1152).unwrap(), 1152).unwrap();
    assert_eq!(
        block::block2(&reparsed),
        Ok(Some(BlockOption::new(3, false, 256).unwrap()))
    );
    assert_eq!(block::block1(&reparsed), Ok(None));
}

#[test]
fn coap_block_option_errors() {
    assert_eq!(BlockOption::decode(&[0x07]), Err(BlockError::ReservedSzx));
    assert_eq!(
        BlockOption::decode(&[0, 0, 0, 1]),
        Err(BlockError::TooLong { len: 4 })
    );
    assert_eq!(
        BlockOption::new(0, false, 2048),
        Err(BlockError::InvalidSize { size: 2048 })
    );
    assert_eq!(
        BlockOption::new(0, false, 8),
        Err(BlockError::InvalidSize { size: 8 })
    );
    assert_eq!(
        BlockOption::new(0, false, 100),
        Err(BlockError::InvalidSize { size: 100 })
    );
    assert_eq!(
        BlockOption::new(1 << 20, false, 16),
        Err(BlockError::NumTooLarge { num: 1 << 20 })
    );
    assert_eq!(
        BlockOption::with_szx(0, false, 7),
        Err(BlockError::ReservedSzx)
    );
    assert_eq!(
        serve_block2(
            &[0; 100],
            Some(BlockOption::new(7, false, 16).unwrap()),
            1024
        ),
        Err(BlockError::OutOfRange {
            offset: 112,
            len: 100
        })
    );
}

fn body_3000() -> Vec<u8> {
    (0..3000u32).map(|i| (i * 7 % 256) as u8).collect()
}

/// Serves `body` with Block2 the way a server re-fetches it (each GET asks for the next block),
/// through encoded datagrams, and joins the blocks.
fn fetch_block2(body: &[u8], size: usize) -> (Vec<u8>, usize) {
    let mut received = Vec::new();
    let mut asked: Option<BlockOption> = None;
    let mut blocks = 0;
    loop {
        let mut request = RequestBuilder::new(RequestType::Get, blocks as u16, &[1]);
        if let Some(block) = asked {
            request = request.block2(block);
        }
        let request = parse(&encode(&request.build().unwrap(), 1152).unwrap(), 1152).unwrap();
        let slice = serve_block2(body, block::block2(&request).unwrap(), size).unwrap();
        let mut response = piggybacked(&request, MessageClass::Response(ResponseType::Content));
        slice.apply(&mut response);
        let datagram = encode(&response, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        let response = parse(&datagram, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        let block = block::block2(&response).unwrap().unwrap();
        assert_eq!(block.offset(), received.len());
        assert_eq!(options::uint(&response, CoapOption::Size2), Ok(Some(3000)));
        received.extend_from_slice(&response.payload);
        blocks += 1;
        if !block.more() {
            return (received, blocks);
        }
        asked = Some(BlockOption::new(block.num() + 1, false, block.size()).unwrap());
    }
}

#[test]
fn coap_payload_of_3000_bytes_served_in_512_and_1024_byte_blocks() {
    let body = body_3000();
    assert_eq!(fetch_block2(&body, 512), (body.clone(), 6));
    assert_eq!(fetch_block2(&body, 1024), (body.clone(), 3));
    // A peer asking for 1024-byte blocks from a side that sends at most 512 gets 512.
    let slice = serve_block2(&body, Some(BlockOption::new(2, false, 1024).unwrap()), 512).unwrap();
    assert_eq!(slice.block2.num(), 4);
    assert_eq!(slice.payload, &body[2048..2560]);
}

/// Sends `body` with Block1 in `size`-byte blocks, in the order of `order` (block indices).
fn send_block1(
    assembler: &mut Block1Assembler<u32>,
    now: Instant,
    body: &[u8],
    size: usize,
    order: &[u32],
) -> Vec<Block1Outcome> {
    let szx = block::szx_for_size(size).unwrap();
    order
        .iter()
        .map(|num| {
            let (payload, block) = block::block_of(body, *num, szx).unwrap();
            let request = RequestBuilder::new(RequestType::Put, *num as u16, &[9])
                .path(["5", "0", "0"])
                .content_format(42)
                .block1(block)
                .size1(body.len() as u32)
                .payload(payload.to_vec())
                .build()
                .unwrap();
            let request = parse(&encode(&request, 1152).unwrap(), 1152).unwrap();
            assembler.handle(now, &7, &request)
        })
        .collect()
}

#[test]
fn coap_block1_write_of_3000_bytes_is_reassembled_exactly() {
    let body = body_3000();
    for (size, blocks) in [(512usize, 6u32), (1024, 3)] {
        let mut assembler = Block1Assembler::new(Block1Config::default());
        let order: Vec<u32> = (0..blocks).collect();
        let outcomes = send_block1(&mut assembler, Instant::now(), &body, size, &order);
        for (num, outcome) in outcomes.iter().enumerate().take(blocks as usize - 1) {
            let expected = BlockOption::new(num as u32, true, size).unwrap();
            assert_eq!(outcome, &Block1Outcome::Continue { block1: expected });
            let mut response = Packet::new();
            outcome.apply(&mut response);
            assert_eq!(
                response.header.code,
                MessageClass::Response(ResponseType::Continue)
            );
            assert_eq!(block::block1(&response), Ok(Some(expected)));
        }
        match outcomes.last().unwrap() {
            Block1Outcome::Complete { body: got, block1 } => {
                assert_eq!(got, &body);
                assert!(!block1.more());
                assert_eq!(block1.num(), blocks - 1);
            }
            other => panic!("expected Complete, got {other:?}"),
        }
        assert!(assembler.is_empty());
    }
}

#[test]
fn coap_out_of_order_block1_is_request_entity_incomplete() {
    let body = body_3000();
    let mut assembler = Block1Assembler::new(Block1Config::default());
    let now = Instant::now();
    let outcomes = send_block1(&mut assembler, now, &body, 512, &[0, 2]);
    let incomplete = Block1Outcome::Reject {
        code: ResponseType::RequestEntityIncomplete,
        size1: None,
    };
    assert_eq!(outcomes[1], incomplete);
    let mut response = Packet::new();
    outcomes[1].apply(&mut response);
    assert_eq!(
        response.header.code,
        MessageClass::Response(ResponseType::RequestEntityIncomplete)
    );
    // A continuation without its first block.
    let mut fresh = Block1Assembler::new(Block1Config::default());
    assert_eq!(send_block1(&mut fresh, now, &body, 512, &[1]), [incomplete]);
    // The transfer in progress survives the stray block and completes in order.
    let rest = send_block1(&mut assembler, now, &body, 512, &[1, 2, 3, 4, 5]);
    assert!(matches!(rest.last(), Some(Block1Outcome::Complete { body: got, .. }) if got == &body));
}

#[test]
fn coap_block1_above_the_limit_is_too_large_with_size1() {
    let body = body_3000();
    let config = Block1Config {
        max_body: 2048,
        ..Block1Config::default()
    };
    let mut assembler = Block1Assembler::new(config);
    // Size1 announces 3000 bytes: refused on the first block.
    let outcomes = send_block1(&mut assembler, Instant::now(), &body, 512, &[0]);
    assert_eq!(
        outcomes,
        [Block1Outcome::Reject {
            code: ResponseType::RequestEntityTooLarge,
            size1: Some(2048)
        }]
    );
    let mut response = Packet::new();
    outcomes[0].apply(&mut response);
    assert_eq!(options::uint(&response, CoapOption::Size1), Ok(Some(2048)));
    assert!(assembler.is_empty());
}

#[test]
fn coap_block1_transfers_expire() {
    let body = body_3000();
    let config = Block1Config {
        lifetime: Duration::from_secs(30),
        ..Block1Config::default()
    };
    let mut assembler = Block1Assembler::new(config);
    let start = Instant::now();
    send_block1(&mut assembler, start, &body, 1024, &[0]);
    assert_eq!(assembler.len(), 1);
    assembler.expire(start + Duration::from_secs(29));
    assert_eq!(assembler.len(), 1);
    let late = send_block1(
        &mut assembler,
        start + Duration::from_secs(31),
        &body,
        1024,
        &[1],
    );
    assert_eq!(
        late,
        [Block1Outcome::Reject {
            code: ResponseType::RequestEntityIncomplete,
            size1: None
        }]
    );
    assert!(assembler.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn coap_parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1400)) {
        if let Ok(packet) = parse(&bytes, 1280) {
            // Whatever parsed can be read and re-encoded without panicking.
            let _ = options::uri_path(&packet);
            let _ = options::uri_query(&packet);
            let _ = options::location_path(&packet);
            let _ = options::content_format(&packet);
            let _ = options::accept(&packet);
            let _ = options::observe(&packet);
            let _ = options::unrecognized_critical(&packet);
            let _ = block::block1(&packet);
            let _ = block::block2(&packet);
            let _ = encode(&packet, 1280);
            let mut assembler = Block1Assembler::new(Block1Config::default());
            let _ = assembler.handle(Instant::now(), &0u8, &packet);
        } else if let Err(error) = parse(&bytes, 1280) {
            let _ = error.reset();
        }
    }

    #[test]
    fn coap_well_formed_headers_with_arbitrary_tails_never_panic(
        token_len in 0u8..=8,
        code in prop_oneof![Just(1u8), Just(2), Just(3), Just(0x45), Just(0x44)],
        tail in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut datagram = vec![0x40 | token_len, code, 0x12, 0x34];
        datagram.extend(std::iter::repeat_n(0xAA, usize::from(token_len)));
        datagram.extend_from_slice(&tail);
        match parse(&datagram, DEFAULT_MAX_MESSAGE_SIZE) {
            Ok(packet) => {
                prop_assert_eq!(packet.header.message_id, 0x1234);
                prop_assert_eq!(packet.get_token().len(), usize::from(token_len));
                let _ = options::uri_path(&packet);
                let _ = block::block1(&packet);
                let _ = options::location_path(&packet);
                let _ = encode(&packet, DEFAULT_MAX_MESSAGE_SIZE);
            }
            Err(error) => {
                // Confirmable with a readable header: always an RST with the same id.
                let rst = error.reset();
                prop_assert_eq!(rst.map(|p| p.header.message_id), Some(0x1234));
            }
        }
    }

    #[test]
    fn coap_block_values_round_trip(num in 0u32..=block::MAX_NUM, more: bool, szx in 0u8..7) {
        let value = BlockOption::with_szx(num, more, szx).unwrap();
        prop_assert_eq!(BlockOption::decode(&value.encode()), Ok(value));
    }

    #[test]
    fn coap_block2_blocks_join_to_the_body(len in 0usize..5000, szx in 0u8..7) {
        let body: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut joined = Vec::new();
        let mut num = 0;
        loop {
            let (slice, block) = block::block_of(&body, num, szx).unwrap();
            joined.extend_from_slice(slice);
            if !block.more() { break; }
            num += 1;
        }
        prop_assert_eq!(joined, body);
    }
}
