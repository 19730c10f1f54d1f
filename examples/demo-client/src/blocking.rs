//! `--blocking-driver`: the same device on `lwm2m::net::BlockingDriver`, one thread without an
//! async runtime (coap:// servers only).
//!
//! SIGINT and SIGTERM set flags (`signal_hook::flag`) that the driver reads after every
//! wake-up; a signal also cuts its receive short (a receive with a read timeout is not
//! restarted after a signal handler), so the device deregisters at once. Reboot, Factory Reset
//! and a firmware Update arrive as events on a std channel and stop the run the same way, then
//! restart the process as with the tokio driver.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use lwm2m::Instant;
use lwm2m::ObjectStore;
use lwm2m::client::{Client, Event};
use lwm2m::net::{BlockingDriver, resolve_blocking};

use crate::cli::Args;
use crate::{Restart, config, device, firmware, local_for, restart_process, state, ticker};

/// Runs the device with `first` as its first server on the blocking driver until a signal or
/// a restart request.
pub fn serve(
    args: Args,
    first: &str,
    (store, mut state): (ObjectStore, Option<state::StateFile>),
    start: Instant,
) -> Result<(), Box<dyn Error>> {
    let server = resolve_blocking(first)?;
    let mut more = Vec::new();
    for uri in args.more_servers() {
        more.push(resolve_blocking(uri)?);
    }
    let driver = BlockingDriver::bind(local_for(server, args.local_port))?;
    serve_on(args, server, more, (store, state.take()), start, driver)
}

/// Runs the device on `driver`: see [`serve`].
fn serve_on(
    args: Args,
    server: SocketAddr,
    more: Vec<SocketAddr>,
    (store, mut saving): (ObjectStore, Option<state::StateFile>),
    start: Instant,
    driver: BlockingDriver,
) -> Result<(), Box<dyn Error>> {
    let config = config(&args, server, more);
    // Installed before the Register goes out: a signal right after it deregisters.
    let signals = Signals::install()?;
    let (events, received) = mpsc::channel();
    let driver = driver.with_events_where(events, |event| {
        matches!(
            event,
            Event::Rebooting | Event::FactoryReset | Event::FirmwareUpdating
        )
    });
    let mut restart = None;
    let stop = || {
        if signals.caught() {
            return true;
        }
        if let Ok(event) = received.try_recv() {
            restart = Some(match event.event {
                Event::FactoryReset => Restart::FactoryReset,
                // Rebooting, and FirmwareUpdating: the new firmware runs after a restart.
                _ => Restart::Reboot,
            });
            return true;
        }
        false
    };
    let mut client = Client::new(config, store);
    if let Some(dir) = &args.firmware_dir {
        firmware::enable(&mut client, dir, args.firmware_max_size, start)?;
    }
    let tick = ticker(&args, start, &mut saving);
    let mut client = driver.run(client, args.tick(), tick, stop)?;
    if let Some(state) = &mut saving {
        state.save_if_changed(client.store_mut());
    }
    if let Some(request) = restart {
        return Err(restart_process(request, args.state.as_deref()).into());
    }
    tracing::info!(
        light_on = device::light_is_on(client.store()),
        "demo device stopped"
    );
    Ok(())
}

/// SIGINT and SIGTERM, each setting its own flag.
struct Signals {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
}

impl Signals {
    /// Installs the handlers.
    fn install() -> std::io::Result<Signals> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let signals = Signals {
            interrupt: Arc::new(AtomicBool::new(false)),
            terminate: Arc::new(AtomicBool::new(false)),
        };
        signal_hook::flag::register(SIGINT, Arc::clone(&signals.interrupt))?;
        signal_hook::flag::register(SIGTERM, Arc::clone(&signals.terminate))?;
        Ok(signals)
    }

    /// Whether a signal came (logged the first time it is seen).
    fn caught(&self) -> bool {
        if self.interrupt.load(Ordering::Relaxed) {
            tracing::info!("SIGINT");
            return true;
        }
        if self.terminate.load(Ordering::Relaxed) {
            tracing::info!("SIGTERM");
            return true;
        }
        false
    }
}
