//! Queue mode (binding UQ) against a scripted server: quiet after the queue window,
//! notifications held while asleep and delivered after the next Update.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, RequestType, ResponseType};
use lwm2m::Path;
use lwm2m::client::{Binding, Client, Event, LwM2mVersion};

const WINDOW: Duration = Duration::from_secs(10);

fn queue_client(now: Instant) -> Client {
    let mut config = config(LwM2mVersion::V1_1);
    config.binding = Binding::UQ;
    config.queue_window = WINDOW;
    let mut client = Client::new(config, store());
    client.start(now);
    let register = only(&mut client);
    let query = strings(&register, CoapOption::UriQuery);
    assert!(
        query.contains(&"b=U".to_owned()) && query.contains(&"Q".to_owned()),
        "{query:?}"
    );
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd/5".to_vec());
    client.handle_datagram(now, server(), &created.to_bytes().unwrap());
    assert!(client.is_registered());
    events(&mut client);
    client
}

fn set_dimmer(client: &mut Client, now: Instant, value: i64) {
    client.store_mut().get_mut::<Light>(0).unwrap().dimmer = Some(value);
    client.resource_changed(now, &Path::resource(3311, 0, 5851));
}

#[test]
fn asleep_notifications_wait_for_the_next_update() {
    let start = Instant::now();
    let mut client = queue_client(start);
    client.store_mut().get_mut::<Light>(0).unwrap().dimmer = Some(1);
    // No pmax within the test: only changes notify.
    client
        .store_mut()
        .get_mut::<lwm2m::objects::Server>(0)
        .unwrap()
        .default_max_period = Some(3600);
    let observe = Request::new(RequestType::Get, "/3311/0/5851")
        .option(CoapOption::Observe, &[])
        .send(&mut client, start);
    assert_eq!(code(&observe), "2.05");
    // Awake: a change is notified at once.
    let awake = start + Duration::from_secs(1);
    set_dimmer(&mut client, awake, 10);
    let notification = only(&mut client);
    assert_eq!(notification.get_token(), observe.get_token());
    // Quiet after the window: nothing is sent, not even on a change.
    let asleep = awake + WINDOW + Duration::from_secs(1);
    client.handle_timeout(asleep);
    let quiet = sent(&mut client);
    assert!(quiet.is_empty(), "{quiet:?}");
    set_dimmer(&mut client, asleep, 20);
    assert!(sent(&mut client).is_empty(), "no notification while asleep");
    // The held notification wakes the client with an Update first...
    client.handle_timeout(asleep);
    let update = only(&mut client);
    assert_eq!(strings(&update, CoapOption::UriPath), ["rd", "5"]);
    client.handle_timeout(asleep);
    assert!(
        sent(&mut client).is_empty(),
        "held until the Update is answered"
    );
    // ...and is delivered once the server answered it.
    let changed = answer(&update, ResponseType::Changed);
    client.handle_datagram(asleep, server(), &changed.to_bytes().unwrap());
    let delivered = sent(&mut client);
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let (_, notification) = &delivered[0];
    assert_eq!(notification.get_token(), observe.get_token());
    assert_eq!(notification.payload, b"20");
    assert!(events(&mut client).contains(&Event::Updated));
}

/// Queue mode tells the application when its radio may sleep: not while an exchange waits for
/// its answer or inside the queue window, then until the next Update is due.
#[test]
fn the_radio_may_sleep_after_the_window_until_the_next_update() {
    let start = Instant::now();
    let mut client = queue_client(start);
    assert_eq!(client.sleep_until(start), None, "awake inside the window");
    let after = start + WINDOW + Duration::from_secs(1);
    let until = client.sleep_until(after).expect("quiet after the window");
    assert_eq!(
        Some(until),
        client.poll_timeout(),
        "until the next Update is due"
    );
    assert!(until > after);
    // Due: the Update goes out and the client listens until it is answered.
    client.handle_timeout(until);
    let update = only(&mut client);
    assert_eq!(
        client.sleep_until(until),
        None,
        "an Update waits for its answer"
    );
    let changed = answer(&update, ResponseType::Changed);
    client.handle_datagram(until, server(), &changed.to_bytes().unwrap());
    assert_eq!(client.sleep_until(until), None, "the window starts again");
    assert!(client.sleep_until(until + WINDOW).is_some());
    // Without queue mode the client always listens.
    let mut always = registered(LwM2mVersion::V1_1, start);
    assert_eq!(always.sleep_until(start + Duration::from_secs(3600)), None);
    events(&mut always);
}
