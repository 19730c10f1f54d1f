//! Two LwM2M servers at once against the sans-IO client (ETS LightweightM2M-1.1-int-950 and
//! int-951 in miniature), with Access Control (object 2, Core TS §7.3.1) enforced: two server
//! accounts (Short Server IDs 1 and 2), each registered with its own lifetime, requests answered
//! by the rights of the asking server, per-server attributes and observations.

// A failed unwrap is a failed test here.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::net::SocketAddr;
use std::time::Duration;

use crate::support::*;
use coap_lite::{CoapOption, MessageClass, Packet, RequestType, ResponseType};
use lwm2m::client::{Client, Config, Event, LwM2mVersion, ServerEvent};
use lwm2m::codec::{self, ContentFormat, Record};
use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};
use lwm2m::{ObjectStore, Path, Value};

const R: u8 = AccessControl::READ;
const W: u8 = AccessControl::WRITE;
const E: u8 = AccessControl::EXECUTE;

fn s1() -> SocketAddr {
    server()
}

fn s2() -> SocketAddr {
    "127.0.0.1:5783".parse().unwrap()
}

/// Two server accounts and their Access Control instances:
/// - `/2/0` on `/3/0`: server 1 R/W/E, server 2 R (owner 1);
/// - `/2/1` on `/3311/0`: server 1 only (owner 1);
/// - `/2/2` on creating 3311 instances: server 1 only (bootstrap-owned);
/// - `/2/3`, `/2/4` on `/1/0`, `/1/1`: each server on its own Server instance.
fn two_server_store(second_uri: &str) -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::no_sec("coap://127.0.0.1:5683", 1), ())
        .unwrap();
    store
        .insert(1, Security::no_sec(second_uri, 2), ())
        .unwrap();
    store.insert(0, Server::new(1, 300, "U"), ()).unwrap();
    store.insert(1, Server::new(2, 600, "U"), ()).unwrap();
    let acl = [
        AccessControl::new(3, 0, 1)
            .with_acl(1, R | W | E)
            .with_acl(2, R),
        AccessControl::new(3311, 0, 1),
        AccessControl::new(3311, u16::MAX, AccessControl::BOOTSTRAP_OWNER)
            .with_acl(1, AccessControl::CREATE),
        AccessControl::new(1, 0, 1),
        AccessControl::new(1, 1, 2),
    ];
    for (i, aco) in (0..).zip(acl) {
        store.insert(i, aco, ()).unwrap();
    }
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store.insert(0, Light::default(), Switch).unwrap();
    store.creatable(|| (Light::default(), Switch));
    store
}

fn two_server_client(config: Config, second_uri: &str) -> Client {
    Client::new(config, two_server_store(second_uri))
}

/// Both Registers answered (`/rd/1` from server 1, `/rd/2` from server 2).
fn both_registered(now: Instant) -> Client {
    let client = two_server_client(config(LwM2mVersion::V1_1), "coap://127.0.0.1:5783");
    register_both(client, now)
}

fn server_events(client: &mut Client) -> Vec<ServerEvent> {
    std::iter::from_fn(|| client.poll_server_event()).collect()
}

fn query_value(packet: &Packet, key: &str) -> Option<String> {
    strings(packet, CoapOption::UriQuery)
        .into_iter()
        .find_map(|q| q.strip_prefix(&format!("{key}=")).map(str::to_owned))
}

#[test]
fn int_950_registers_with_both_servers_each_with_its_own_lifetime() {
    let now = Instant::now();
    let mut client = two_server_client(config(LwM2mVersion::V1_1), "coap://127.0.0.1:5783");
    client.start(now);
    let registers = sent(&mut client);
    let to: Vec<SocketAddr> = registers.iter().map(|(to, _)| *to).collect();
    assert_eq!(to, [s1(), s2()]);
    for (to, register) in &registers {
        assert_eq!(strings(register, CoapOption::UriPath), ["rd"]);
        assert_eq!(query_value(register, "ep").as_deref(), Some("dev1"));
        // Server 1: `Config::lifetime`; server 2: the Lifetime of its Server instance /1/1.
        let lifetime = if *to == s1() { "300" } else { "600" };
        assert_eq!(query_value(register, "lt").as_deref(), Some(lifetime));
        let links = String::from_utf8(register.payload.clone()).unwrap();
        assert!(
            links.contains("</2/0>") && links.contains("</1/1>"),
            "{links}"
        );
    }
    for (to, register) in registers {
        let mut created = answer(&register, ResponseType::Created);
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"9".to_vec());
        client.handle_datagram(now, to, &created.to_bytes().unwrap());
    }
    let registered: Vec<ServerEvent> = server_events(&mut client);
    let expected = |server| ServerEvent {
        server: Some(server),
        event: Event::Registered {
            location: "/rd/9".to_owned(),
        },
    };
    assert_eq!(registered, [expected(1), expected(2)]);
    let servers = client.servers();
    assert_eq!(servers.len(), 2);
    assert_eq!(servers[1].short_server_id, Some(2));
    assert_eq!(servers[1].address, s2());
    assert!(servers.iter().all(|s| s.registered));

    // Each registration has its own update timer: server 1's comes first (300 s lifetime).
    let due = client.poll_timeout().unwrap();
    assert!(due <= now + Duration::from_secs(300), "{due:?}");
    client.handle_timeout(due);
    let updates = sent(&mut client);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].0, s1());
    assert_eq!(strings(&updates[0].1, CoapOption::UriPath), ["rd", "9"]);
}

#[test]
fn a_configured_address_reaches_a_server_whose_uri_names_a_host() {
    let now = Instant::now();
    let other: SocketAddr = "127.0.0.1:6001".parse().unwrap();
    let config = config(LwM2mVersion::V1_1).with_server(2, other);
    let mut client = two_server_client(config, "coap://lwm2m.example.invalid:5683");
    client.start(now);
    let to: Vec<SocketAddr> = sent(&mut client).into_iter().map(|(to, _)| to).collect();
    assert_eq!(to, [s1(), other]);
}

#[test]
fn each_server_gets_only_what_its_acl_allows() {
    let now = Instant::now();
    let mut client = both_registered(now);
    let read = |client: &mut Client, path: &str, from, id| {
        Request::new(RequestType::Get, path)
            .id(id)
            .send_from(client, now, from)
    };
    assert_eq!(code(&read(&mut client, "/3311/0", s1(), 1)), "2.05");
    assert_eq!(code(&read(&mut client, "/3311/0/5850", s2(), 1)), "4.01");
    assert_eq!(code(&read(&mut client, "/3/0/0", s2(), 2)), "2.05");
    // An object-level read lists only the readable instances.
    let mine = read(&mut client, "/3311", s1(), 3);
    let theirs = read(&mut client, "/3311", s2(), 3);
    assert_eq!(code(&theirs), "2.05");
    let instances = |packet: &Packet| -> Vec<Option<u16>> {
        let mut ids: Vec<Option<u16>> = decode(packet, &Path::object(3311))
            .iter()
            .map(|r| r.path.instance_id())
            .collect();
        ids.dedup();
        ids
    };
    assert_eq!(instances(&mine), [Some(0)]);
    assert!(instances(&theirs).is_empty(), "{theirs:?}");
    // Discover and Observe need Read too.
    let discover = Request::new(RequestType::Get, "/3311/0")
        .accept(40)
        .id(4)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&discover), "4.01");
    let observe = Request::new(RequestType::Get, "/3311/0/5850")
        .option(CoapOption::Observe, &[])
        .id(5)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&observe), "4.01");

    let attributes = Request::new(RequestType::Put, "/3311/0/5850")
        .option(CoapOption::UriQuery, b"pmin=1")
        .id(0x10)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&attributes), "4.01");
    // A Read-Composite leaves out what the server may not read; a Write-Composite touching it is
    // refused whole.
    let composite = Request::new(RequestType::Fetch, "/")
        .format(110)
        .accept(110)
        .payload(br#"[{"n":"/3/0/0"},{"n":"/3311/0/5850"}]"#)
        .id(0x11)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&composite), "2.05");
    let text = String::from_utf8(composite.payload).unwrap();
    assert!(
        text.contains("lwm2m-rs") && !text.contains("5850"),
        "{text}"
    );
    // (Server 2 may write its own /1/1, not /3311/0.)
    let light_before = client.store().get::<Light>(0).unwrap().clone();
    let composite_write = Request::new(RequestType::IPatch, "/")
        .format(110)
        .payload(br#"[{"n":"/1/1/1","v":700},{"n":"/3311/0/5850","vb":true}]"#)
        .id(0x12)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&composite_write), "4.01");
    assert_eq!(client.store().get::<Light>(0).unwrap(), &light_before);
    assert_eq!(client.store().get::<Server>(1).unwrap().lifetime, 600);
    let own = Request::new(RequestType::IPatch, "/")
        .format(110)
        .payload(br#"[{"n":"/1/1/1","v":700}]"#)
        .id(0x13)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&own), "2.04");
    assert_eq!(client.store().get::<Server>(1).unwrap().lifetime, 700);

    // Server 2 may read /3/0 but not write or execute it: 4.01, nothing changed.
    let before = client.store().get::<Device>(0).unwrap().clone();
    let write = Request::new(RequestType::Put, "/3/0/14")
        .format(0)
        .payload(b"+09")
        .id(6)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&write), "4.01");
    let reboot = Request::new(RequestType::Post, "/3/0/4")
        .id(7)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&reboot), "4.01");
    assert_eq!(client.store().get::<Device>(0).unwrap(), &before);
    let events = events(&mut client);
    assert!(!events.contains(&Event::Rebooting), "{events:?}");
    // Server 1 may write it.
    let write = Request::new(RequestType::Put, "/3/0/14")
        .format(0)
        .payload(b"+09")
        .id(8)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&write), "2.04");
    // The Security object stays out of reach of both.
    assert_eq!(code(&read(&mut client, "/0/1", s2(), 9)), "4.01");
    assert_eq!(code(&read(&mut client, "/0/0", s1(), 9)), "4.01");
    // A third address is no server.
    assert_eq!(
        code(&read(
            &mut client,
            "/3/0/0",
            "127.0.0.1:7000".parse().unwrap(),
            1
        )),
        "4.01"
    );
}

fn create_light(client: &mut Client, now: Instant, from: SocketAddr, instance: u16) -> Packet {
    let tlv = codec::encode(
        ContentFormat::Tlv,
        &Path::object(3311),
        &[Record::new(
            Path::resource(3311, instance, 5850),
            Value::Boolean(true),
        )],
    )
    .unwrap();
    Request::new(RequestType::Post, "/3311")
        .format(11542)
        .payload(&tlv)
        .id(0x300 + instance)
        .send_from(client, now, from)
}

/// The Access Control instance governing `/object/instance`: (its id, owner, ACL).
fn aco_of(client: &Client, object: u16, instance: u16) -> Option<(u16, AccessControl)> {
    client.store().instances(2).find_map(|i| {
        let aco = client.store().get::<AccessControl>(i)?;
        (aco.object_id == object && aco.object_instance_id == instance).then(|| (i, aco.clone()))
    })
}

#[test]
fn a_create_makes_the_creator_owner_and_a_delete_removes_the_access_control_instance() {
    let now = Instant::now();
    let mut client = both_registered(now);
    // Server 2 lacks the Create right on 3311.
    assert_eq!(code(&create_light(&mut client, now, s2(), 5)), "4.01");
    assert!(client.store().instance(3311, 5).is_none());
    assert!(aco_of(&client, 3311, 5).is_none());

    let created = create_light(&mut client, now, s1(), 4);
    assert_eq!(code(&created), "2.01");
    assert_eq!(strings(&created, CoapOption::LocationPath), ["3311", "4"]);
    let (aco_id, aco) = aco_of(&client, 3311, 4).expect("an Access Control instance for /3311/4");
    assert_eq!(aco.owner, 1);
    assert_eq!(aco.rights(1), AccessControl::ALL);
    assert_eq!(aco.acl.as_ref().map(|acl| acl.len()), Some(1));
    // The new instance is server 1's: server 2 cannot read or delete it.
    let read = Request::new(RequestType::Get, "/3311/4")
        .id(1)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&read), "4.01");
    let delete = Request::new(RequestType::Delete, "/3311/4")
        .id(2)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&delete), "4.01");
    assert!(client.store().instance(3311, 4).is_some());
    // Both servers hear of the new instances in an Update.
    client.handle_timeout(now);
    let updates: Vec<SocketAddr> = sent(&mut client).into_iter().map(|(to, _)| to).collect();
    assert_eq!(updates, [s1(), s2()]);

    let delete = Request::new(RequestType::Delete, "/3311/4")
        .id(3)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&delete), "2.02");
    assert!(client.store().instance(3311, 4).is_none());
    assert!(client.store().instance(2, aco_id).is_none());
    assert!(aco_of(&client, 3311, 0).is_some(), "other entries stay");
}

#[test]
fn only_the_owner_changes_an_access_control_instance() {
    let now = Instant::now();
    let mut client = both_registered(now);
    // Give server 2 Read on /3311/0 through /2/1 (owned by server 1), as SenML JSON.
    let grant = br#"[{"bn":"/2/1/2/","n":"2","v":1}]"#;
    let by_2 = Request::new(RequestType::Post, "/2/1/2")
        .format(110)
        .payload(grant)
        .id(1)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&by_2), "4.01");
    assert_eq!(aco_of(&client, 3311, 0).unwrap().1.rights(2), 0);
    let refused = Request::new(RequestType::Get, "/3311/0")
        .id(2)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&refused), "4.01");

    let by_1 = Request::new(RequestType::Post, "/2/1/2")
        .format(110)
        .payload(grant)
        .id(1)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&by_1), "2.04");
    assert_eq!(aco_of(&client, 3311, 0).unwrap().1.rights(2), R);
    let allowed = Request::new(RequestType::Get, "/3311/0")
        .id(3)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&allowed), "2.05");
    // Everyone reads Access Control instances; a bootstrap-owned one no server changes.
    let read = Request::new(RequestType::Get, "/2/1")
        .id(4)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&read), "2.05");
    let bootstrap_owned = Request::new(RequestType::Post, "/2/2/2")
        .format(110)
        .payload(br#"[{"bn":"/2/2/2/","n":"2","v":16}]"#)
        .id(2)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&bootstrap_owned), "4.01");
    assert_eq!(aco_of(&client, 3311, u16::MAX).unwrap().1.rights(2), 0);
    // No server deletes one it does not own, nor creates one.
    let delete = Request::new(RequestType::Delete, "/2/1")
        .id(5)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&delete), "4.01");
    assert!(client.store().instance(2, 1).is_some());
}

fn write_attributes(client: &mut Client, now: Instant, from: SocketAddr, pmin: &str, pmax: &str) {
    let response = Request::new(RequestType::Put, "/3/0")
        .option(CoapOption::UriQuery, format!("pmin={pmin}").as_bytes())
        .option(CoapOption::UriQuery, format!("pmax={pmax}").as_bytes())
        .id(0x500)
        .send_from(client, now, from);
    assert_eq!(code(&response), "2.04");
}

fn discover_3_0(client: &mut Client, now: Instant, from: SocketAddr) -> String {
    let response = Request::new(RequestType::Get, "/3/0")
        .accept(40)
        .id(0x501)
        .send_from(client, now, from);
    assert_eq!(code(&response), "2.05");
    String::from_utf8(response.payload).unwrap()
}

#[test]
fn int_951_each_server_discovers_only_its_own_attributes() {
    let now = Instant::now();
    let mut client = both_registered(now);
    write_attributes(&mut client, now, s1(), "5", "50");
    write_attributes(&mut client, now, s2(), "10", "100");
    let first = discover_3_0(&mut client, now, s1());
    let second = discover_3_0(&mut client, now, s2());
    assert!(first.starts_with("</3/0>;pmin=5;pmax=50,"), "{first}");
    assert!(second.starts_with("</3/0>;pmin=10;pmax=100,"), "{second}");
    assert!(!first.contains("pmin=10") && !second.contains("pmin=5"));
}

#[test]
fn notifications_go_to_the_server_that_observes_with_its_own_attributes() {
    let now = Instant::now();
    let mut client = both_registered(now);
    // Server 2's pmin on /3/0 must not hold back server 1's notifications.
    write_attributes(&mut client, now, s2(), "100", "1000");
    client.store_mut().get_mut::<Device>(0).unwrap().utc_offset = Some("+01".to_owned());
    let observe = Request::new(RequestType::Get, "/3/0/14")
        .option(CoapOption::Observe, &[])
        .id(1)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&observe), "2.05");
    let later = now + Duration::from_secs(1);
    client.store_mut().get_mut::<Device>(0).unwrap().utc_offset = Some("+02".to_owned());
    client.resource_changed(later, &Path::resource(3, 0, 14));
    let notified = sent(&mut client);
    assert_eq!(notified.len(), 1, "{notified:?}");
    assert_eq!(notified[0].0, s1());
    assert_eq!(notified[0].1.get_token(), observe.get_token());
    let seen = server_events(&mut client);
    assert!(
        seen.iter()
            .any(|e| e.server == Some(1) && matches!(e.event, Event::Notified { .. })),
        "{seen:?}"
    );
}

#[test]
fn update_trigger_and_disable_act_on_the_server_of_the_instance() {
    let now = Instant::now();
    let mut client = both_registered(now);
    // Server 1 has no rights on server 2's account /1/1.
    let refused = Request::new(RequestType::Post, "/1/1/8")
        .id(1)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&refused), "4.01");
    client.handle_timeout(now);
    assert!(sent(&mut client).is_empty());
    // Server 2 triggers its own Update.
    let trigger = Request::new(RequestType::Post, "/1/1/8")
        .id(1)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&trigger), "2.04");
    client.handle_timeout(now);
    let update = sent(&mut client);
    assert_eq!(update.len(), 1, "{update:?}");
    assert_eq!(update[0].0, s2());
    assert_eq!(strings(&update[0].1, CoapOption::UriPath), ["rd", "2"]);
    let updated = answer(&update[0].1, ResponseType::Changed);
    client.handle_datagram(now, s2(), &updated.to_bytes().unwrap());

    // Server 2 disables itself: only its registration goes.
    client.handle_datagram(
        now,
        s2(),
        &Request::new(RequestType::Post, "/1/1/4")
            .id(2)
            .packet
            .to_bytes()
            .unwrap(),
    );
    let out = sent(&mut client);
    assert_eq!(out.len(), 2, "the 2.04 and the Deregister: {out:?}");
    assert!(out.iter().all(|(to, _)| *to == s2()));
    let delete = &out[1].1;
    assert_eq!(
        delete.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    assert_eq!(strings(delete, CoapOption::UriPath), ["rd", "2"]);
    let deleted = answer(delete, ResponseType::Deleted);
    client.handle_datagram(now, s2(), &deleted.to_bytes().unwrap());
    let servers = client.servers();
    assert!(servers[0].registered && !servers[1].registered);
    assert!(client.is_registered());
    // Server 2 is ignored, server 1 still served.
    client.handle_datagram(
        now,
        s2(),
        &Request::new(RequestType::Get, "/3/0/0")
            .id(3)
            .packet
            .to_bytes()
            .unwrap(),
    );
    assert!(sent(&mut client).is_empty());
    let read = Request::new(RequestType::Get, "/3/0/0")
        .id(3)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&read), "2.05");
}

#[test]
fn deregister_reaches_every_server() {
    let now = Instant::now();
    let mut client = both_registered(now);
    client.deregister(now);
    let out = sent(&mut client);
    let to: Vec<SocketAddr> = out.iter().map(|(to, _)| *to).collect();
    assert_eq!(to, [s1(), s2()]);
    assert!(client.is_deregistering());
    for (to, delete) in &out {
        assert_eq!(
            delete.header.code,
            MessageClass::Request(RequestType::Delete)
        );
        let deleted = answer(delete, ResponseType::Deleted);
        client.handle_datagram(now, *to, &deleted.to_bytes().unwrap());
    }
    assert!(!client.is_deregistering());
    assert!(!client.is_registered());
    let done: Vec<Option<u16>> = server_events(&mut client)
        .into_iter()
        .filter(|e| e.event == Event::Deregistered)
        .map(|e| e.server)
        .collect();
    assert_eq!(done, [Some(1), Some(2)]);
}

#[test]
fn one_server_account_has_full_access_whatever_access_control_says() {
    let now = Instant::now();
    let mut store = store();
    // An Access Control instance that would deny server 1 everything on /3311/0.
    store
        .insert(0, AccessControl::new(3311, 0, 7).with_acl(1, 0), ())
        .unwrap();
    let mut client = Client::new(config(LwM2mVersion::V1_1), store);
    client.start(now);
    let register = only(&mut client);
    let mut created = answer(&register, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    client.handle_datagram(now, s1(), &created.to_bytes().unwrap());
    let read = Request::new(RequestType::Get, "/3311/0/5850").send(&mut client, now);
    assert_eq!(code(&read), "2.05");
    let created = create_light(&mut client, now, s1(), 3);
    assert_eq!(code(&created), "2.01");
    // No Access Control instance is made for a single server.
    assert!(aco_of(&client, 3311, 3).is_none());
}

#[test]
fn a_lifetime_write_updates_only_the_registration_of_that_server() {
    let now = Instant::now();
    let mut client = both_registered(now);
    let write = Request::new(RequestType::Put, "/1/1/1")
        .format(0)
        .payload(b"700")
        .send_from(&mut client, now, s2());
    assert_eq!(code(&write), "2.04");
    client.handle_timeout(now);
    let updates = sent(&mut client);
    assert_eq!(updates.len(), 1, "{updates:?}");
    assert_eq!(updates[0].0, s2());
    assert_eq!(strings(&updates[0].1, CoapOption::UriPath), ["rd", "2"]);
    assert_eq!(query_value(&updates[0].1, "lt").as_deref(), Some("700"));
}

fn bootstrap_write(client: &mut Client, now: Instant, path: Path, records: &[Record], id: u16) {
    let write = Request::new(RequestType::Put, &path.to_string())
        .format(11542)
        .payload(&tlv(path, records))
        .id(id)
        .send_from(client, now, bootstrap_server());
    assert_eq!(code(&write), "2.04", "{path}");
}

/// A Bootstrap-Server provisions two server accounts and an Access Control instance: after
/// Bootstrap-Finish the client registers with both (each with its Server instance's lifetime),
/// and the written rights hold.
#[test]
fn a_bootstrap_with_two_accounts_registers_with_both() {
    let now = Instant::now();
    let mut client = Client::new(config(LwM2mVersion::V1_1), unprovisioned());
    client.start(now);
    let request = only(&mut client);
    assert_eq!(strings(&request, CoapOption::UriPath), ["bs"]);
    let changed = answer(&request, ResponseType::Changed);
    client.handle_datagram(now, bootstrap_server(), &changed.to_bytes().unwrap());

    for (k, (uri, lifetime)) in [
        ("coap://127.0.0.1:5683", 120),
        ("coap://127.0.0.1:5783", 240),
    ]
    .into_iter()
    .enumerate()
    {
        let (instance, ssid) = (k as u16 + 1, k as i64 + 1);
        let at = |r| Path::resource(0, instance, r);
        let security = [
            Record::new(at(0), Value::String(uri.to_owned())),
            Record::new(at(1), Value::Boolean(false)),
            Record::new(at(2), Value::Integer(3)),
            Record::new(at(10), Value::Integer(ssid)),
        ];
        bootstrap_write(
            &mut client,
            now,
            Path::instance(0, instance),
            &security,
            10 + instance,
        );
        let at = |r| Path::resource(1, instance - 1, r);
        let server = [
            Record::new(at(0), Value::Integer(ssid)),
            Record::new(at(1), Value::Integer(lifetime)),
            Record::new(at(6), Value::Boolean(false)),
            Record::new(at(7), Value::String("U".to_owned())),
        ];
        bootstrap_write(
            &mut client,
            now,
            Path::instance(1, instance - 1),
            &server,
            20 + instance,
        );
    }
    // /2/0: /3/0 owned by server 1, server 2 may only read.
    let at = |r| Path::resource(2, 0, r);
    let aco = [
        Record::new(at(0), Value::Integer(3)),
        Record::new(at(1), Value::Integer(0)),
        Record::new(Path::resource_instance(2, 0, 2, 2), Value::Integer(1)),
        Record::new(at(3), Value::Integer(1)),
    ];
    bootstrap_write(&mut client, now, Path::instance(2, 0), &aco, 30);
    let finish = Request::new(RequestType::Post, "/bs").id(31).packet;
    client.handle_datagram(now, bootstrap_server(), &finish.to_bytes().unwrap());
    let out = sent(&mut client);
    assert_eq!(out.len(), 3, "the 2.04 and two Registers: {out:?}");
    let registers: Vec<(SocketAddr, Option<String>)> = out[1..]
        .iter()
        .map(|(to, p)| (*to, query_value(p, "lt")))
        .collect();
    assert_eq!(
        registers,
        [
            (s1(), Some("120".to_owned())),
            (s2(), Some("240".to_owned()))
        ]
    );
    for (to, register) in &out[1..] {
        let mut created = answer(register, ResponseType::Created);
        created.add_option(CoapOption::LocationPath, b"rd".to_vec());
        created.add_option(CoapOption::LocationPath, b"3".to_vec());
        client.handle_datagram(now, *to, &created.to_bytes().unwrap());
    }
    assert!(client.servers().iter().all(|s| s.registered));
    let read = Request::new(RequestType::Get, "/3/0/0")
        .id(1)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&read), "2.05");
    let write = Request::new(RequestType::Put, "/3/0/14")
        .format(0)
        .payload(b"+01")
        .id(2)
        .send_from(&mut client, now, s2());
    assert_eq!(code(&write), "4.01");
    let write = Request::new(RequestType::Put, "/3/0/14")
        .format(0)
        .payload(b"+01")
        .id(2)
        .send_from(&mut client, now, s1());
    assert_eq!(code(&write), "2.04");
}

#[test]
fn a_server_that_forgot_the_registration_gets_a_new_register_the_other_keeps_its_own() {
    let now = Instant::now();
    let mut client = both_registered(now);
    let trigger = Request::new(RequestType::Post, "/1/1/8").send_from(&mut client, now, s2());
    assert_eq!(code(&trigger), "2.04");
    client.handle_timeout(now);
    let update = only(&mut client);
    let not_found = answer(&update, ResponseType::NotFound);
    client.handle_datagram(now, s2(), &not_found.to_bytes().unwrap());
    let out = sent(&mut client);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].0, s2());
    assert_eq!(strings(&out[0].1, CoapOption::UriPath), ["rd"]);
    let servers = client.servers();
    assert!(servers[0].registered && !servers[1].registered);
}
