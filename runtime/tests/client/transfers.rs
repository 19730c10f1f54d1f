//! The client's CoAP layer: malformed messages, unknown critical options, block-wise reads
//! (Block2) and writes (Block1), against a scripted server.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;

use crate::support::*;
use coap_lite::{CoapOption, MessageType, Packet, RequestType};
use lwm2m::client::{Client, LwM2mVersion};
use lwm2m::coap::block::{self, BlockOption};
use lwm2m::coap::options;
use lwm2m::{Object, ObjectStore};

/// An object with a large opaque resource.
#[derive(Debug, Default, Clone, PartialEq, Object)]
#[lwm2m(id = 32769, name = "Blob")]
struct Blob {
    #[lwm2m(id = 0, name = "Data", op = "RW", mandatory)]
    data: Vec<u8>,
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A registered client serving a 3000-byte Blob besides the usual objects.
fn blob_client(now: Instant) -> Client {
    let mut store: ObjectStore = store();
    store
        .insert(
            0,
            Blob {
                data: pattern(3000, 1),
            },
            (),
        )
        .unwrap();
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let register = only(&mut client);
    let mut created = answer(&register, coap_lite::ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd/5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    events(&mut client);
    client
}

fn block2_of(packet: &Packet) -> BlockOption {
    block::block2(packet).unwrap().unwrap()
}

#[test]
fn a_malformed_confirmable_message_is_reset_and_a_non_confirmable_one_ignored() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    // Token length 9: a message format error.
    let con = [0x49, 0x01, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    client.handle_datagram(now, server(), &con);
    let rst = only(&mut client);
    assert_eq!(rst.header.get_type(), MessageType::Reset);
    assert_eq!(rst.header.message_id, 0x1234);
    let non = [0x59, 0x01, 0x12, 0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    client.handle_datagram(now, server(), &non);
    assert!(sent(&mut client).is_empty());
    // Version 2: silently ignored.
    client.handle_datagram(now, server(), &[0x80, 0x01, 0, 1]);
    assert!(sent(&mut client).is_empty());
}

#[test]
fn an_unknown_critical_option_is_answered_bad_option() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let response = Request::new(RequestType::Get, "/3/0/0")
        .option(CoapOption::Unknown(65001), b"x")
        .send(&mut client, now);
    assert_eq!(code(&response), "4.02");
    // An unknown elective option is ignored.
    let response = Request::new(RequestType::Get, "/3/0/0")
        .id(2)
        .option(CoapOption::Unknown(65000), b"x")
        .send(&mut client, now);
    assert_eq!(code(&response), "2.05");
}

#[test]
fn a_3000_byte_opaque_resource_is_read_in_512_byte_blocks() {
    let now = Instant::now();
    let mut client = blob_client(now);
    let first = Request::new(RequestType::Get, "/32769/0/0").send(&mut client, now);
    assert_eq!(code(&first), "2.05");
    assert_eq!(content_format(&first), Some(42));
    let block = block2_of(&first);
    assert_eq!((block.num(), block.more(), block.size()), (0, true, 512));
    assert_eq!(
        options::uint(&first, CoapOption::Size2).unwrap(),
        Some(3000)
    );
    let mut body = first.payload.clone();
    // The value changes between blocks: the kept body keeps the blocks consistent.
    client.store_mut().get_mut::<Blob>(0).unwrap().data = pattern(3000, 9);
    let mut num = 1;
    loop {
        let next = Request::new(RequestType::Get, "/32769/0/0")
            .id(100 + num as u16)
            .option(
                CoapOption::Block2,
                &BlockOption::new(num, false, 512).unwrap().encode(),
            )
            .send(&mut client, now);
        assert_eq!(code(&next), "2.05");
        let block = block2_of(&next);
        assert_eq!(block.num(), num);
        body.extend_from_slice(&next.payload);
        if !block.more() {
            assert_eq!(next.payload.len(), 3000 - 5 * 512);
            break;
        }
        assert_eq!(next.payload.len(), 512);
        num += 1;
    }
    assert_eq!(num, 5);
    assert_eq!(body, pattern(3000, 1));
    // Block 0 renders the body again; a block past the end is refused.
    let again = Request::new(RequestType::Get, "/32769/0/0")
        .id(200)
        .option(
            CoapOption::Block2,
            &BlockOption::new(0, false, 512).unwrap().encode(),
        )
        .send(&mut client, now);
    assert_eq!(again.payload, pattern(3000, 9)[..512]);
    let beyond = Request::new(RequestType::Get, "/32769/0/0")
        .id(201)
        .option(
            CoapOption::Block2,
            &BlockOption::new(6, false, 512).unwrap().encode(),
        )
        .send(&mut client, now);
    assert_eq!(code(&beyond), "4.02");
}

#[test]
fn a_server_asking_a_block_gets_that_block_at_its_size() {
    let now = Instant::now();
    let mut client = blob_client(now);
    let response = Request::new(RequestType::Get, "/32769/0/0")
        .option(
            CoapOption::Block2,
            &BlockOption::new(2, false, 256).unwrap().encode(),
        )
        .send(&mut client, now);
    assert_eq!(code(&response), "2.05");
    let block = block2_of(&response);
    assert_eq!((block.num(), block.more(), block.size()), (2, true, 256));
    assert_eq!(response.payload, pattern(3000, 1)[512..768]);
    // A small resource asked with Block2 comes whole in block 0, M = 0.
    let small = Request::new(RequestType::Get, "/3/0/0")
        .id(9)
        .option(
            CoapOption::Block2,
            &BlockOption::new(0, false, 64).unwrap().encode(),
        )
        .send(&mut client, now);
    let block = block2_of(&small);
    assert_eq!((block.num(), block.more()), (0, false));
    assert_eq!(
        small.payload,
        lwm2m::objects::Device::DEMO_MANUFACTURER.as_bytes()
    );
}

fn put_block(client: &mut Client, now: Instant, body: &[u8], num: u32, id: u16) -> Packet {
    let (slice, block) = block::block_of(body, num, 5).unwrap();
    Request::new(RequestType::Put, "/32769/0/0")
        .id(id)
        .format(42)
        .option(CoapOption::Block1, &block.encode())
        .payload(slice)
        .send(client, now)
}

#[test]
fn a_3000_byte_write_is_reassembled_from_blocks() {
    let now = Instant::now();
    let mut client = blob_client(now);
    let body = pattern(3000, 77);
    for num in 0..5 {
        let response = put_block(&mut client, now, &body, num, 300 + num as u16);
        assert_eq!(code(&response), "2.31");
        let echoed = block::block1(&response).unwrap().unwrap();
        assert_eq!((echoed.num(), echoed.more()), (num, true));
        assert_ne!(client.store().get::<Blob>(0).unwrap().data, body);
    }
    let last = put_block(&mut client, now, &body, 5, 305);
    assert_eq!(code(&last), "2.04");
    let echoed = block::block1(&last).unwrap().unwrap();
    assert_eq!((echoed.num(), echoed.more()), (5, false));
    assert_eq!(client.store().get::<Blob>(0).unwrap().data, body);
}

#[test]
fn block1_gaps_and_oversized_bodies_are_refused() {
    let now = Instant::now();
    let mut client = blob_client(now);
    let body = pattern(3000, 5);
    assert_eq!(code(&put_block(&mut client, now, &body, 0, 400)), "2.31");
    // Block 2 without block 1.
    assert_eq!(code(&put_block(&mut client, now, &body, 2, 401)), "4.08");
    // A continuation with no transfer started.
    let mut other = blob_client(now);
    assert_eq!(code(&put_block(&mut other, now, &body, 3, 402)), "4.08");
    // Size1 announcing more than the client accepts.
    let (slice, block) = block::block_of(&body, 0, 5).unwrap();
    let too_large = Request::new(RequestType::Put, "/32769/0/0")
        .id(403)
        .format(42)
        .option(CoapOption::Block1, &block.encode())
        .option(CoapOption::Size1, &options::encode_uint(50_000_000))
        .payload(slice)
        .send(&mut client, now);
    assert_eq!(code(&too_large), "4.13");
    assert!(
        options::uint(&too_large, CoapOption::Size1)
            .unwrap()
            .is_some()
    );
    assert_eq!(
        client.store().get::<Blob>(0).unwrap().data,
        pattern(3000, 1)
    );
}
