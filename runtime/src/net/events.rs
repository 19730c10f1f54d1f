//! The `tracing` line of each client [`Event`], and the [`TransportChange`]s a transport reports
//! to the [driver](crate::net::Driver).

use crate::prelude::*;
use std::net::SocketAddr;

use crate::client::{Event, ServerEvent};

/// A transport re-established its session with a server (a new DTLS handshake after the old
/// session was lost or closed, possibly from a new local port): the server may still know the
/// client at its old address or in its old session, so the driver tells the client
/// ([`Client::transport_changed`](crate::client::Client::transport_changed)), which sends that
/// server a Registration Update from the new session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportChange {
    /// The server whose session was re-established (the address the client sends to).
    pub server: SocketAddr,
    /// The local address of the new session.
    pub local: Option<SocketAddr>,
    /// Whether the local address differs from the one of the previous session.
    pub moved: bool,
    /// Whether the new session resumed the previous one (an abbreviated handshake).
    pub resumed: bool,
}

impl TransportChange {
    /// A change of the session with `server`, now from `local`.
    pub fn new(
        server: SocketAddr,
        local: Option<SocketAddr>,
        moved: bool,
        resumed: bool,
    ) -> TransportChange {
        TransportChange {
            server,
            local,
            moved,
            resumed,
        }
    }
}

/// Logs `event`: registration changes and notifications at `info`, failures at `warn`, the
/// server's requests at `debug` (enable them with `RUST_LOG=lwm2m::net=debug`).
pub fn log_event(event: &Event) {
    match event {
        Event::Bootstrapped => tracing::info!("bootstrap finished"),
        Event::Registered { location } => tracing::info!(%location, "registered"),
        Event::Updated => tracing::info!("registration updated"),
        Event::Deregistered => tracing::info!("deregistered"),
        Event::RegistrationFailed { request, reason } => {
            tracing::warn!(%request, %reason, "registration failed");
        }
        Event::Request {
            operation,
            path,
            code,
        } => match path {
            Some(path) => tracing::debug!(%operation, %path, %code, "request"),
            None => tracing::debug!(%operation, path = "-", %code, "request"),
        },
        Event::Notified { path, sequence } => tracing::info!(%path, sequence, "notification"),
        Event::Rebooting => tracing::warn!("server asked for a reboot"),
        Event::FactoryReset => tracing::warn!("server asked for a factory reset"),
        // Events added to the client later are logged as they print.
        #[allow(unreachable_patterns)]
        other => tracing::info!(event = ?other, "client event"),
    }
}

/// Where a driver hands the client's events besides its log: the application's channel (tokio's
/// for [`Driver`](crate::net::Driver), std's for [`BlockingDriver`](crate::net::BlockingDriver)).
pub(crate) trait EventSink {
    /// Hands `event` over; `false` when the application stopped listening.
    fn deliver(&self, event: ServerEvent) -> bool;
}

impl EventSink for tokio::sync::mpsc::UnboundedSender<ServerEvent> {
    fn deliver(&self, event: ServerEvent) -> bool {
        self.send(event).is_ok()
    }
}

impl EventSink for std::sync::mpsc::Sender<ServerEvent> {
    fn deliver(&self, event: ServerEvent) -> bool {
        self.send(event).is_ok()
    }
}

/// What both drivers do with each event the client reports: log it, in its server's span when
/// it names one (a request's event is a debug line: no span for it unless debug is on, as a span
/// per request was 5% of the instructions spent serving one, callgrind), and hand it to `sink`
/// when `wanted` accepts it. A sink whose application stopped listening is dropped: the events
/// are logged only from then on.
pub(crate) fn report<S: EventSink>(
    server: Option<u16>,
    event: &Event,
    sink: &mut Option<S>,
    wanted: fn(&Event) -> bool,
) {
    let logged =
        !matches!(event, Event::Request { .. }) || tracing::enabled!(tracing::Level::DEBUG);
    let _span = server
        .filter(|_| logged)
        .map(|ssid| tracing::info_span!("server", ssid).entered());
    log_event(event);
    let delivered = match sink.as_ref() {
        Some(events) if wanted(event) => events.deliver(ServerEvent {
            server,
            event: event.clone(),
        }),
        _ => true,
    };
    if !delivered {
        *sink = None;
    }
}

/// Logs a [`TransportChange`] at `info`.
pub fn log_transport_change(change: &TransportChange) {
    let local = change.local.map(|a| a.to_string()).unwrap_or_default();
    tracing::info!(
        server = %change.server,
        %local,
        moved = change.moved,
        resumed = change.resumed,
        "session with the server re-established; the client updates its registration"
    );
}
