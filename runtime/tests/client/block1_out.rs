//! The client's own large requests go block-wise (Block1, RFC 7959 §2.3, §2.5): a Register of
//! many instances, an Update carrying changed links and a big Send, against a scripted server
//! that answers 2.31 Continue, asks for smaller blocks, loses blocks, answers 4.13 and 4.08.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m::client::{
    Client, Event, Failure, LwM2mVersion, RegistrationRequest, ResponseCode, registration,
};
use lwm2m::coap::block::{self, BlockOption};
use lwm2m::coap::options;
use lwm2m::codec::{self, ContentFormat};
use lwm2m::{ObjectStore, Path, Value};

/// The usual store with Light instances 0..count.
fn many_lights(count: u16) -> ObjectStore {
    let mut store = store();
    for instance in 1..count {
        store.insert(instance, Light::default(), Switch).unwrap();
    }
    store
}

fn block1_of(packet: &Packet) -> BlockOption {
    block::block1(packet).unwrap().unwrap()
}

fn size1_of(packet: &Packet) -> Option<u32> {
    options::uint(packet, CoapOption::Size1).unwrap()
}

/// The server's answer `code` to `request` carrying the Block1 option `block1`.
fn answer_block(request: &Packet, code: ResponseType, block1: BlockOption) -> Packet {
    let mut response = answer(request, code);
    block::set_block1(&mut response, block1);
    response
}

fn deliver(client: &mut Client, now: Instant, packet: &Packet) {
    client.handle_datagram(now, server(), &packet.to_bytes().unwrap());
}

/// Answers every block but the last with 2.31 Continue echoing its Block1; the blocks sent,
/// starting with `first`.
fn take_blocks(client: &mut Client, now: Instant, first: Packet) -> Vec<Packet> {
    let mut blocks = vec![first];
    loop {
        let last = blocks.last().unwrap();
        let block1 = block1_of(last);
        if !block1.more() {
            return blocks;
        }
        deliver(
            client,
            now,
            &answer_block(last, ResponseType::Continue, block1),
        );
        blocks.push(only(client));
    }
}

/// The body the blocks carry, checking that each starts where the previous ended.
fn reassemble(blocks: &[Packet]) -> Vec<u8> {
    let mut body = Vec::new();
    for packet in blocks {
        assert_eq!(
            block1_of(packet).offset(),
            body.len(),
            "a gap or an overlap"
        );
        body.extend_from_slice(&packet.payload);
    }
    body
}

/// The dimmer at `count` different times: a Send payload of about 10 bytes per record.
fn dimmer_records(count: u32) -> Vec<codec::Record> {
    (0..count)
        .map(|i| {
            codec::Record::new(
                Path::resource(3311, 0, 5851),
                Value::Integer(i64::from(i % 100)),
            )
            .at(1_700_000_000.0 + f64::from(i))
        })
        .collect()
}

fn created(request: &Packet) -> Packet {
    let mut created = answer(request, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"7".to_vec());
    if let Ok(Some(block1)) = block::block1(request) {
        block::set_block1(&mut created, block1);
    }
    created
}

#[test]
fn a_register_of_200_instances_goes_in_512_byte_blocks_that_reassemble_exactly() {
    let now = Instant::now();
    let store = many_lights(200);
    let links = registration::object_links(&store, LwM2mVersion::V1_1);
    assert!(links.len() > 2000, "{}", links.len());
    assert!(links.contains("</3311/199>"));
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let raw: Vec<_> = std::iter::from_fn(|| client.poll_transmit()).collect();
    assert_eq!(raw.len(), 1);
    assert!(raw[0].bytes.len() <= 1152, "{}", raw[0].bytes.len());
    let first = Packet::from_bytes(&raw[0].bytes).unwrap();
    assert_eq!(first.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(strings(&first, CoapOption::UriPath), ["rd"]);
    assert_eq!(size1_of(&first), Some(links.len() as u32));
    let blocks = take_blocks(&mut client, now, first.clone());

    let count = links.len().div_ceil(512);
    assert_eq!(blocks.len(), count);
    let mut ids = Vec::new();
    for (num, packet) in blocks.iter().enumerate() {
        let block1 = block1_of(packet);
        let last = num + 1 == count;
        assert_eq!(block1.num() as usize, num);
        assert_eq!(block1.size(), 512);
        assert_eq!(block1.more(), !last);
        if !last {
            assert_eq!(packet.payload.len(), 512);
        }
        // Size1 (the whole body) in block 0 only.
        assert_eq!(size1_of(packet).is_some(), num == 0);
        // Every block is the same confirmable request: token and options, a new message id.
        assert_eq!(packet.header.get_type(), MessageType::Confirmable);
        assert_eq!(packet.get_token(), first.get_token());
        for option in [
            CoapOption::UriPath,
            CoapOption::UriQuery,
            CoapOption::ContentFormat,
        ] {
            assert_eq!(
                strings(packet, option),
                strings(&first, option),
                "{option:?}"
            );
        }
        assert_eq!(content_format(packet), Some(40));
        assert!(packet.to_bytes().unwrap().len() <= 1152);
        ids.push(packet.header.message_id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "a new message id per block");
    assert_eq!(reassemble(&blocks), links.as_bytes());

    // The final response (2.01 with the location) answers the last block.
    deliver(&mut client, now, &created(blocks.last().unwrap()));
    assert!(client.is_registered());
    assert!(
        events(&mut client)
            .iter()
            .any(|e| matches!(e, Event::Registered { location } if location == "/rd/7"))
    );
    assert!(sent(&mut client).is_empty());
}

#[test]
fn a_smaller_block_size_in_the_servers_continue_is_used_for_the_following_blocks() {
    let now = Instant::now();
    let store = many_lights(200);
    let links = registration::object_links(&store, LwM2mVersion::V1_1);
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let first = only(&mut client);
    assert_eq!(block1_of(&first).size(), 512);
    // Block 0 (512 bytes) taken; the server prefers 128-byte blocks (SZX 3).
    let hint = BlockOption::new(0, true, 128).unwrap();
    deliver(
        &mut client,
        now,
        &answer_block(&first, ResponseType::Continue, hint),
    );
    let second = only(&mut client);
    let block1 = block1_of(&second);
    // The next offset, 512, at the new size: block 4 of 128 bytes.
    assert_eq!((block1.num(), block1.size()), (4, 128));
    let mut blocks = vec![first];
    blocks.extend(take_blocks(&mut client, now, second));
    assert!(blocks[1..].iter().all(|p| block1_of(p).size() == 128));
    assert_eq!(blocks.len(), 1 + (links.len() - 512).div_ceil(128));
    assert_eq!(reassemble(&blocks), links.as_bytes());
    deliver(&mut client, now, &created(blocks.last().unwrap()));
    assert!(client.is_registered());
}

#[test]
fn blocks_are_sized_to_fit_a_small_maximum_message_size() {
    let now = Instant::now();
    let store = many_lights(50);
    let links = registration::object_links(&store, LwM2mVersion::V1_1);
    let mut config = config(LwM2mVersion::V1_1);
    config.max_message_size = 300;
    let mut client = Client::new(config, store);
    client.start(now);
    let first = only(&mut client);
    // 512 configured, but 512 or 256 bytes and the Register's options do not fit 300 bytes.
    assert_eq!(block1_of(&first).size(), 128);
    let blocks = take_blocks(&mut client, now, first);
    assert!(blocks.iter().all(|p| p.to_bytes().unwrap().len() <= 300));
    assert_eq!(reassemble(&blocks), links.as_bytes());
}

#[test]
fn a_lost_block_is_retransmitted_and_a_block_given_up_fails_the_register() {
    let now = Instant::now();
    let mut client = Client::new(config(LwM2mVersion::V1_1), many_lights(200));
    client.start(now);
    let first = only(&mut client);
    deliver(
        &mut client,
        now,
        &answer_block(&first, ResponseType::Continue, block1_of(&first)),
    );
    let raw: Vec<_> = std::iter::from_fn(|| client.poll_transmit()).collect();
    assert_eq!(raw.len(), 1);
    let second = Packet::from_bytes(&raw[0].bytes).unwrap();
    assert_eq!(block1_of(&second).num(), 1);

    // Block 1 is lost: after the ACK timeout it goes again, byte for byte (same message id).
    let at = client.poll_timeout().unwrap();
    assert!(at > now && at <= now + Duration::from_secs(3));
    client.handle_timeout(at);
    let again: Vec<_> = std::iter::from_fn(|| client.poll_transmit()).collect();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].bytes, raw[0].bytes);
    // Its answer moves the transfer on.
    deliver(
        &mut client,
        at,
        &answer_block(&second, ResponseType::Continue, block1_of(&second)),
    );
    let third = only(&mut client);
    assert_eq!(block1_of(&third).num(), 2);
    assert_eq!(third.get_token(), first.get_token());

    // Block 2 is never answered: after MAX_RETRANSMIT (4) retransmissions the Register fails.
    let mut resent = 0;
    let mut time = at;
    while !events(&mut client)
        .iter()
        .any(|e| matches!(e, Event::RegistrationFailed { .. }))
    {
        time = client.poll_timeout().unwrap();
        assert!(time < at + Duration::from_secs(120), "never given up");
        client.handle_timeout(time);
        for packet in sent(&mut client).into_iter().map(|(_, p)| p) {
            assert_eq!(packet.header.message_id, third.header.message_id);
            resent += 1;
        }
    }
    assert_eq!(resent, 4);
    assert!(!client.is_registered());
    // The retry starts over from block 0 with a new token.
    let retry = client.poll_timeout().unwrap();
    assert!(retry >= time + Duration::from_secs(10));
    client.handle_timeout(retry);
    let restart = only(&mut client);
    assert_eq!(block1_of(&restart).num(), 0);
    assert_ne!(restart.get_token(), first.get_token());
}

#[test]
fn an_error_to_a_middle_block_is_the_outcome_and_stops_the_transfer() {
    let now = Instant::now();
    let mut client = Client::new(config(LwM2mVersion::V1_1), many_lights(200));
    client.start(now);
    let first = only(&mut client);
    deliver(
        &mut client,
        now,
        &answer_block(&first, ResponseType::Continue, block1_of(&first)),
    );
    let second = only(&mut client);
    deliver(&mut client, now, &answer(&second, ResponseType::BadRequest));
    assert!(sent(&mut client).is_empty());
    assert!(events(&mut client).iter().any(|e| matches!(
        e,
        Event::RegistrationFailed {
            request: RegistrationRequest::Register,
            reason: Failure::Answered(ResponseCode {
                class: 4,
                detail: 0
            }),
        }
    )));
    assert!(!client.is_registered());
}

#[test]
fn request_entity_incomplete_starts_over_from_block_0_a_bounded_number_of_times() {
    let now = Instant::now();
    let store = many_lights(200);
    let links = registration::object_links(&store, LwM2mVersion::V1_1);
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let first = only(&mut client);
    deliver(
        &mut client,
        now,
        &answer_block(&first, ResponseType::Continue, block1_of(&first)),
    );
    let second = only(&mut client);
    // The server lost the start of the body: 4.08 starts the transfer over.
    deliver(
        &mut client,
        now,
        &answer(&second, ResponseType::RequestEntityIncomplete),
    );
    let restart = only(&mut client);
    assert_eq!(block1_of(&restart).num(), 0);
    assert_eq!(size1_of(&restart), Some(links.len() as u32));
    assert_eq!(restart.get_token(), first.get_token());
    assert_eq!(restart.payload, first.payload);
    let blocks = take_blocks(&mut client, now, restart);
    assert_eq!(reassemble(&blocks), links.as_bytes());
    deliver(&mut client, now, &created(blocks.last().unwrap()));
    assert!(client.is_registered());

    // A server answering 4.08 every time: three restarts, then the fourth 4.08 is the outcome.
    let mut client = Client::new(config(LwM2mVersion::V1_1), many_lights(200));
    client.start(now);
    let mut request = only(&mut client);
    for _ in 0..3 {
        deliver(
            &mut client,
            now,
            &answer(&request, ResponseType::RequestEntityIncomplete),
        );
        request = only(&mut client);
        assert_eq!(block1_of(&request).num(), 0);
    }
    deliver(
        &mut client,
        now,
        &answer(&request, ResponseType::RequestEntityIncomplete),
    );
    assert!(sent(&mut client).is_empty());
    assert!(events(&mut client).iter().any(|e| matches!(
        e,
        Event::RegistrationFailed {
            reason: Failure::Answered(ResponseCode {
                class: 4,
                detail: 8
            }),
            ..
        }
    )));
}

#[test]
fn an_update_with_many_new_instances_goes_block_wise() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    for instance in 1..200 {
        client
            .store_mut()
            .insert(instance, Light::default(), Switch)
            .unwrap();
    }
    let links = registration::object_links(client.store(), LwM2mVersion::V1_1);
    client.handle_timeout(now);
    let first = only(&mut client);
    assert_eq!(strings(&first, CoapOption::UriPath), ["rd", "5"]);
    let blocks = take_blocks(&mut client, now, first);
    assert!(blocks.len() > 1);
    assert_eq!(reassemble(&blocks), links.as_bytes());
    let last = blocks.last().unwrap();
    deliver(
        &mut client,
        now,
        &answer_block(last, ResponseType::Changed, block1_of(last)),
    );
    assert!(events(&mut client).contains(&Event::Updated));
    // The links were taken: no new Update for them.
    client.handle_timeout(now);
    assert!(sent(&mut client).is_empty());
}

#[test]
fn a_send_too_large_for_one_message_goes_block_wise_and_decodes_whole() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let records = dimmer_records(300);
    client.send_records(now, &records).unwrap();
    let first = only(&mut client);
    assert_eq!(strings(&first, CoapOption::UriPath), ["dp"]);
    let blocks = take_blocks(&mut client, now, first);
    assert!(blocks.len() > 2, "{}", blocks.len());
    assert!(blocks.iter().all(|p| content_format(p) == Some(112)));
    let body = reassemble(&blocks);
    assert_eq!(size1_of(&blocks[0]), Some(body.len() as u32));
    let decoded =
        codec::decode(ContentFormat::SenmlCbor, &Path::ROOT, &body, &device_kinds).unwrap();
    let seen: Vec<(Value, Option<f64>)> = decoded.into_iter().map(|r| (r.value, r.time)).collect();
    let expected: Vec<(Value, Option<f64>)> =
        records.into_iter().map(|r| (r.value, r.time)).collect();
    assert_eq!(seen, expected);
    let last = blocks.last().unwrap();
    deliver(
        &mut client,
        now,
        &answer_block(last, ResponseType::Changed, block1_of(last)),
    );
    assert!(
        events(&mut client).iter().any(
            |e| matches!(e, Event::Sent { paths } if paths == &[Path::resource(3311, 0, 5851)])
        )
    );
}

#[test]
fn too_large_with_a_block1_hint_resends_a_whole_send_in_smaller_blocks() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    client.send_records(now, &dimmer_records(20)).unwrap();
    let whole = only(&mut client);
    assert!(whole.payload.len() > 128, "{}", whole.payload.len());
    assert!(block::block1(&whole).unwrap().is_none(), "fits one message");
    // The server takes at most 64-byte blocks.
    let mut refused = answer(&whole, ResponseType::RequestEntityTooLarge);
    block::set_block1(&mut refused, BlockOption::new(0, false, 64).unwrap());
    deliver(&mut client, now, &refused);
    let first = only(&mut client);
    assert_eq!(block1_of(&first).size(), 64);
    assert_eq!(first.get_token(), whole.get_token());
    let blocks = take_blocks(&mut client, now, first);
    assert_eq!(blocks.len(), whole.payload.len().div_ceil(64));
    assert_eq!(reassemble(&blocks), whole.payload);
    let last = blocks.last().unwrap();
    deliver(&mut client, now, &answer(last, ResponseType::Changed));
    assert!(
        events(&mut client)
            .iter()
            .any(|e| matches!(e, Event::Sent { .. }))
    );

    // A Size1 below the body's size: the server cannot take it at all, the Send fails.
    client.send_records(now, &dimmer_records(20)).unwrap();
    let whole = only(&mut client);
    let mut refused = answer(&whole, ResponseType::RequestEntityTooLarge);
    block::set_block1(&mut refused, BlockOption::new(0, false, 64).unwrap());
    options::set_uint(&mut refused, CoapOption::Size1, 100);
    deliver(&mut client, now, &refused);
    assert!(sent(&mut client).is_empty());
    assert!(events(&mut client).iter().any(|e| matches!(
        e,
        Event::SendFailed {
            reason: Failure::Answered(ResponseCode {
                class: 4,
                detail: 13
            }),
            ..
        }
    )));
}

#[test]
fn a_repeated_separate_continue_does_not_skip_a_block() {
    let now = Instant::now();
    let mut client = Client::new(config(LwM2mVersion::V1_1), many_lights(200));
    client.start(now);
    let first = only(&mut client);
    // An empty ACK, then the 2.31 as a separate confirmable response.
    let ack = lwm2m::coap::message::empty_ack(first.header.message_id);
    deliver(&mut client, now, &ack);
    let out = sent(&mut client);
    assert!(out.is_empty(), "{out:?}");
    let mut separate = answer_block(&first, ResponseType::Continue, block1_of(&first));
    separate.header.set_type(MessageType::Confirmable);
    separate.header.message_id = 0x7000;
    deliver(&mut client, now, &separate);
    let out = sent(&mut client);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0].1.header.get_type(), MessageType::Acknowledgement);
    let second = out[1].1.clone();
    assert_eq!(block1_of(&second).num(), 1);
    // The server repeats its separate 2.31 for block 0 (our ACK was lost): acknowledged again,
    // and block 1 stays the one in flight.
    deliver(&mut client, now, &separate);
    let out = sent(&mut client);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].1.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(out[0].1.header.message_id, 0x7000);
    deliver(
        &mut client,
        now,
        &answer_block(&second, ResponseType::Continue, block1_of(&second)),
    );
    assert_eq!(block1_of(&only(&mut client)).num(), 2);
}
