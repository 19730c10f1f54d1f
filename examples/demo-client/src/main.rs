//! `demo-client`: a demo LwM2M device serving Temperature (3303) and Light Control (3311),
//! generated from the registry by `build.rs`, with the built-in Security, Server and Device
//! objects, over CoAP/UDP with the tokio driver of `lwm2m::net`.
//!
//! ```text
//! demo-client --server coap://127.0.0.1:5683 [--server coap://127.0.0.1:5783 ...]
//!             --endpoint demo-1 [--lifetime 300]
//!             [--lwm2m-version 1.0|1.1|1.2] [--bootstrap] [--local-port 0]
//!             [--ack-timeout-ms 2000] [--ack-random-factor 1.5] [--max-retransmit 4]
//! demo-client --server coaps://127.0.0.1:5684 --endpoint demo-1 \
//!             --psk-identity demo-1 --psk-key 000102030405060708090a0b0c0d0e0f   # feature dtls
//! demo-client --endpoint demo-1 \
//!             --server coaps://127.0.0.1:5684 --psk-identity demo-1 --psk-key 0001020304050607 \
//!             --server coaps://127.0.0.1:5784 --psk-identity dev-b --psk-key 08090a0b0c0d0e0f
//! ```
//!
//! Several `--server` options register with several servers at once (Short Server IDs 1, 2,
//! ... in order), all `coap://` or all `coaps://`. Each `coaps://` server takes the Nth
//! `--psk-identity` and `--psk-key` (N = its position among the `--server` options) into its
//! Security instance `/0/N-1`, and gets its own DTLS session and UDP socket
//! (`lwm2m::net::dtls::SecureTransport`): a server that refuses its key, or is down, fails
//! alone while the others stay registered. `--local-port` applies to the first server's socket;
//! the others take free ports. With one `coaps://` server, the handshake comes first and a
//! wrong key stops the device.
//!
//! The temperature changes every second (a slow sine plus noise) and observers of `/3303/0/5700`
//! are notified; executing `/3303/0/5605` resets the min/max measured values. Logs go to stderr,
//! filtered by `RUST_LOG` (`LEVEL` and `TARGET=LEVEL` directives, default `info`;
//! `RUST_LOG=info,lwm2m::net=debug` adds a line per request of the server: see [`log`]).
//! SIGINT or SIGTERM deregisters and exits 0.

mod blocking;
mod cli;
mod device;
mod event_log;
mod firmware;
mod light;
mod log;
mod modem;
mod state;
mod statistics;
mod temperature;

/// The objects `build.rs` generated with `lwm2m-codegen`.
#[allow(missing_docs)]
mod objects {
    lwm2m::include_objects!();
}

use lwm2m::Instant;
use std::error::Error;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Duration;

use lwm2m::ObjectStore;
use lwm2m::client::{Binding, Client, Config, LwM2mVersion};
use lwm2m::net::{Driver, Transport, UdpDriver, resolve};

use crate::cli::{Args, Version};
use crate::temperature::Sensor;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    log::init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The local address of the socket towards `server`.
fn local_for(server: SocketAddr, port: u16) -> SocketAddr {
    match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
    }
}

async fn run(mut args: Args) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let mut first = args.first_server().to_owned();
    let coaps = is_coaps(&first);
    if args.server.iter().any(|uri| is_coaps(uri) != coaps) {
        return Err("the --server options must be all coap:// or all coaps://".into());
    }
    if !args.more_servers().is_empty() && args.bootstrap {
        return Err("several --server options are for servers without --bootstrap".into());
    }
    if coaps && !cfg!(feature = "dtls") {
        return Err("coaps:// servers need a demo-client built with the `dtls` feature".into());
    }
    let psks = args.psks()?;
    if coaps && psks.len() != args.server.len() {
        return Err(format!(
            "{} coaps:// server(s) need as many --psk-identity and --psk-key pairs (got {})",
            args.server.len(),
            psks.len()
        )
        .into());
    }
    let mut psks = psks.into_iter();
    let psk = psks.next();
    let more_psks: Vec<_> = psks.collect();
    let account = device::Account {
        server_uri: first.clone(),
        more_server_uris: args.more_servers().to_vec(),
        bootstrap: args.bootstrap,
        lifetime_s: args.lifetime,
        binding: Binding::U.to_string(),
        psk,
        more_psks,
    };
    let mut store = device::store(&account, start)?;
    let state = match args.state.clone() {
        Some(path) => {
            let (state, restored) = state::StateFile::load(&path, &mut store);
            if let Some(uri) = restored.filter(|_| args.bootstrap && !coaps) {
                // Bootstrapped before: register with the server the bootstrap wrote.
                tracing::info!(server = %uri, "provisioned by an earlier bootstrap: registering at once");
                args.bootstrap = false;
                first = uri;
            }
            Some(state)
        }
        None => None,
    };

    if args.blocking_driver {
        if coaps {
            return Err(
                "--blocking-driver serves coap:// servers only (DTLS needs the tokio driver)"
                    .into(),
            );
        }
        // Blocks this thread until the device stops: nothing else runs on the runtime.
        return blocking::serve(args, &first, (store, state), start);
    }

    #[cfg(feature = "dtls")]
    if coaps {
        use lwm2m::net::dtls::{Credentials, DtlsConfig, SecureTransport, resolve_coaps};
        use lwm2m::objects::Security;
        let server = resolve_coaps(&first).await?;
        // The credentials come from the Security objects, as a Bootstrap-Server would set them.
        let security = |instance: u16| {
            store
                .get::<Security>(instance)
                .ok_or(format!("the store has no Security instance /0/{instance}"))
        };
        // A DTLS endpoint (and a socket) per server, all run by the driver's one loop, each
        // shaking hands when the client first sends to it: a server that refuses its key, or
        // is down, fails alone. A server written by a Bootstrap-Server gets its endpoint from
        // its Security instance when the client first sends to it.
        let mut transport = SecureTransport::new(local_for(server, 0));
        let mut more = Vec::new();
        for instance in 0..u16::try_from(args.server.len())? {
            let security = security(instance)?;
            let address = resolve_coaps(&security.server_uri).await?;
            let port = if instance == 0 { args.local_port } else { 0 };
            let config = DtlsConfig::new(Credentials::from_security(security)?);
            transport.add(local_for(address, port), address, config)?;
            if instance > 0 {
                more.push(address);
            }
        }
        if args.more_servers().is_empty() {
            // One server: the handshake first, so that a wrong key stops the device at once.
            transport.connect(server).await?;
        }
        let device = (store, state);
        return serve(args, server, more, device, start, Driver::new(transport)).await;
    }
    if account.psk.is_some() {
        return Err("--psk-identity and --psk-key need coaps:// servers".into());
    }
    let server = resolve(&first).await?;
    let mut more = Vec::new();
    for uri in args.more_servers() {
        more.push(resolve(uri).await?);
    }
    let driver = UdpDriver::bind(local_for(server, args.local_port)).await?;
    serve(args, server, more, (store, state), start, driver).await
}

/// Whether `uri` is a `coaps://` URI (case-insensitive scheme).
fn is_coaps(uri: &str) -> bool {
    uri.split_once("://")
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("coaps"))
}

/// Runs the device on `driver` until a signal: registered with `server` (Short Server ID 1)
/// and the `more` servers (2, 3, ...).
async fn serve<T: Transport>(
    args: Args,
    server: SocketAddr,
    more: Vec<SocketAddr>,
    (store, mut state): (ObjectStore, Option<state::StateFile>),
    start: Instant,
    driver: Driver<T>,
) -> Result<(), Box<dyn Error>> {
    let config = config(&args, server, more);
    let signal = shutdown();
    // Reboot (/3/0/4) and Factory Reset (/3/0/5) stop the run like a signal, then restart
    // the process (below).
    let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
    let driver = driver.with_events_where(events, |event| {
        matches!(
            event,
            lwm2m::client::Event::Rebooting
                | lwm2m::client::Event::FactoryReset
                | lwm2m::client::Event::FirmwareUpdating
        )
    });
    let restart = std::cell::Cell::new(None);
    let stop = async {
        tokio::select! {
            () = signal => {}
            request = restart_requested(&mut received) => restart.set(Some(request)),
        }
    };
    let mut client = Client::new(config, store);
    if let Some(dir) = &args.firmware_dir {
        firmware::enable(&mut client, dir, args.firmware_max_size, start)?;
    }
    let mut saving = state.take();
    let tick = ticker(&args, start, &mut saving);
    let mut client = driver.run(client, args.tick(), tick, stop).await?;
    if let Some(state) = &mut saving {
        state.save_if_changed(client.store_mut());
    }
    if let Some(request) = restart.get() {
        return Err(restart_process(request, args.state.as_deref()).into());
    }
    tracing::info!(
        light_on = device::light_is_on(client.store()),
        "demo device stopped"
    );
    Ok(())
}

/// The client's configuration from the command line: registered with `server` (Short Server
/// ID 1, or the Bootstrap-Server with --bootstrap) and the `more` servers (2, 3, ...); logs it.
fn config(args: &Args, server: SocketAddr, more: Vec<SocketAddr>) -> Config {
    let mut config = Config::new(args.endpoint.clone(), server);
    config.lifetime = args.lifetime();
    config.lwm2m_version = match args.lwm2m_version {
        Version::V1_0 => LwM2mVersion::V1_0,
        Version::V1_1 => LwM2mVersion::V1_1,
        Version::V1_2 => LwM2mVersion::V1_2,
    };
    config.binding = if args.queue_mode {
        Binding::UQ
    } else {
        Binding::U
    };
    config.transmission = args.transmission();
    config.queue_window = config.transmission.max_transmit_wait();
    if args.bootstrap {
        config.bootstrap_server = Some(server);
    }
    for (ssid, address) in (device::SHORT_SERVER_ID + 1..).zip(more) {
        config = config.with_server(ssid, address);
    }
    let objects: Vec<String> = objects::OBJECTS
        .iter()
        .map(|m| format!("{} ({})", m.name, m.id))
        .collect();
    tracing::info!(
        endpoint = %config.endpoint,
        %server,
        lwm2m = %config.lwm2m_version,
        lifetime = args.lifetime,
        bootstrap = args.bootstrap,
        ack_timeout_ms = args.ack_timeout_ms,
        ack_random_factor = args.ack_random_factor,
        max_retransmit = args.max_retransmit,
        generated = %objects.join(", "),
        "demo device starting"
    );

    config
}

/// The application tick of the device: measures the sensor, follows the statistics and the
/// modem, sends the --send paths when due, and saves the state when it changed.
fn ticker<'a>(
    args: &'a Args,
    start: Instant,
    saving: &'a mut Option<state::StateFile>,
) -> impl FnMut(&mut Client, Instant) + 'a {
    let sensor = Sensor::new(start);
    let send_every = Duration::from_secs(args.send_every);
    let mut next_send = start + send_every;
    move |client: &mut Client, now: Instant| {
        for path in device::measure(client.store_mut(), &sensor, now) {
            client.resource_changed(now, &path);
        }
        for path in statistics::changed(client.store()) {
            client.resource_changed(now, &path);
        }
        if let Some(path) = modem::sync(client.store_mut()) {
            client.resource_changed(now, &path);
        }
        if !args.send_paths.is_empty() && now >= next_send {
            next_send = now + send_every;
            match client.send(now, &args.send_paths) {
                Ok(()) => {}
                Err(e) => tracing::info!(error = %e, "nothing sent"),
            }
        }
        if let Some(state) = saving {
            state.save_if_changed(client.store_mut());
        }
    }
}

/// What a server asked the device to do with itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restart {
    /// Reboot (`/3/0/4`): start again as after power-on.
    Reboot,
    /// Factory Reset (`/3/0/5`): forget what servers wrote (the state file), then reboot.
    FactoryReset,
}

/// The first Reboot or Factory Reset among the client's events.
async fn restart_requested(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<lwm2m::client::ServerEvent>,
) -> Restart {
    while let Some(event) = events.recv().await {
        match event.event {
            lwm2m::client::Event::Rebooting => return Restart::Reboot,
            // The new firmware runs after a restart (see `firmware`).
            lwm2m::client::Event::FirmwareUpdating => return Restart::Reboot,
            lwm2m::client::Event::FactoryReset => return Restart::FactoryReset,
            _ => {}
        }
    }
    std::future::pending().await
}

/// Restarts the device as a reboot does: the process replaces itself with a new run of the
/// same command line (after the client deregistered); a factory reset removes the state file
/// first. Returns only if the restart failed.
fn restart_process(request: Restart, state: Option<&std::path::Path>) -> std::io::Error {
    if request == Restart::FactoryReset
        && let Some(path) = state
        && let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "state file not removed");
    }
    tracing::info!(?request, "restarting");
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return e,
    };
    let mut command = std::process::Command::new(exe);
    command.args(std::env::args_os().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.exec()
    }
    #[cfg(not(unix))]
    {
        match command.spawn() {
            Ok(_) => std::process::exit(0),
            Err(e) => e,
        }
    }
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM.
///
/// The signal listeners are installed when this function is called, not when the future is first
/// polled: it is called before the client sends its Register, so a signal that arrives right after
/// the registration is caught (and deregisters) instead of killing the process with the default
/// action.
///
/// The listeners wait in a task of their own, which then completes a oneshot channel: the driver
/// polls its shutdown future on every turn of its loop (about twice per request served), and a
/// oneshot receiver is an atomic load where polling the two `Signal::recv` futures themselves was
/// about 850 instructions per request (BENCHMARKS.md, "demo-client footprint and CPU per
/// request").
fn shutdown() -> impl Future<Output = ()> {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let signal = signals();
    tokio::spawn(async move {
        signal.await;
        let _ = stop.send(());
    });
    async move {
        // An error means the task is gone, which only happens when the runtime shuts down.
        let _ = stopped.await;
    }
}

/// The first of SIGINT and SIGTERM (only SIGINT where SIGTERM cannot be listened for), logged.
fn signals() -> Pin<Box<dyn Future<Output = ()> + Send>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                return Box::pin(async move {
                    tokio::select! {
                        _ = interrupt.recv() => tracing::info!("SIGINT"),
                        _ = terminate.recv() => tracing::info!("SIGTERM"),
                    }
                });
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for signals; only Ctrl-C stops");
            }
        }
    }
    Box::pin(async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("SIGINT"),
            Err(e) => {
                // Without signals the device runs until killed.
                tracing::warn!(error = %e, "cannot listen for SIGINT");
                std::future::pending::<()>().await;
            }
        }
    })
}
