//! The sans-IO client against a scripted fake server: hand-built coap-lite packets and a
//! simulated clock.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};
use lwm2m::client::{Event, LwM2mVersion};
use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::objects::Device;
use lwm2m::{Path, Value};

#[test]
fn register_sends_query_options_and_object_links() {
    let now = Instant::now();
    let mut client = client(LwM2mVersion::V1_1);
    client.start(now);
    let all = sent(&mut client);
    assert_eq!(all.len(), 1);
    let (to, register) = &all[0];
    assert_eq!(*to, server());
    assert_eq!(register.header.get_type(), MessageType::Confirmable);
    assert_eq!(
        register.header.code,
        MessageClass::Request(RequestType::Post)
    );
    assert_eq!(strings(register, CoapOption::UriPath), ["rd"]);
    assert_eq!(
        strings(register, CoapOption::UriQuery),
        ["ep=dev1", "lt=300", "lwm2m=1.1", "b=U"]
    );
    assert_eq!(content_format(register), Some(40));
    let links = String::from_utf8(register.payload.clone()).unwrap();
    assert_eq!(
        links,
        "</1/0>,</3>;ver=1.2,</3/0>,</3311>;ver=1.1,</3311/0>"
    );
    assert!(!client.is_registered());
}

#[test]
fn register_announces_the_configured_version() {
    let now = Instant::now();
    for (version, text) in [
        (LwM2mVersion::V1_0, "lwm2m=1.0"),
        (LwM2mVersion::V1_2, "lwm2m=1.2"),
    ] {
        let mut client = client(version);
        client.start(now);
        let register = only(&mut client);
        assert!(strings(&register, CoapOption::UriQuery).contains(&text.to_owned()));
    }
}

/// A LwM2M 1.0 Register (Core TS 1.0 §5.3.1): `lwm2m=1.0`, `b=U`, link format, and `ver=` only
/// for objects a 1.0 server can know: Server 1.2 (needs LwM2M 1.2) and Device 1.2 (needs 1.1)
/// are announced as the 1.0 core objects, Light Control 1.1 (an LwM2M 1.0 object) keeps its
/// `ver`. LwM2M 1.2 announces every version.
#[test]
fn register_in_1_0_announces_only_object_versions_of_the_1_0_enabler() {
    let now = Instant::now();
    let mut fresh = client(LwM2mVersion::V1_0);
    fresh.start(now);
    let register = only(&mut fresh);
    assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    assert_eq!(
        strings(&register, CoapOption::UriQuery),
        ["ep=dev1", "lt=300", "lwm2m=1.0", "b=U"]
    );
    assert_eq!(content_format(&register), Some(40));
    assert_eq!(
        String::from_utf8(register.payload.clone()).unwrap(),
        "</1/0>,</3/0>,</3311>;ver=1.1,</3311/0>"
    );

    let mut old = registered(LwM2mVersion::V1_0, now);
    let discover = Request::new(RequestType::Get, "/1")
        .accept(40)
        .send(&mut old, now);
    let links = String::from_utf8(discover.payload).unwrap();
    assert!(links.starts_with("</1>,</1/0>,"), "{links}");
    // Plain text is text/plain (0) in the final LwM2M 1.0 TS, not the draft-era 1541.
    let text = Request::new(RequestType::Get, "/3/0/0")
        .id(2)
        .send(&mut old, now);
    assert_eq!(content_format(&text), Some(0));
    assert_eq!(text.payload, b"lwm2m-rs");

    let mut new = client(LwM2mVersion::V1_2);
    new.start(now);
    let register = only(&mut new);
    assert_eq!(
        String::from_utf8(register.payload.clone()).unwrap(),
        "</1>;ver=1.2,</1/0>,</3>;ver=1.2,</3/0>,</3311>;ver=1.1,</3311/0>"
    );
}

#[test]
fn created_with_one_location_option_holding_a_slash_registers() {
    let now = Instant::now();
    let mut client = client(LwM2mVersion::V1_1);
    client.start(now);
    let register = only(&mut client);
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd/1".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    assert_eq!(
        events(&mut client),
        [Event::Registered {
            location: "/rd/1".to_owned()
        }]
    );
}

#[test]
fn register_is_retransmitted_then_given_up_then_retried_with_back_off() {
    let start = Instant::now();
    let mut client = client(LwM2mVersion::V1_1);
    client.start(start);
    let first = only(&mut client);
    let mut resends = 0;
    let mut now;
    loop {
        now = client.poll_timeout().unwrap();
        client.handle_timeout(now);
        let out = sent(&mut client);
        if events(&mut client)
            .iter()
            .any(|e| matches!(e, Event::RegistrationFailed { .. }))
        {
            assert!(out.is_empty());
            break;
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].1, first, "a retransmission is the same message");
        resends += 1;
    }
    assert_eq!(resends, 4, "MAX_RETRANSMIT");
    assert!(now - start <= Duration::from_secs(93), "MAX_TRANSMIT_WAIT");
    // Retried after the back-off, as a new message.
    let retry_at = client.poll_timeout().unwrap();
    assert_eq!(retry_at - now, Duration::from_secs(10));
    client.handle_timeout(retry_at);
    let again = only(&mut client);
    assert_ne!(again.header.message_id, first.header.message_id);
    assert_eq!(again.payload, first.payload);
}

#[test]
fn an_error_to_register_is_a_failure_and_is_retried() {
    let now = Instant::now();
    let mut client = client(LwM2mVersion::V1_2);
    client.start(now);
    let register = only(&mut client);
    let refused = answer(&register, ResponseType::PreconditionFailed);
    client.handle_datagram(now, server(), &refused.to_bytes().unwrap());
    assert!(!client.is_registered());
    assert!(matches!(
        events(&mut client)[..],
        [Event::RegistrationFailed { .. }]
    ));
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(10)));
}

#[test]
fn update_is_sent_before_the_lifetime_ends_with_an_empty_payload() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    // lifetime 300 s: margin max(30 s, 93 s) = 93 s.
    let due = client.poll_timeout().unwrap();
    assert_eq!(due - now, Duration::from_secs(300 - 93));
    client.handle_timeout(due - Duration::from_millis(1));
    assert!(sent(&mut client).is_empty());
    client.handle_timeout(due);
    let update = only(&mut client);
    assert_eq!(update.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(strings(&update, CoapOption::UriPath), ["rd", "5"]);
    assert!(strings(&update, CoapOption::UriQuery).is_empty());
    assert!(update.payload.is_empty());
    client.handle_datagram(
        due,
        server(),
        &answer(&update, ResponseType::Changed).to_bytes().unwrap(),
    );
    assert_eq!(events(&mut client), [Event::Updated]);
    assert_eq!(client.poll_timeout(), Some(due + Duration::from_secs(207)));
}

#[test]
fn update_not_found_re_registers() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let due = client.poll_timeout().unwrap();
    client.handle_timeout(due);
    let update = only(&mut client);
    client.handle_datagram(
        due,
        server(),
        &answer(&update, ResponseType::NotFound).to_bytes().unwrap(),
    );
    let register = only(&mut client);
    assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    assert!(!client.is_registered());
}

#[test]
fn create_and_delete_send_an_update_with_the_new_links() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    // An object-level TLV: the instance id 4 inside.
    let tlv = codec::encode(
        ContentFormat::Tlv,
        &Path::object(3311),
        &[Record::new(
            Path::resource(3311, 4, 5850),
            Value::Boolean(true),
        )],
    )
    .unwrap();
    let created = Request::new(RequestType::Post, "/3311")
        .format(11542)
        .payload(&tlv)
        .send(&mut client, now);
    assert_eq!(code(&created), "2.01");
    assert_eq!(strings(&created, CoapOption::LocationPath), ["3311", "4"]);
    assert!(client.store().instance(3311, 4).is_some());
    // The update goes out on the next timeout, at once.
    let due = client.poll_timeout().unwrap();
    assert!(due <= now);
    client.handle_timeout(now);
    let update = only(&mut client);
    assert_eq!(
        String::from_utf8(update.payload.clone()).unwrap(),
        "</1/0>,</3>;ver=1.2,</3/0>,</3311>;ver=1.1,</3311/0>,</3311/4>"
    );
    client.handle_datagram(
        now,
        server(),
        &answer(&update, ResponseType::Changed).to_bytes().unwrap(),
    );
    let deleted = Request::new(RequestType::Delete, "/3311/4")
        .id(2)
        .send(&mut client, now);
    assert_eq!(code(&deleted), "2.02");
    assert!(client.store().instance(3311, 4).is_none());
    client.handle_timeout(now);
    let update = only(&mut client);
    assert!(
        String::from_utf8(update.payload)
            .unwrap()
            .ends_with("</3311/0>")
    );
}

#[test]
fn execute_registration_update_trigger_sends_an_update() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let executed = Request::new(RequestType::Post, "/1/0/8").send(&mut client, now);
    assert_eq!(code(&executed), "2.04");
    client.handle_timeout(now);
    let update = only(&mut client);
    assert_eq!(strings(&update, CoapOption::UriPath), ["rd", "5"]);
}

#[test]
fn deregister_deletes_the_registration() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    client.deregister(now);
    let delete = only(&mut client);
    assert_eq!(
        delete.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    assert_eq!(strings(&delete, CoapOption::UriPath), ["rd", "5"]);
    client.handle_datagram(
        now,
        server(),
        &answer(&delete, ResponseType::Deleted).to_bytes().unwrap(),
    );
    assert!(!client.is_registered());
    assert_eq!(events(&mut client), [Event::Deregistered]);
}

#[test]
fn read_device_instance_in_every_format() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let base = Path::instance(3, 0);
    // Without Accept, several values go in SenML CBOR from LwM2M 1.1 on (ETS int-237).
    for (id, accept, expected) in [
        (1, None, 112),
        (2, Some(11542), 11542),
        (3, Some(110), 110),
        (4, Some(112), 112),
        (5, Some(11544), 11544),
    ] {
        let mut request = Request::new(RequestType::Get, "/3/0").id(id);
        if let Some(accept) = accept {
            request = request.accept(accept);
        }
        let response = request.send(&mut client, now);
        assert_eq!(code(&response), "2.05", "{accept:?}");
        assert_eq!(content_format(&response), Some(expected));
        let records = decode(&response, &base);
        let manufacturer = records
            .iter()
            .find(|r| r.path == Path::resource(3, 0, 0))
            .unwrap();
        assert_eq!(
            manufacturer.value,
            Value::String(Device::DEMO_MANUFACTURER.to_owned())
        );
    }
}

/// Under LwM2M 1.0 the default for several values stays TLV.
#[test]
fn a_1_0_client_reads_an_instance_in_tlv_by_default() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_0, now);
    let response = Request::new(RequestType::Get, "/3/0").send(&mut client, now);
    assert_eq!(code(&response), "2.05");
    assert_eq!(content_format(&response), Some(11542));
}

#[test]
fn read_single_resource_as_text_including_a_non_minimal_accept() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let plain = Request::new(RequestType::Get, "/3/0/0").send(&mut client, now);
    assert_eq!(content_format(&plain), Some(0));
    assert_eq!(plain.payload, Device::DEMO_MANUFACTURER.as_bytes());
    // lwm2m-node-lib sends Accept: text/plain as one 0x00 byte.
    let zero = Request::new(RequestType::Get, "/3/0/0")
        .option(CoapOption::Accept, &[0])
        .id(9)
        .send(&mut client, now);
    assert_eq!(code(&zero), "2.05");
    assert_eq!(zero.payload, Device::DEMO_MANUFACTURER.as_bytes());
    let oma_text = Request::new(RequestType::Get, "/3/0/0")
        .accept(1541)
        .id(10)
        .send(&mut client, now);
    assert_eq!(content_format(&oma_text), Some(1541));
}

#[test]
fn unsupported_accept_is_not_acceptable_and_missing_paths_are_not_found() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let response = Request::new(RequestType::Get, "/3/0")
        .accept(50)
        .send(&mut client, now);
    assert_eq!(code(&response), "4.06");
    let text_for_instance = Request::new(RequestType::Get, "/3/0")
        .accept(0)
        .id(2)
        .send(&mut client, now);
    assert_eq!(code(&text_for_instance), "4.06");
    let missing = Request::new(RequestType::Get, "/3/7")
        .id(3)
        .send(&mut client, now);
    assert_eq!(code(&missing), "4.04");
    let security = Request::new(RequestType::Get, "/0/0")
        .id(4)
        .send(&mut client, now);
    assert_eq!(
        code(&security),
        "4.01",
        "Security is the bootstrap server's (ETS int-221)"
    );
}

#[test]
fn write_execute_and_their_codes() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let written = Request::new(RequestType::Put, "/3311/0/5851")
        .format(0)
        .payload(b"40")
        .send(&mut client, now);
    assert_eq!(code(&written), "2.04");
    assert_eq!(client.store().get::<Light>(0).unwrap().dimmer, Some(40));
    let out_of_range = Request::new(RequestType::Put, "/3311/0/5851")
        .format(0)
        .payload(b"400")
        .id(2)
        .send(&mut client, now);
    assert_eq!(code(&out_of_range), "4.00");
    let read_only = Request::new(RequestType::Put, "/3311/0/5852")
        .format(0)
        .payload(b"4")
        .id(3)
        .send(&mut client, now);
    assert_eq!(code(&read_only), "4.05");
    let bad_format = Request::new(RequestType::Put, "/3311/0/5851")
        .format(9999)
        .payload(b"4")
        .id(4)
        .send(&mut client, now);
    assert_eq!(code(&bad_format), "4.15");
    let toggled = Request::new(RequestType::Post, "/3311/0/5853")
        .id(5)
        .send(&mut client, now);
    assert_eq!(code(&toggled), "2.04");
    assert!(client.store().get::<Light>(0).unwrap().on);
    let not_executable = Request::new(RequestType::Post, "/3311/0/5852")
        .id(6)
        .send(&mut client, now);
    assert_eq!(code(&not_executable), "4.05");
    // Partial update of the instance keeps what it does not name.
    let senml = br#"[{"bn":"/3311/0/","n":"5850","vb":false}]"#;
    let partial = Request::new(RequestType::Post, "/3311/0")
        .format(110)
        .payload(senml)
        .id(7)
        .send(&mut client, now);
    assert_eq!(code(&partial), "2.04");
    let light = client.store().get::<Light>(0).unwrap();
    assert!(!light.on);
    assert_eq!(light.dimmer, Some(40));
}

#[test]
fn discover_lists_links_with_versions_and_attributes() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    client.store_mut().get_mut::<Light>(0).unwrap().dimmer = Some(1);
    let attributes = Request::new(RequestType::Put, "/3311/0/5851")
        .option(CoapOption::UriQuery, b"pmin=10")
        .option(CoapOption::UriQuery, b"pmax=60")
        .send(&mut client, now);
    assert_eq!(code(&attributes), "2.04");
    let bad = Request::new(RequestType::Put, "/3311/0/5851")
        .option(CoapOption::UriQuery, b"bogus=1")
        .id(2)
        .send(&mut client, now);
    assert_eq!(code(&bad), "4.00");
    let discovered = Request::new(RequestType::Get, "/3311")
        .accept(40)
        .id(3)
        .send(&mut client, now);
    assert_eq!(code(&discovered), "2.05");
    assert_eq!(content_format(&discovered), Some(40));
    let text = String::from_utf8(discovered.payload).unwrap();
    assert!(
        text.starts_with("</3311>;ver=1.1,</3311/0>,</3311/0/5850>"),
        "{text}"
    );
    assert!(text.contains("</3311/0/5851>;pmin=10;pmax=60"), "{text}");
    assert!(text.contains("</3311/0/5853>"), "{text}");
    assert!(
        !text.contains("5852"),
        "an absent optional resource: {text}"
    );
    let resource = Request::new(RequestType::Get, "/3311/0/5851")
        .accept(40)
        .id(4)
        .send(&mut client, now);
    let text = String::from_utf8(resource.payload).unwrap();
    assert_eq!(text, "</3311/0/5851>;pmin=10;pmax=60");
}

#[test]
fn a_duplicate_request_is_answered_identically_and_applied_once() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let first = Request::new(RequestType::Post, "/3311/0/5853")
        .id(77)
        .send(&mut client, now);
    let again = Request::new(RequestType::Post, "/3311/0/5853")
        .id(77)
        .send(&mut client, now + Duration::from_secs(3));
    assert_eq!(first, again);
    assert!(
        client.store().get::<Light>(0).unwrap().on,
        "toggled once, not twice"
    );
}

#[test]
fn a_request_from_a_foreign_address_is_refused() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let stranger: SocketAddr = "127.0.0.1:9999".parse().unwrap();
    let refused =
        Request::new(RequestType::Post, "/3311/0/5853").send_from(&mut client, now, stranger);
    assert_eq!(code(&refused), "4.01");
    assert!(refused.payload.is_empty());
    assert!(!client.store().get::<Light>(0).unwrap().on);
}

#[test]
fn observe_notifies_with_increasing_sequence_and_cancels() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    client.store_mut().get_mut::<Light>(0).unwrap().dimmer = Some(1);
    let observed = Request::new(RequestType::Get, "/3311/0/5851")
        .option(CoapOption::Observe, &[])
        .send(&mut client, now);
    assert_eq!(code(&observed), "2.05");
    let first = observed.get_observe_value().unwrap().unwrap();
    let mut last = first;
    for (step, value) in [(1u64, 10i64), (2, 20)] {
        let at = now + Duration::from_secs(step);
        client.store_mut().get_mut::<Light>(0).unwrap().dimmer = Some(value);
        client.resource_changed(at, &Path::resource(3311, 0, 5851));
        let notification = only(&mut client);
        assert_eq!(notification.get_token(), &[7, 7]);
        assert_eq!(code(&notification), "2.05");
        let sequence = notification.get_observe_value().unwrap().unwrap();
        assert!(sequence > last);
        last = sequence;
        assert_eq!(notification.payload, value.to_string().as_bytes());
    }
    // Cancel with Observe=1: a read without Observe, and no more notifications.
    let cancelled = Request::new(RequestType::Get, "/3311/0/5851")
        .option(CoapOption::Observe, &[1])
        .id(5)
        .send(&mut client, now);
    assert_eq!(code(&cancelled), "2.05");
    assert!(cancelled.get_option(CoapOption::Observe).is_none());
    client.resource_changed(now + Duration::from_secs(9), &Path::resource(3311, 0, 5851));
    assert!(sent(&mut client).is_empty());
}

#[test]
fn a_reset_to_a_notification_cancels_the_observation() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    Request::new(RequestType::Get, "/3311/0/5850")
        .option(CoapOption::Observe, &[0])
        .send(&mut client, now);
    // After the Server object's default pmin.
    let later = now + Duration::from_secs(100);
    client.store_mut().get_mut::<Light>(0).unwrap().on = true;
    client.resource_changed(later, &Path::resource(3311, 0, 5850));
    let notification = only(&mut client);
    let mut reset = Packet::new();
    reset.header.set_type(MessageType::Reset);
    reset.header.message_id = notification.header.message_id;
    client.handle_datagram(later, server(), &reset.to_bytes().unwrap());
    client.store_mut().get_mut::<Light>(0).unwrap().on = false;
    client.resource_changed(later, &Path::resource(3311, 0, 5850));
    assert!(sent(&mut client).is_empty());
}

#[test]
fn pmin_holds_back_a_notification_until_it_passes() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    Request::new(RequestType::Put, "/3311/0")
        .option(CoapOption::UriQuery, b"pmin=5")
        .send(&mut client, now);
    Request::new(RequestType::Get, "/3311/0/5850")
        .option(CoapOption::Observe, &[0])
        .id(2)
        .send(&mut client, now);
    client.store_mut().get_mut::<Light>(0).unwrap().on = true;
    client.resource_changed(now + Duration::from_secs(1), &Path::resource(3311, 0, 5850));
    assert!(sent(&mut client).is_empty());
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(5)));
    client.handle_timeout(now + Duration::from_secs(5));
    let notification = only(&mut client);
    assert_eq!(notification.payload, b"1");
}

/// RFC 7252 §5.2.2: the server first acknowledges the Register with an empty ACK, then sends the
/// 2.01 later as a separate confirmable response with the same token. The client stops
/// retransmitting at the empty ACK, acknowledges the separate response, and is registered.
#[test]
fn a_separate_response_to_register_is_acknowledged_and_registers() {
    let now = Instant::now();
    let mut client = client(LwM2mVersion::V1_1);
    client.start(now);
    let register = only(&mut client);
    let mut empty_ack = Packet::new();
    empty_ack.header.set_type(MessageType::Acknowledgement);
    empty_ack.header.code = MessageClass::Empty;
    empty_ack.header.message_id = register.header.message_id;
    client.handle_datagram(now, server(), &empty_ack.to_bytes().unwrap());
    assert!(!client.is_registered());
    // No retransmission of the Register after the empty ACK.
    let later = now + Duration::from_secs(10);
    client.handle_timeout(later);
    assert!(
        sent(&mut client)
            .iter()
            .all(|(_, p)| p.header.message_id != register.header.message_id),
        "the Register was retransmitted after its empty ACK"
    );
    let mut separate = Packet::new();
    separate.header.set_type(MessageType::Confirmable);
    separate.header.code = MessageClass::Response(ResponseType::Created);
    separate.header.message_id = register.header.message_id.wrapping_add(1000);
    separate.set_token(register.get_token().to_vec());
    separate.add_option(CoapOption::LocationPath, b"rd".to_vec());
    separate.add_option(CoapOption::LocationPath, b"42".to_vec());
    client.handle_datagram(later, server(), &separate.to_bytes().unwrap());
    let ack = only(&mut client);
    assert_eq!(ack.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(ack.header.message_id, separate.header.message_id);
    assert!(client.is_registered());
    assert_eq!(
        events(&mut client),
        [Event::Registered {
            location: "/rd/42".to_owned()
        }]
    );
}

/// Requests and their retransmissions expect an answer; responses do not: what a secure
/// transport counts to notice a server that lost the session.
#[test]
fn transmits_say_whether_the_server_should_answer() {
    let now = Instant::now();
    let mut client = client(LwM2mVersion::V1_1);
    client.start(now);
    let register = client.poll_transmit().expect("a Register");
    assert!(register.expects_answer, "a Register is confirmable");
    let deadline = client
        .poll_timeout()
        .expect("a retransmission is scheduled");
    client.handle_timeout(deadline);
    let again = client.poll_transmit().expect("the Register again");
    assert_eq!(again.bytes, register.bytes);
    assert!(again.expects_answer);
    let packet = Packet::from_bytes(&register.bytes).unwrap();
    let mut created = answer(&packet, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"1".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    let mut read = Packet::new();
    read.header.set_type(MessageType::Confirmable);
    read.header.code = MessageClass::Request(RequestType::Get);
    read.header.message_id = 77;
    read.set_token(vec![1, 2]);
    for segment in ["3", "0", "0"] {
        read.add_option(CoapOption::UriPath, segment.as_bytes().to_vec());
    }
    client.handle_datagram(now, server(), &read.to_bytes().unwrap());
    let response = client.poll_transmit().expect("the Read's answer");
    assert!(!response.expects_answer, "a response expects nothing");
}
