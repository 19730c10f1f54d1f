//! Send (`POST /dp`, ETS LightweightM2M-1.1-int-306/307/311) against the scripted server.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

mod client_support;

use std::time::{Duration, Instant};

use client_support::*;
use coap_lite::{CoapOption, MessageClass, MessageType, RequestType, ResponseType};
use lwm2m::client::{Event, LwM2mVersion, SendError};
use lwm2m::codec::{self, ContentFormat};
use lwm2m::objects::{Device, Server};
use lwm2m::{Object, Path, Value};

fn kinds(path: &Path) -> Option<(lwm2m::Kind, bool)> {
    let meta = match path.object_id()? {
        1 => Server::META,
        3 => Device::META,
        _ => return None,
    };
    let r = meta.resource(path.resource_id()?)?;
    Some((r.kind, r.multiple))
}

#[test]
fn send_posts_senml_cbor_to_dp_and_reports_the_outcome() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let paths = [
        Path::resource(1, 0, 1),
        Path::resource_instance(3, 0, 11, 0),
        Path::resource(3, 0, 0),
    ];
    client.send(now, &paths).unwrap();
    let out = sent(&mut client);
    assert_eq!(out.len(), 1, "{out:?}");
    let (to, post) = &out[0];
    assert_eq!(*to, server());
    assert_eq!(post.header.get_type(), MessageType::Confirmable);
    assert_eq!(post.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(strings(post, CoapOption::UriPath), ["dp"]);
    assert!(post.get_option(CoapOption::UriQuery).is_none());
    assert_eq!(content_format(post), Some(112));
    let records =
        codec::decode(ContentFormat::SenmlCbor, &Path::ROOT, &post.payload, &kinds).unwrap();
    let values: Vec<(String, Value)> = records
        .into_iter()
        .map(|r| (r.path.to_string(), r.value))
        .collect();
    assert_eq!(
        values,
        [
            ("/1/0/1".to_owned(), Value::Integer(300)),
            ("/3/0/0".to_owned(), Value::String("lwm2m-rs".to_owned())),
            ("/3/0/11/0".to_owned(), Value::Integer(0)),
        ]
    );
    assert!(
        events(&mut client).is_empty(),
        "no outcome before the answer"
    );
    client.handle_datagram(
        now,
        server(),
        &answer(post, ResponseType::Changed).to_bytes().unwrap(),
    );
    let expected: Vec<String> = ["/1/0/1", "/3/0/11/0", "/3/0/0"]
        .map(str::to_owned)
        .to_vec();
    assert_eq!(events(&mut client), [Event::Sent { paths: expected }]);
    assert_eq!(
        client.poll_transmit(),
        None,
        "no retransmission after the answer"
    );

    // A refusal is reported; the registration stays.
    client.send(now, &[Path::resource(3, 0, 0)]).unwrap();
    let post = only(&mut client);
    client.handle_datagram(
        now,
        server(),
        &answer(&post, ResponseType::NotFound).to_bytes().unwrap(),
    );
    let seen = events(&mut client);
    assert!(
        matches!(&seen[..], [Event::SendFailed { reason, .. }] if reason.contains("4.04")),
        "{seen:?}"
    );
    assert!(client.is_registered());
}

#[test]
fn an_unanswered_send_is_retransmitted_then_reported_failed() {
    let start = Instant::now();
    let mut client = registered(LwM2mVersion::V1_2, start);
    client.send(start, &[Path::instance(3, 0)]).unwrap();
    let first = only(&mut client);
    let mut resends = 0;
    let failed = loop {
        let now = client.poll_timeout().unwrap();
        assert!(now - start < Duration::from_secs(100), "never gave up");
        client.handle_timeout(now);
        for (_, packet) in sent(&mut client) {
            assert_eq!(packet, first);
            resends += 1;
        }
        let seen = events(&mut client);
        if !seen.is_empty() {
            break seen;
        }
    };
    assert_eq!(resends, 4, "MAX_RETRANSMIT");
    assert!(
        matches!(&failed[..], [Event::SendFailed { paths, .. }] if paths == &["/3/0".to_owned()]),
        "{failed:?}"
    );
    assert!(
        client.is_registered(),
        "a lost Send does not end the registration"
    );
}

#[test]
fn send_is_refused_unregistered_in_1_0_and_for_bad_paths() {
    let now = Instant::now();
    let mut unregistered = client(LwM2mVersion::V1_1);
    assert_eq!(
        unregistered.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::NotRegistered)
    );
    unregistered.start(now);
    sent(&mut unregistered);
    assert_eq!(
        unregistered.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::NotRegistered),
        "registering is not registered"
    );

    let mut old = registered(LwM2mVersion::V1_0, now);
    assert_eq!(
        old.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::Unsupported)
    );
    assert!(sent(&mut old).is_empty());

    let mut client = registered(LwM2mVersion::V1_1, now);
    assert_eq!(client.send(now, &[]), Err(SendError::Empty));
    assert!(matches!(
        client.send(now, &[Path::resource(3, 0, 0), Path::resource(3, 0, 999)]),
        Err(SendError::Read { code, .. }) if code == "4.04"
    ));
    assert!(matches!(
        client.send(now, &[Path::resource(0, 0, 0)]),
        Err(SendError::Protected { .. })
    ));
    assert!(sent(&mut client).is_empty(), "a refused Send sends nothing");
}

/// ETS LightweightM2M-1.1-int-307: Mute Send `/1/x/23` = true stops Send; false allows it again.
#[test]
fn mute_send_written_by_the_server_stops_send() {
    let now = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, now);
    let mute = Request::new(RequestType::Put, "/1/0/23")
        .format(0)
        .payload(b"1")
        .id(1)
        .send(&mut client, now);
    assert_eq!(code(&mute), "2.04");
    assert_eq!(
        client.send(now, &[Path::resource(3, 0, 0)]),
        Err(SendError::Muted)
    );
    assert!(sent(&mut client).is_empty());
    let unmute = Request::new(RequestType::Put, "/1/0/23")
        .format(0)
        .payload(b"0")
        .id(2)
        .send(&mut client, now);
    assert_eq!(code(&unmute), "2.04");
    client.send(now, &[Path::resource(3, 0, 0)]).unwrap();
    let post = only(&mut client);
    assert_eq!(strings(&post, CoapOption::UriPath), ["dp"]);
}
