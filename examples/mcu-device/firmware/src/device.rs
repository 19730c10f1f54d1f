//! The LwM2M side of the device: its objects and its client configuration.
//!
//! The store holds the built-in Security (0), Server (1) and Device (3) objects, configured for
//! the one server given on the command line (Short Server ID 1, NoSec), and Temperature (3303)
//! instance 0, generated from the bundled registry; a server may create more Temperatures.

use core::time::Duration;

use lwm2m::client::{Client, Config};
use lwm2m::objects::{Device, DeviceHandler, Security, Server};
use lwm2m::{ObjectStore, Time};

use crate::config;
use crate::thermometer::{self, Thermometer};

/// The Short Server ID of the one server.
pub const SHORT_SERVER_ID: u16 = 1;

/// The largest request body the device reassembles from Block1 blocks: a larger one is refused
/// with 4.13 before anything is stored, so a big write cannot exhaust the heap.
pub const MAX_REQUEST_BODY: usize = 2048;

/// The free heap a request may need: below it, new requests are answered 5.03 Service
/// Unavailable (`Client::set_overloaded`), so that a server creating instance after instance
/// gets an error answer instead of running the heap out (an allocation failure is a panic).
/// A 2 KiB Block1 body being decoded, or a SenML read of `/3/0`, stays well within it.
pub const HEAP_RESERVE: usize = 4 * 1024;

/// Answers kept to answer retransmitted requests again (RFC 7252 §4.5): few, the heap is small.
pub const DUPLICATE_CACHE: usize = 8;

/// The client for `config`, serving the device's objects; `uptime_ms` is the clock now and
/// `seed` the device's randomness for tokens and message ids.
pub fn client(config: &config::Config, uptime_ms: u64, seed: u64) -> Client {
    let mut client_config = Config::new(config.endpoint.as_str(), config.server);
    client_config.lifetime = Duration::from_secs(u64::from(config.lifetime));
    client_config.max_request_body = MAX_REQUEST_BODY;
    client_config.duplicate_cache_size = DUPLICATE_CACHE;
    client_config.random_seed = Some(seed);
    Client::new(
        client_config,
        store(&config.server_uri, config.lifetime, uptime_ms),
    )
}

/// The objects served.
fn store(uri: &str, lifetime: u32, uptime_ms: u64) -> ObjectStore {
    let mut store = ObjectStore::new();
    // Inserting distinct built-in instances into an empty store cannot fail; a failure would
    // show as a missing object in the registration.
    let _ = store.insert(0, Security::no_sec(uri, SHORT_SERVER_ID), ());
    let _ = store.insert(0, Server::new(SHORT_SERVER_ID, lifetime, "U"), ());
    let _ = store.insert(0, Device::demo(), DeviceHandler::with_clock(uptime_clock));
    let _ = store.insert(0, thermometer::initial(uptime_ms), Thermometer);
    // A server may create more Temperature instances (they start as instance 0 did; only
    // instance 0 is measured).
    store.creatable(|| (thermometer::initial(crate::clock::now_ms()), Thermometer));
    store
}

/// The device has no real-time clock: its Current Time (`/3/0/13`) counts seconds since boot
/// until a server writes the time, from which it then runs on.
fn uptime_clock() -> Time {
    Time(i64::try_from(crate::clock::now_ms() / 1000).unwrap_or(i64::MAX))
}
