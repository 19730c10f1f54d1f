//! The LwM2M client, sans I/O: datagrams and time in, datagrams, timers and events out.
//!
//! [`Client`] owns the [`ObjectStore`] and speaks LwM2M over CoAP with its servers, on one socket
//! for both directions (the driver in `lwm2m::net` moves the bytes). It registers with every
//! server account of the store (a non-bootstrap Security instance and the Server instance of the
//! same Short Server ID; [`Config::with_server`] says where each is), keeps a registration,
//! observations and Write-Attributes values per server, and with more than one account enforces
//! Access Control (object 2, Core TS §7.3.1): a server lacking the right for an operation gets
//! 4.01 Unauthorized, a server that creates an instance owns it. [`Client::poll_server_event`]
//! tells which server an event concerns.
//!
//! - **Registration** (LwM2M Core TS §6.2, Transport TS §6.4): `POST /rd?ep=..&lt=..&lwm2m=..&b=..`
//!   with the object links of the store, Update before the lifetime runs out, on object or
//!   instance changes and on an Execute of `/1/x/8`, Register again when an Update gets 4.04,
//!   Deregister with `DELETE` on [`Client::deregister`], and on an Execute of Disable `/1/x/4`
//!   after which the client stays away for the Disable Timeout `/1/x/5` and then registers
//!   again. See [`registration`] for the timing.
//! - **Device management** (§6.3): the server's Read, Discover, Write, Write-Attributes,
//!   Execute, Create, Delete and composite Read/Write, answered from the store.
//! - **Information reporting** (§6.4): Observe, Cancel Observation and notifications, and
//!   Send ([`Client::send`], `POST /dp` in SenML CBOR, LwM2M 1.1 and later).
//!
//! ```no_run
//! use lwm2m::Instant;
//! use lwm2m::client::{Client, Config};
//! use lwm2m::ObjectStore;
//!
//! let server = "127.0.0.1:5683".parse().unwrap();
//! let mut client = Client::new(Config::new("demo", server), ObjectStore::new());
//! client.start(Instant::now());
//! while let Some(transmit) = client.poll_transmit() {
//!     // socket.send_to(&transmit.bytes, transmit.to)
//! #   let _ = transmit;
//! }
//! ```

use crate::prelude::*;
mod access;
mod blockwise;
#[cfg(feature = "bootstrap")]
mod bootstrap;
// Without the Bootstrap interface, its hooks in the engine are stubs: no bootstrap server is
// ever contacted, so none of its requests arrive.
#[cfg(not(feature = "bootstrap"))]
#[path = "bootstrap_off.rs"]
mod bootstrap;
mod dm;
mod engine;
mod event;
mod exchange;
#[cfg(feature = "firmware-update")]
mod firmware;
// Without Firmware Update, its hooks in the engine are stubs that do nothing.
#[cfg(not(feature = "firmware-update"))]
#[path = "firmware/off.rs"]
mod firmware;
mod message;
mod notify;
pub mod observe;
mod operation;
mod register;
pub mod registration;
mod report;
mod send;
mod serve;
mod session;

pub use event::{Event, Failure, RegistrationRequest, ResponseCode, ServerEvent};
pub use operation::Operation;
pub use send::SendError;

use crate::time::Instant;
use alloc::collections::{BTreeMap, VecDeque};
use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;

use crate::coap::TransmissionParameters;
use crate::path::Path;
use crate::store::ObjectStore;

use engine::Engine;

/// The LwM2M version a client announces in its registration (`lwm2m=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum LwM2mVersion {
    /// LwM2M 1.0.
    V1_0,
    /// LwM2M 1.1 (the default: the version most servers accept).
    #[default]
    V1_1,
    /// LwM2M 1.2.
    V1_2,
}

impl fmt::Display for LwM2mVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LwM2mVersion::V1_0 => "1.0",
            LwM2mVersion::V1_1 => "1.1",
            LwM2mVersion::V1_2 => "1.2",
        })
    }
}

/// The binding a client announces (`b=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Binding {
    /// UDP, always reachable.
    #[default]
    U,
    /// UDP with queue mode: the client is reachable only for a while after it sent something.
    UQ,
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Binding::U => "U",
            Binding::UQ => "UQ",
        })
    }
}

/// How a [`Client`] reaches its server and registers.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The endpoint client name (`ep=`).
    pub endpoint: String,
    /// The LwM2M server (the driver resolves URIs to addresses): with several server accounts
    /// in the store, the address of the first (the first non-bootstrap Security instance).
    /// After a bootstrap, the server the Bootstrap-Server wrote replaces it (see
    /// [`Event::ResolveServer`] for host names).
    pub server: SocketAddr,
    /// The addresses of the other server accounts, by Short Server ID; an account not listed is
    /// reached at the IP literal of its Security URI (`/0/x/0`). See
    /// [`Config::with_server`].
    pub server_addresses: BTreeMap<u16, SocketAddr>,
    /// `Some` => client-initiated bootstrap with this server before registering (ignored
    /// without the `bootstrap` feature, which is on by default).
    pub bootstrap_server: Option<SocketAddr>,
    /// The registration lifetime (`lt=`); whole seconds are sent, at least 1.
    pub lifetime: Duration,
    /// The LwM2M version announced.
    pub lwm2m_version: LwM2mVersion,
    /// The binding announced.
    pub binding: Binding,
    /// Queue mode: how long the client stays reachable after its last transmission.
    pub queue_window: Duration,
    /// CoAP transmission parameters (RFC 7252 §4.8).
    pub transmission: TransmissionParameters,
    /// The largest datagram the client sends; larger payloads go block-wise.
    pub max_message_size: usize,
    /// The block size for block-wise transfers, 16..=1024.
    pub block_size: u16,
    /// The largest request body reassembled from Block1 blocks; a larger one is refused with
    /// 4.13 Request Entity Too Large before anything is stored (default 1 MiB; a
    /// microcontroller sets what its heap can hold).
    pub max_request_body: usize,
    /// How many recent answers are kept to answer a retransmitted request again without
    /// executing it twice (RFC 7252 §4.5; default 256, a microcontroller keeps fewer).
    pub duplicate_cache_size: usize,
    /// The seed of message ids, tokens and retransmission jitter. `None`: from the operating
    /// system's entropy with `std`; **without `std` a device must set it** from a hardware
    /// random source (a fixed seed makes its tokens guessable, RFC 7252 §5.3.1).
    pub random_seed: Option<u64>,
}

impl Config {
    /// A configuration with defaults: lifetime 86400 s, LwM2M 1.1, binding `U`, queue window
    /// 93 s (`MAX_TRANSMIT_WAIT`), RFC 7252 transmission parameters, 1152-byte messages, 512-byte
    /// blocks, request bodies up to 1 MiB, 256 answers kept for duplicates, no bootstrap.
    pub fn new(endpoint: impl Into<String>, server: SocketAddr) -> Config {
        let transmission = TransmissionParameters::default();
        Config {
            endpoint: endpoint.into(),
            server,
            server_addresses: BTreeMap::new(),
            bootstrap_server: None,
            lifetime: Duration::from_secs(86400),
            lwm2m_version: LwM2mVersion::default(),
            binding: Binding::default(),
            queue_window: transmission.max_transmit_wait(),
            transmission,
            max_message_size: 1152,
            block_size: 512,
            max_request_body: 1 << 20,
            duplicate_cache_size: 256,
            random_seed: None,
        }
    }

    /// Several servers: the client registers with every server account of its store (a
    /// non-bootstrap Security instance `/0/y` and the Server instance `/1/x` with the same
    /// Short Server ID), the first at [`Config::server`], the others at the address given here
    /// for their Short Server ID, or else at the IP literal of their Security URI. With more than
    /// one account, Access Control (object 2) decides what each server may do.
    ///
    /// ```
    /// use lwm2m::client::Config;
    ///
    /// let first = "127.0.0.1:5683".parse().unwrap();
    /// let second = "127.0.0.1:5783".parse().unwrap();
    /// let config = Config::new("dev", first).with_server(2, second);
    /// assert_eq!(config.server_addresses.get(&2), Some(&second));
    /// ```
    pub fn with_server(mut self, short_server_id: u16, address: SocketAddr) -> Config {
        self.server_addresses.insert(short_server_id, address);
        self
    }
}

/// One server the client registers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    /// Its Short Server ID (`None`: a store without server accounts).
    pub short_server_id: Option<u16>,
    /// Its address.
    pub address: SocketAddr,
    /// Whether it accepted the registration and it has not been removed.
    pub registered: bool,
}

/// A datagram for the driver to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to.
    pub to: SocketAddr,
    /// The CoAP message.
    pub bytes: Vec<u8>,
    /// Whether the server is expected to answer it: a confirmable request, its
    /// retransmission or a confirmable notification (not a response, an ACK, a RST or a
    /// non-confirmable notification). A secure transport counts these to notice a server that
    /// lost the session (`lwm2m::net::dtls::Endpoint::send`, feature `dtls`).
    pub expects_answer: bool,
}

/// The sans-I/O LwM2M client: see the [module documentation](self).
///
/// `Client` does no I/O and reads no clock: the caller (the tokio driver in `lwm2m::net`, or a
/// device's own loop, as `examples/mcu-device` has) moves datagrams and time in and out. The
/// calling contract, in the spirit of `quinn_proto::Connection`:
///
/// 1. Make it with [`Client::new`] and call [`Client::start`] once.
/// 2. Feed it what happens:
///    - every datagram from the socket, with [`Client::handle_datagram`] (from any address:
///      the client drops or refuses what does not come from its servers);
///    - the passing of time, with [`Client::handle_timeout`] once the instant
///      [`Client::poll_timeout`] gave has come (calling it earlier is harmless);
///    - the application's own changes: [`Client::resource_changed`] after changing a value
///      through [`Client::store_mut`], [`Client::send`], [`Client::set_server`] after an
///      [`Event::ResolveServer`], [`Client::transport_changed`] when the transport
///      re-established a session, [`Client::deregister`] to shut down.
/// 3. After each call of step 2, drain its outputs in this order:
///    - [`Client::poll_transmit`] until it returns `None`, sending each datagram to its
///      address;
///    - [`Client::poll_event`] (or [`Client::poll_server_event`]) until `None`, for logs and
///      the application;
///    - [`Client::poll_timeout`], which may have moved earlier: wait for the next datagram or
///      that instant, whichever comes first (`None`: only a datagram or an application call
///      can give the client work).
/// 4. Time never goes backwards: each `now` is at least the previous one (a
///    [`Instant`] from one monotonic clock).
/// 5. To shut down, call [`Client::deregister`] and go on with steps 2 and 3 until
///    [`Client::is_deregistering`] is false (the servers answered, or their exchanges were
///    given up after the CoAP retransmissions), or until the application's own deadline.
///
/// Nothing blocks and nothing is sent on its own: a datagram exists only once
/// [`Client::poll_transmit`] returned it.
pub struct Client {
    engine: Engine,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.engine.config.endpoint)
            .field("registered", &self.is_registered())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client serving `store` as `config` says. Nothing is sent before [`Client::start`].
    pub fn new(config: Config, store: ObjectStore) -> Client {
        Client {
            engine: Engine::new(config, store),
        }
    }

    /// Starts: a bootstrap request if a bootstrap server is configured, otherwise a registration.
    pub fn start(&mut self, now: Instant) {
        self.engine.start(now);
    }

    /// A datagram arrived from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.engine.handle_datagram(now, from, datagram);
    }

    /// Time passed: retransmissions, registration updates, notifications due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.engine.handle_timeout(now);
    }

    /// The next datagram to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.engine.outbox.pop_front()
    }

    /// When [`Client::handle_timeout`] must run next (`None`: nothing is scheduled).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.engine.next_timeout()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.engine.events.pop_front().map(|e| e.event)
    }

    /// The next event with the server it concerns, if any (the same queue as
    /// [`Client::poll_event`]).
    pub fn poll_server_event(&mut self) -> Option<ServerEvent> {
        self.engine.events.pop_front()
    }

    /// The servers the client registers with, in order (see [`Config::with_server`]).
    pub fn servers(&self) -> Vec<ServerStatus> {
        self.engine.servers()
    }

    /// The objects served.
    pub fn store(&self) -> &ObjectStore {
        &self.engine.store
    }

    /// The objects served, mutable: after changing a value call [`Client::resource_changed`];
    /// after adding or removing instances the client sends an Update on the next
    /// [`Client::handle_timeout`].
    pub fn store_mut(&mut self) -> &mut ObjectStore {
        &mut self.engine.store
    }

    /// The device's code changed the value at `path`: observers are notified as their
    /// attributes allow.
    pub fn resource_changed(&mut self, now: Instant, path: &Path) {
        self.engine.resource_changed(now, path);
    }

    /// Turns on Firmware Update (object 5, see [`crate::firmware`]): the client serves `/5/0`,
    /// streams pushed packages (Block1 Writes of `/5/0/0`) and pulled ones (a Write of the
    /// Package URI `/5/0/1`, then a block-wise `coap://` download) to `updater.sink`, and runs
    /// the State and Update Result machine; [`Event::FirmwareUpdating`] asks the application
    /// to restart into the new firmware. Call it before [`Client::start`] (so that the
    /// registration lists `/5/0`), with [`FirmwareUpdater::after_boot`] saying how an update
    /// before this run ended.
    ///
    /// [`FirmwareUpdater::after_boot`]: crate::firmware::FirmwareUpdater::after_boot
    #[cfg(feature = "firmware-update")]
    #[cfg_attr(docsrs, doc(cfg(feature = "firmware-update")))]
    pub fn enable_firmware_update(
        &mut self,
        now: Instant,
        updater: crate::firmware::FirmwareUpdater,
    ) {
        self.engine.enable_firmware(now, updater);
    }

    /// The Firmware Update's State and Update Result, when enabled.
    #[cfg(feature = "firmware-update")]
    #[cfg_attr(docsrs, doc(cfg(feature = "firmware-update")))]
    pub fn firmware_status(
        &self,
    ) -> Option<(crate::firmware::UpdateState, crate::firmware::UpdateResult)> {
        self.engine.firmware_status()
    }

    /// Sets the LwM2M server's address: the answer to [`Event::ResolveServer`] (the Register is
    /// sent then), or a move to another server before [`Client::start`].
    pub fn set_server(&mut self, now: Instant, address: SocketAddr) {
        self.engine.set_server(now, address);
    }

    /// Send (LwM2M 1.1 and later): pushes the values at `paths`, read now, to the server (with
    /// several servers: the first registered one) with a confirmable `POST /dp` in SenML CBOR.
    /// The outcome arrives as [`Event::Sent`] or [`Event::SendFailed`]; an `Err` means nothing
    /// was sent (not registered, LwM2M 1.0, Send muted by that server's `/1/x/23`, a path that
    /// cannot be read...).
    pub fn send(&mut self, now: Instant, paths: &[Path]) -> Result<(), SendError> {
        self.engine.send(now, paths)
    }

    /// Send of records the device built (LwM2M 1.1 and later): pushes `records`, such as values
    /// sampled while offline with the time each was taken ([`Record::at`](crate::codec::Record::at);
    /// one path may come at several times), to the server (with several servers: the first
    /// registered one) with a confirmable `POST /dp` in SenML
    /// CBOR. The checks of [`Client::send`] apply; the records must be resources or resource
    /// instances outside the Security and OSCORE objects, each path at most once per time. The
    /// outcome arrives as [`Event::Sent`] (naming each path once) or [`Event::SendFailed`].
    pub fn send_records(
        &mut self,
        now: Instant,
        records: &[crate::codec::Record],
    ) -> Result<(), SendError> {
        let paths = send::record_paths(records);
        self.engine
            .send_with(now, paths, |_| send::records_payload(records))
    }

    /// The transport re-established its secure session with the server at `server` (a new DTLS
    /// handshake after the old session was lost, possibly from a new local port: see
    /// `lwm2m::net::TransportChange`): the server may still know the client
    /// at its old address, so a registered client sends it a Registration Update now (one, and
    /// none if a Register or Update to it is in flight already: its retransmission goes
    /// through the new session). The driver (`lwm2m::net::Driver`) calls this; a custom
    /// driver should too. Other servers are not affected; an unknown address is ignored.
    pub fn transport_changed(&mut self, now: Instant, server: SocketAddr) {
        self.engine.transport_changed(now, server);
    }

    /// Graceful shutdown: sends Deregister (`DELETE /rd/..`) to every registered server.
    pub fn deregister(&mut self, now: Instant) {
        self.engine.deregister(now);
    }

    /// Whether a server accepted the registration and it has not been removed (with several
    /// servers: at least one; see [`Client::servers`]).
    pub fn is_registered(&self) -> bool {
        self.engine.is_registered()
    }

    /// Queue mode (binding `UQ`): `Some(until)` when the radio may sleep now, because the queue
    /// window since the last exchange has passed, no exchange is waiting for an answer and
    /// nothing is waiting to be sent; `until` is when the client has work again
    /// ([`Client::poll_timeout`]: an Update, a notification or a retry; `Instant::MAX` when
    /// nothing is scheduled). A server's request may still arrive if the network holds it;
    /// the client wakes for any call. `None` while the client must listen (and always
    /// without queue mode).
    pub fn sleep_until(&self, now: Instant) -> Option<Instant> {
        self.engine.sleep_until(now)
    }

    /// Whether a Deregister is still waiting for its answer (after [`Client::deregister`]).
    pub fn is_deregistering(&self) -> bool {
        self.engine.is_deregistering()
    }

    /// Load shedding: while `overloaded`, every new request from a server except a Delete is
    /// answered 5.03 Service Unavailable with a Max-Age of 2 s, before the store is touched;
    /// a Delete is served, because it gives memory back; responses to the client's own
    /// requests, retransmitted duplicates (answered from the cache) and notifications go on as
    /// usual.
    ///
    /// A microcontroller sets it from its heap before each datagram (free heap below the most a
    /// request can take), so that many small requests (say a server creating instance after
    /// instance) get an error answer instead of exhausting the heap, which on a device without
    /// std ends in a panic. `examples/mcu-device` does.
    pub fn set_overloaded(&mut self, overloaded: bool) {
        self.engine.overloaded = overloaded;
    }
}

/// Events waiting to be polled.
type Events = VecDeque<ServerEvent>;
