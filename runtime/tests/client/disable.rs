//! Disable (`/1/x/4`, ETS LightweightM2M-1.1-int-103, Core TS Appendix E.2) against the scripted
//! server with a simulated clock: 2.04, De-register, silence for the Disable Timeout `/1/x/5`,
//! then a new Register.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, Packet, RequestType, ResponseType};
use lwm2m::client::{Client, Event, LwM2mVersion};

/// Executes Disable `/1/0/4`: returns the 2.04 and the Deregister that follows it.
fn execute_disable(client: &mut Client, now: Instant) -> (Packet, Packet) {
    let execute = Request::new(RequestType::Post, "/1/0/4").id(0x100);
    client.handle_datagram(now, server(), &execute.packet.to_bytes().unwrap());
    let out = sent(client);
    assert_eq!(out.len(), 2, "the 2.04, then the Deregister: {out:?}");
    assert!(out.iter().all(|(to, _)| *to == server()));
    let response = out[0].1.clone();
    let delete = out[1].1.clone();
    assert_eq!(code(&response), "2.04");
    assert_eq!(response.get_token(), execute.packet.get_token());
    assert_eq!(
        delete.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    assert_eq!(strings(&delete, CoapOption::UriPath), ["rd", "5"]);
    (response, delete)
}

#[test]
fn disable_deregisters_stays_away_for_the_disable_timeout_then_registers() {
    let start = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, start);
    let write = Request::new(RequestType::Put, "/1/0/5")
        .format(0)
        .payload(b"120")
        .id(0x99)
        .send(&mut client, start);
    assert_eq!(code(&write), "2.04");

    let (_, delete) = execute_disable(&mut client, start);
    let deleted = answer(&delete, ResponseType::Deleted);
    client.handle_datagram(start, server(), &deleted.to_bytes().unwrap());
    assert!(!client.is_registered());
    let seen = events(&mut client);
    assert!(
        seen.contains(&Event::Disabled {
            timeout: Duration::from_secs(120)
        }),
        "{seen:?}"
    );
    assert!(seen.contains(&Event::Deregistered), "{seen:?}");

    // Disabled: the server's requests are ignored, nothing is sent.
    let read = Request::new(RequestType::Get, "/3/0/0").id(0x101);
    let later = start + Duration::from_secs(10);
    client.handle_datagram(later, server(), &read.packet.to_bytes().unwrap());
    assert!(sent(&mut client).is_empty());
    assert_eq!(
        client.poll_timeout(),
        Some(start + Duration::from_secs(120))
    );
    client.handle_timeout(start + Duration::from_secs(119));
    assert!(sent(&mut client).is_empty());

    // The Disable Timeout is over: a new Register.
    let end = start + Duration::from_secs(120);
    client.handle_timeout(end);
    let register = only(&mut client);
    assert_eq!(
        register.header.code,
        MessageClass::Request(RequestType::Post)
    );
    assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"6".to_vec());
    client.handle_datagram(end, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    // Requests are answered again.
    let read = Request::new(RequestType::Get, "/3/0/0")
        .id(0x102)
        .send(&mut client, end);
    assert_eq!(code(&read), "2.05");
}

#[test]
fn the_default_disable_timeout_is_a_day_and_an_unanswered_deregister_still_disables() {
    let start = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, start);
    let (_, delete) = execute_disable(&mut client, start);
    // The server never answers the Deregister: it is given up after the retransmissions.
    let mut resent = 0;
    loop {
        let now = client.poll_timeout().unwrap();
        if now - start > Duration::from_secs(3600) {
            break;
        }
        client.handle_timeout(now);
        for (_, packet) in sent(&mut client) {
            assert_eq!(packet, delete, "only the Deregister is retransmitted");
            resent += 1;
        }
    }
    assert_eq!(resent, 4, "MAX_RETRANSMIT");
    assert!(events(&mut client).contains(&Event::Disabled {
        timeout: Duration::from_secs(86400)
    }));
    assert_eq!(
        client.poll_timeout(),
        Some(start + Duration::from_secs(86400))
    );
    client.handle_timeout(start + Duration::from_secs(86400));
    let register = only(&mut client);
    assert_eq!(strings(&register, CoapOption::UriPath), ["rd"]);
}

#[test]
fn shutdown_while_disabled_stops_the_client_for_good() {
    let start = Instant::now();
    let mut client = registered(LwM2mVersion::V1_1, start);
    let (_, delete) = execute_disable(&mut client, start);
    let deleted = answer(&delete, ResponseType::Deleted);
    client.handle_datagram(start, server(), &deleted.to_bytes().unwrap());
    events(&mut client);
    client.deregister(start);
    assert_eq!(events(&mut client), [Event::Deregistered]);
    assert_eq!(client.poll_timeout(), None);
    client.handle_timeout(start + Duration::from_secs(86400));
    assert!(sent(&mut client).is_empty());
}
