//! [`MultiDtlsTransport`]: DTLS sessions with several servers at once, one [`DtlsTransport`]
//! (own socket, own credentials, own session) per server address; the design is on the type.

use crate::prelude::*;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::session::MAX_PLAINTEXT;
use super::transport::is_transient;
use super::{Credentials, DtlsConfig, DtlsError, DtlsTransport, resolve_coaps};
use crate::net::{Transport, TransportChange};
use crate::objects::Security;

/// How many datagrams may wait for one server's task (while it shakes hands) before
/// [`send_to`](Transport::send_to) refuses more.
const OUTGOING_QUEUE: usize = 64;

/// How many received datagrams may wait for [`recv_from`](Transport::recv_from); a full queue
/// makes the servers' tasks wait (their datagrams wait in their sockets meanwhile).
const INCOMING_QUEUE: usize = 64;

/// Session changes of the servers' tasks, waiting for [`Transport::poll_change`].
type Changes = Arc<Mutex<VecDeque<TransportChange>>>;

/// How one server's DTLS session is doing, from [`MultiDtlsTransport::status`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct OldPeerStatus {
    /// The local address of the socket towards this server (it moves to a fresh port when a
    /// lost session is shaken up again: see [`DtlsTransport`]).
    pub local: Option<SocketAddr>,
    /// Whether a session is established now.
    pub established: bool,
    /// How many handshakes completed, resumed ones included.
    pub handshakes: u32,
    /// How many of them resumed an earlier session.
    pub resumed_handshakes: u32,
    /// How many times the session moved to a fresh local port after it was lost.
    pub port_changes: u32,
    /// Why the last send failed (a handshake that failed or timed out, a socket error);
    /// `None` once a later send went through.
    pub last_error: Option<Arc<DtlsError>>,
    /// Whether the server's task stopped (its socket failed): sends to it are errors.
    pub stopped: bool,
}

/// One server of a [`MultiDtlsTransport`]: its task's queue and what the task reports.
struct Peer {
    outgoing: mpsc::Sender<Vec<u8>>,
    status: Arc<Mutex<OldPeerStatus>>,
    task: JoinHandle<()>,
}

/// DTLS 1.2 sessions with several servers: a [`Transport`] that sends each datagram in the
/// session with its destination and yields what any session receives with that session's
/// server as the source, so one [`Client`](crate::client::Client) registers with several
/// `coaps://` servers through one [`Driver`](crate::net::Driver).
///
/// # Design
///
/// - **One connected UDP socket per server.** Each server's [`DtlsTransport`] keeps its own
///   socket, connected to that server: the kernel drops datagrams from anyone else, so a
///   datagram can never reach another server's session (no address demultiplexing in user
///   space to get wrong), and each session keeps the screening, resumption and re-handshake
///   rules of [`DtlsTransport`] unchanged. The cost is one socket and one local port per server;
///   an LwM2M device has a handful of servers. (One shared socket would need a lookup by source
///   address before OpenSSL, and a session lost on one server would share its port with the
///   others' NAT bindings.)
/// - **One tokio task per server.** [`DtlsTransport::send`] shakes hands before its first
///   datagram, which takes up to [`DtlsConfig::handshake_timeout`] (20 s by default) when the
///   server is down or the key is wrong. Run inline, that would stall the driver and with it
///   every other server. Here [`send_to`](Transport::send_to) only queues the datagram for that
///   server's task and returns; the task sends it (shaking hands first when needed) and
///   forwards what its session receives, tagged with the server's address, to
///   [`recv_from`](Transport::recv_from). One server that is down or refuses the key never
///   delays the others.
/// - **Failures stay with their server.** A failed handshake is logged with the server's
///   address and kept in [`OldPeerStatus::last_error`]; the datagram is lost, as on a lossy
///   network, and the next one to that server (a CoAP retransmission) tries a new handshake.
///   Datagrams queued while the failed handshake ran are dropped with it, so one failure costs
///   one handshake timeout, not one per queued datagram. A socket that breaks ends that server's
///   task only: later sends to it are errors, the other servers go on.
/// - **Session changes are reported per server.** A server's session re-established (maybe
///   from a new local port, see [`DtlsTransport`]) is reported by
///   [`poll_change`](Transport::poll_change) with that server's address, once the task has
///   shaken hands; the driver asks after each of its wake-ups (a datagram, a timer, its tick),
///   and the client updates its registration with that server only.
///
/// ```no_run
/// use std::time::Duration;
/// use lwm2m::client::{Client, Config};
/// use lwm2m::net::Driver;
/// use lwm2m::net::dtls::{Credentials, DtlsConfig, MultiDtlsTransport};
/// use lwm2m::ObjectStore;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let local = "0.0.0.0:0".parse()?;
/// let (first, second) = ("192.0.2.1:5684".parse()?, "192.0.2.2:5684".parse()?);
/// let mut transport = MultiDtlsTransport::new();
/// transport.add(local, first, DtlsConfig::new(Credentials::psk(*b"dev", [1; 16])?)).await?;
/// transport.add(local, second, DtlsConfig::new(Credentials::psk(*b"dev", [2; 16])?)).await?;
/// // The store holds a Security and a Server instance per server (Short Server IDs 1 and 2).
/// let config = Config::new("dev", first).with_server(2, second);
/// let client = Client::new(config, ObjectStore::new());
/// Driver::new(transport)
///     .run(client, Duration::from_secs(1), |_client, _now| {}, std::future::pending())
///     .await?;
/// # Ok(())
/// # }
/// ```
pub struct MultiDtlsTransport {
    peers: BTreeMap<SocketAddr, Peer>,
    /// The first server added: its socket's address is [`Transport::local_addr`].
    first: Option<SocketAddr>,
    incoming: mpsc::Receiver<(SocketAddr, Vec<u8>)>,
    /// Cloned into each server's task.
    incoming_sender: mpsc::Sender<(SocketAddr, Vec<u8>)>,
    /// Filled by the servers' tasks.
    changes: Changes,
}

impl Default for MultiDtlsTransport {
    fn default() -> Self {
        MultiDtlsTransport::new()
    }
}

impl MultiDtlsTransport {
    /// A transport with no server yet: [`add`](Self::add) them.
    pub fn new() -> MultiDtlsTransport {
        let (incoming_sender, incoming) = mpsc::channel(INCOMING_QUEUE);
        MultiDtlsTransport {
            peers: BTreeMap::new(),
            first: None,
            incoming,
            incoming_sender,
            changes: Changes::default(),
        }
    }

    /// Adds a server: binds a socket to `local` (port 0: any free port; each server needs its
    /// own), connects it to `server`; the handshake happens on the first datagram sent to it.
    /// Must run inside a tokio runtime (the server's task is spawned on it).
    pub async fn add(
        &mut self,
        local: SocketAddr,
        server: SocketAddr,
        config: DtlsConfig,
    ) -> Result<(), DtlsError> {
        if self.peers.contains_key(&server) {
            return Err(DtlsError::DuplicateServer(server));
        }
        let transport = DtlsTransport::bind(local, server, config).await?;
        self.insert(transport)
    }

    /// Adds the server of a Security instance (`/0/x`): its `coaps://` URI (`/0/x/0`) is
    /// resolved and its credentials ([`Credentials::from_security`]) go into a
    /// [`DtlsConfig`] with defaults. Returns the server's address, for the client's
    /// [`Config`](crate::client::Config).
    pub async fn add_security(
        &mut self,
        local: SocketAddr,
        security: &Security,
    ) -> Result<SocketAddr, DtlsError> {
        let credentials = Credentials::from_security(security)?;
        let server = resolve_coaps(&security.server_uri).await?;
        self.add(local, server, DtlsConfig::new(credentials))
            .await?;
        Ok(server)
    }

    /// Adds a server's transport as it is (bound, possibly [connected](DtlsTransport::connect)
    /// already). Must run inside a tokio runtime (the server's task is spawned on it).
    pub fn insert(&mut self, transport: DtlsTransport) -> Result<(), DtlsError> {
        let server = transport.peer_addr();
        if self.peers.contains_key(&server) {
            return Err(DtlsError::DuplicateServer(server));
        }
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| DtlsError::Io(io::Error::other(e)))?;
        let status = Arc::new(Mutex::new(OldPeerStatus {
            local: Transport::local_addr(&transport).ok(),
            ..OldPeerStatus::default()
        }));
        report(&status, &transport, None);
        let (outgoing, queue) = mpsc::channel(OUTGOING_QUEUE);
        let task = runtime.spawn(serve_peer(
            transport,
            queue,
            self.incoming_sender.clone(),
            status.clone(),
            self.changes.clone(),
        ));
        self.peers.insert(
            server,
            Peer {
                outgoing,
                status,
                task,
            },
        );
        self.first.get_or_insert(server);
        Ok(())
    }

    /// The servers, in address order.
    pub fn servers(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.keys().copied()
    }

    /// How the session with `server` is doing (`None`: not one of the servers).
    pub fn status(&self, server: SocketAddr) -> Option<OldPeerStatus> {
        self.peers
            .get(&server)
            .map(|peer| lock(&peer.status).clone())
    }

    /// A handle on the statuses of the servers added so far, which stays valid after the
    /// transport moved into a [`Driver`](crate::net::Driver) (to watch the sessions while it
    /// runs).
    pub fn statuses(&self) -> PeerStatuses {
        PeerStatuses {
            peers: self
                .peers
                .iter()
                .map(|(server, peer)| (*server, peer.status.clone()))
                .collect(),
        }
    }
}

/// The statuses of a [`MultiDtlsTransport`]'s servers, live: see
/// [`MultiDtlsTransport::statuses`].
#[derive(Debug, Clone, Default)]
pub struct PeerStatuses {
    peers: BTreeMap<SocketAddr, Arc<Mutex<OldPeerStatus>>>,
}

impl PeerStatuses {
    /// How the session with `server` is doing now (`None`: not one of the servers).
    pub fn get(&self, server: SocketAddr) -> Option<OldPeerStatus> {
        self.peers.get(&server).map(|status| lock(status).clone())
    }

    /// The servers, in address order.
    pub fn servers(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.peers.keys().copied()
    }
}

impl Transport for MultiDtlsTransport {
    /// Queues `bytes` for the session with `to` and returns at once: the server's task shakes
    /// hands first if needed. An error if `to` is not one of the servers, if its queue is full
    /// (it is still shaking hands: the datagram is dropped, CoAP retransmits), or if its task
    /// stopped.
    async fn send_to(&mut self, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        let Some(peer) = self.peers.get(&to) else {
            let known: Vec<String> = self.peers.keys().map(ToString::to_string).collect();
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "no DTLS session is configured with {to} (servers: {})",
                    known.join(", ")
                ),
            ));
        };
        match peer.outgoing.try_send(bytes.to_vec()) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{OUTGOING_QUEUE} datagrams already wait for the DTLS session with {to}"),
            )),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                let why = lock(&peer.status)
                    .last_error
                    .as_ref()
                    .map_or_else(String::new, |e| format!(": {e}"));
                Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    format!("the DTLS transport with {to} stopped{why}"),
                ))
            }
        }
    }

    /// The next datagram any session received, with that session's server; cancel-safe.
    async fn recv_from(&mut self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let Some((from, plaintext)) = self.incoming.recv().await else {
            // Unreachable while `self` holds a sender; wait as a socket with no traffic does.
            return std::future::pending().await;
        };
        let mut len = 0;
        for (dst, src) in buf.iter_mut().zip(&plaintext) {
            *dst = *src;
            len += 1;
        }
        Ok((len, from))
    }

    /// The local address of the first server's socket (each server has its own: see
    /// [`OldPeerStatus::local`]).
    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.first
            .and_then(|first| self.status(first))
            .and_then(|status| status.local)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no DTLS server added"))
    }

    /// The next session change of any server, in the order the tasks made them.
    fn poll_change(&mut self) -> Option<TransportChange> {
        self.changes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

impl Drop for MultiDtlsTransport {
    /// Stops every server's task (and with it its socket and session), as dropping a
    /// [`DtlsTransport`] would.
    fn drop(&mut self) {
        for peer in self.peers.values() {
            peer.task.abort();
        }
    }
}

impl fmt::Debug for MultiDtlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (server, peer) in &self.peers {
            map.entry(server, &*lock(&peer.status));
        }
        map.finish()
    }
}

/// One server's task: sends what is queued for it, forwards what its session receives, until
/// the [`MultiDtlsTransport`] is dropped or the socket fails.
async fn serve_peer(
    mut transport: DtlsTransport,
    mut queue: mpsc::Receiver<Vec<u8>>,
    incoming: mpsc::Sender<(SocketAddr, Vec<u8>)>,
    status: Arc<Mutex<OldPeerStatus>>,
    changes: Changes,
) {
    let server = transport.peer_addr();
    let mut buf = vec![0u8; MAX_PLAINTEXT];
    loop {
        tokio::select! {
            next = queue.recv() => {
                let Some(datagram) = next else {
                    return;
                };
                match transport.send(&datagram).await {
                    Ok(()) => report(&status, &transport, None),
                    Err(e) => {
                        let dropped = std::iter::from_fn(|| queue.try_recv().ok()).count();
                        tracing::warn!(%server, error = %e, dropped = dropped + 1, "DTLS send failed; datagrams dropped (CoAP retransmits)");
                        report(&status, &transport, Some(e));
                    }
                }
                let mut waiting = changes.lock().unwrap_or_else(PoisonError::into_inner);
                waiting.extend(std::iter::from_fn(|| transport.poll_change()));
            }
            // Cancel-safe: dropped whenever something is queued first.
            received = transport.recv(&mut buf) => match received {
                Ok(len) => {
                    report(&status, &transport, None);
                    let plaintext = buf.get(..len).unwrap_or_default().to_vec();
                    if incoming.send((server, plaintext)).await.is_err() {
                        return;
                    }
                }
                // An ICMP report (the server is not up): retransmissions deal with it.
                Err(e) if is_transient(&e) => {
                    tracing::debug!(%server, error = %e, "DTLS server unreachable");
                }
                Err(e) => {
                    tracing::error!(%server, error = %e, "DTLS socket failed; this server is stopped");
                    let mut status = lock(&status);
                    status.last_error = Some(Arc::new(DtlsError::Io(e)));
                    status.established = false;
                    status.stopped = true;
                    return;
                }
            }
        }
    }
}

/// Copies the transport's counters into `status`; `Some(error)` records a failure, `None` a
/// success (clearing the last error).
fn report(status: &Mutex<OldPeerStatus>, transport: &DtlsTransport, error: Option<DtlsError>) {
    let mut status = lock(status);
    status.established = transport.is_established();
    status.handshakes = transport.handshakes();
    status.resumed_handshakes = transport.resumed_handshakes();
    status.port_changes = transport.port_changes();
    status.local = Transport::local_addr(transport).ok();
    match error {
        Some(e) => status.last_error = Some(Arc::new(e)),
        None if transport.is_established() => status.last_error = None,
        None => {}
    }
}

/// The status, even if a thread panicked holding it (it holds plain counters).
fn lock(status: &Mutex<OldPeerStatus>) -> std::sync::MutexGuard<'_, OldPeerStatus> {
    status.lock().unwrap_or_else(PoisonError::into_inner)
}
