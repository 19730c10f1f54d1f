//! The `tracing` line of each client [`Event`].

use crate::client::Event;

/// Logs `event`: registration changes and notifications at `info`, failures at `warn`, the
/// server's requests at `debug` (enable them with `RUST_LOG=lwm2m::net=debug`).
pub fn log_event(event: &Event) {
    match event {
        Event::Bootstrapped => tracing::info!("bootstrap finished"),
        Event::Registered { location } => tracing::info!(%location, "registered"),
        Event::Updated => tracing::info!("registration updated"),
        Event::Deregistered => tracing::info!("deregistered"),
        Event::RegistrationFailed { reason } => {
            tracing::warn!(%reason, "registration failed");
        }
        Event::Request { method, path, code } => {
            tracing::debug!(%method, %path, %code, "request");
        }
        Event::Notified { path, sequence } => tracing::info!(%path, sequence, "notification"),
        Event::Rebooting => tracing::warn!("server asked for a reboot"),
        // Events added to the client later are logged as they print.
        #[allow(unreachable_patterns)]
        other => tracing::info!(event = ?other, "client event"),
    }
}
