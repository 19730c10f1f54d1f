//! [`MessageRef`] and [`Outgoing`] against coap-lite: the same datagrams accepted and refused
//! for the same reasons, the same options and payload read, the same bytes written.

use coap_lite::error::MessageError;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use proptest::prelude::*;

use super::*;

/// What coap-lite reads from `datagram`, in the terms of [`MessageRef::parse`].
fn reference(datagram: &[u8]) -> Result<Packet, WireError> {
    Packet::from_bytes(datagram).map_err(|e| match e {
        MessageError::InvalidHeader | MessageError::InvalidPacketLength => WireError::TooShort,
        MessageError::InvalidTokenLength => WireError::TokenLength,
        MessageError::InvalidOptionDelta => WireError::OptionDelta,
        _ => WireError::OptionLength,
    })
}

/// The options of a packet, flattened in order.
fn packet_options(packet: &Packet) -> Vec<(u16, Vec<u8>)> {
    packet
        .options()
        .flat_map(|(number, values)| values.iter().map(|v| (*number, v.clone())))
        .collect()
}

fn ref_options(message: &MessageRef<'_>) -> Vec<(u16, Vec<u8>)> {
    message.options().map(|(n, v)| (n, v.to_vec())).collect()
}

fn assert_agrees(datagram: &[u8]) {
    let ours = MessageRef::parse(datagram);
    match reference(datagram) {
        Err(expected) => assert_eq!(ours.map(|_| ()), Err(expected), "{datagram:02x?}"),
        Ok(packet) => {
            let ours = ours.expect("coap-lite accepted it");
            assert_eq!(ours.message_type(), packet.header.get_type());
            assert_eq!(ours.code(), packet.header.code);
            assert_eq!(ours.message_id(), packet.header.message_id);
            assert_eq!(ours.token(), packet.get_token());
            assert_eq!(ours.payload(), packet.payload.as_slice());
            assert_eq!(ref_options(&ours), packet_options(&packet));
            for number in [0u16, 6, 11, 12, 17, 23, 27, 60, 292, 2049] {
                let option = CoapOption::from(number);
                assert!(
                    ours.option_values(option)
                        .eq(ReadMessage::option_values(&packet, option)),
                    "option {number} of {datagram:02x?}"
                );
            }
            assert!(ours.option_numbers().eq(packet.option_numbers()));
            assert_eq!(ours.to_packet(), packet);
        }
    }
}

#[test]
fn parse_edges_agree_with_coap_lite() {
    let cases: &[&[u8]] = &[
        &[],
        &[0x40, 1, 0],
        &[0x40, 1, 0, 1],
        &[0x49, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x44, 1, 0, 1, 1, 2],
        &[0x40, 1, 0, 1, 0xff],
        &[0x40, 1, 0, 1, 0xff, 7, 8],
        &[0x40, 1, 0, 1, 0xf1, 0],
        &[0x40, 1, 0, 1, 0x1f, 0],
        &[0x40, 1, 0, 1, 0xb5, b'a'],
        &[0x40, 1, 0, 1, 0xd0],
        &[0x40, 1, 0, 1, 0xd0, 0x00],
        &[0x40, 1, 0, 1, 0xe0, 0xff],
        &[0x40, 1, 0, 1, 0xe0, 0xff, 0xff],
        &[0x40, 1, 0, 1, 0xe0, 0xfe, 0xf2],
        &[0x40, 1, 0, 1, 0xe0, 0xfe, 0xf2, 0xe0, 0x01, 0x00],
        &[0x40, 1, 0, 1, 0x0e, 0xff, 0xff],
        &[0x40, 1, 0, 1, 0x0d, 0x00],
        &[0x40, 1, 0, 1, 0xb1, b'3', 0x01, b'0', 0x50, 0xff, 1],
        // Versions other than 1 read as coap-lite reads them (`parse_ref` refuses them).
        &[0x11, 0xa2, 0x48, 0x37, 0xeb, 0xb1, b'3', 0xff, 1],
        &[0xc0, 0x45, 0, 1],
    ];
    for case in cases {
        assert_agrees(case);
    }
}

fn get_request(options: &[(CoapOption, &[u8])], payload: &[u8]) -> Packet {
    let mut packet = Packet::new();
    packet.header.set_type(MessageType::Confirmable);
    packet.header.code = MessageClass::Request(RequestType::Get);
    packet.header.message_id = 0xbeef;
    packet.set_token(vec![1, 2, 3, 4, 5, 6, 7, 8]);
    for (option, value) in options {
        packet.add_option(*option, value.to_vec());
    }
    packet.payload = payload.to_vec();
    packet
}

#[test]
fn a_request_reads_as_coap_lite_reads_it() {
    let request = get_request(
        &[
            (CoapOption::UriPath, b"3"),
            (CoapOption::UriPath, b"0"),
            (CoapOption::Accept, &[0x2d, 0x16]),
            (CoapOption::Unknown(292), b"tag"),
            (CoapOption::UriQuery, b"pmin=10"),
        ],
        b"body",
    );
    let bytes = request.to_bytes().expect("encodes");
    assert_agrees(&bytes);
    let view = MessageRef::parse(&bytes).expect("parses");
    assert_eq!(
        view.option_values(CoapOption::UriPath).collect::<Vec<_>>(),
        [b"3".as_slice(), b"0"]
    );
    assert_eq!(
        view.first_option(CoapOption::Accept),
        Some([0x2d, 0x16].as_slice())
    );
    assert_eq!(view.first_option(CoapOption::ContentFormat), None);
    let body = [9u8; 3];
    let whole = view.with_payload(&body);
    assert_eq!(whole.payload(), &body);
    assert_eq!(ref_options(&whole), ref_options(&view));
}

/// A step of building a message, applied alike to a [`Packet`] and an [`Outgoing`].
#[derive(Debug, Clone)]
enum Step {
    Push(u16, Vec<u8>),
    Remove(u16),
    Payload(Vec<u8>),
    Code(u8),
}

fn step() -> impl Strategy<Value = Step> {
    let number = prop_oneof![
        Just(6u16),
        Just(8),
        Just(12),
        Just(14),
        Just(23),
        Just(27),
        Just(28),
        Just(60),
        0u16..300,
        0u16..=u16::MAX,
    ];
    prop_oneof![
        4 => (number.clone(), proptest::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(n, v)| Step::Push(n, v)),
        1 => (number.clone(), proptest::collection::vec(any::<u8>(), 250..300))
            .prop_map(|(n, v)| Step::Push(n, v)),
        1 => number.prop_map(Step::Remove),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Step::Payload),
        1 => prop_oneof![Just(0u8), Just(0x45), Just(0x84), any::<u8>()].prop_map(Step::Code),
    ]
}

fn message_type() -> impl Strategy<Value = MessageType> {
    prop_oneof![
        Just(MessageType::Confirmable),
        Just(MessageType::NonConfirmable),
        Just(MessageType::Acknowledgement),
        Just(MessageType::Reset),
    ]
}

proptest! {
    /// Whatever the options (several values, long values, any order, removals), the bytes are
    /// coap-lite's, and they read back as built.
    #[test]
    fn outgoing_encodes_as_coap_lite_and_reads_back(
        kind in message_type(),
        message_id in any::<u16>(),
        token in proptest::collection::vec(any::<u8>(), 0..=8),
        steps in proptest::collection::vec(step(), 0..24),
        limit in prop_oneof![Just(1280usize), 0usize..200],
    ) {
        let code = MessageClass::Response(ResponseType::Content);
        let mut packet = Packet::new();
        packet.header.set_version(1);
        packet.header.set_type(kind);
        packet.header.code = code;
        packet.header.message_id = message_id;
        packet.set_token(token.clone());
        let mut ours = Outgoing::new(kind, code, message_id, &token);
        for step in &steps {
            match step {
                Step::Push(n, v) => {
                    WriteMessage::push_option(&mut packet, CoapOption::from(*n), v);
                    ours.push_option(CoapOption::from(*n), v);
                }
                Step::Remove(n) => {
                    WriteMessage::remove_option(&mut packet, CoapOption::from(*n));
                    ours.remove_option(CoapOption::from(*n));
                }
                Step::Payload(p) => {
                    WriteMessage::set_payload(&mut packet, p);
                    ours.set_payload(p);
                }
                Step::Code(c) => {
                    WriteMessage::set_code(&mut packet, MessageClass::from(*c));
                    ours.set_code(MessageClass::from(*c));
                }
            }
        }
        prop_assert!(ours.option_numbers().eq(packet.option_numbers()));
        let expected = packet.to_bytes_with_limit(limit).ok();
        let bytes = ours.to_bytes(limit).ok();
        prop_assert_eq!(&bytes, &expected);
        // In the payload's own buffer, with room to spare or none.
        let mut spare = ours.clone();
        let mut payload = Vec::with_capacity(ours.payload().len() + 64);
        payload.extend_from_slice(ours.payload());
        spare.set_payload_vec(payload);
        prop_assert_eq!(&spare.into_bytes(limit).ok(), &expected);
        prop_assert_eq!(&ours.clone().into_bytes(limit).ok(), &expected);
        if let Some(bytes) = bytes {
            let view = MessageRef::parse(&bytes).expect("our bytes parse");
            prop_assert_eq!(view.message_type(), kind);
            prop_assert_eq!(view.token(), token.as_slice());
            prop_assert_eq!(ref_options(&view), packet_options(&packet));
            if ours.code() != MessageClass::Empty {
                prop_assert_eq!(view.payload(), ours.payload());
            }
        }
    }

    /// Any bytes: accepted and refused as coap-lite does, read as it reads them.
    #[test]
    fn parse_agrees_with_coap_lite_on_any_bytes(
        datagram in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        assert_agrees(&datagram);
    }

    /// Valid messages with any options: read as coap-lite reads them.
    #[test]
    fn parse_agrees_with_coap_lite_on_valid_messages(
        options in proptest::collection::vec(
            (0u16..2000, proptest::collection::vec(any::<u8>(), 0..300)), 0..8),
        payload in proptest::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut packet = get_request(&[], &payload);
        for (n, v) in &options {
            packet.add_option(CoapOption::from(*n), v.clone());
        }
        let bytes = packet.to_bytes_unlimited().expect("encodes");
        assert_agrees(&bytes);
    }
}

#[test]
fn responses_follow_the_request_type() {
    let con = get_request(&[], b"");
    let ack = Outgoing::response(&con, MessageClass::Response(ResponseType::Content), 7);
    assert_eq!(ack.message_type(), MessageType::Acknowledgement);
    assert_eq!(ack.message_id(), 0xbeef);
    assert_eq!(ack.token(), con.get_token());
    let mut non = con.clone();
    non.header.set_type(MessageType::NonConfirmable);
    let reply = Outgoing::response(&non, MessageClass::Response(ResponseType::NotFound), 7);
    assert_eq!(reply.message_type(), MessageType::NonConfirmable);
    assert_eq!(reply.message_id(), 7);
    let expected = super::super::message::response(&non, reply.code(), 7);
    assert_eq!(
        reply.to_bytes(1280),
        Ok(expected.to_bytes().expect("encodes"))
    );
    let long = Outgoing::new(
        MessageType::Confirmable,
        MessageClass::Empty,
        1,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert_eq!(long.token().len(), 8);
}
